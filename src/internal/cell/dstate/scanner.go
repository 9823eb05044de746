// Package dstate finds processes stuck in uninterruptible sleep (state D)
// by reading /proc/<pid>/stat directly, remembers since when each has been
// stuck across polls, and names the containers they belong to. A container
// is a suspect when one of its processes stays in D past a threshold,
// unless the agent itself froze it: runc pause makes every process read D.
// A container frozen by anyone else (or a freezer stuck in FREEZING) holds
// its processes just the same and counts.
package dstate

import (
	"bytes"
	"context"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/procfs"
)

// Defaults follow the diagnostics release this replaces: a poll every 10 s
// and a process stuck for 15 polls.
const (
	DefaultPollInterval = 10 * time.Second
	DefaultSuspectAfter = 150 * time.Second
)

// tickSlack absorbs a ticker firing a little early: without it a thread
// seen in D for exactly suspect_after (a whole number of polls) would wait
// one poll more, and detection would take suspect_after + two polls.
const tickSlack = 50 * time.Millisecond

// Config of a Scanner. Zero values take the defaults.
type Config struct {
	ProcRoot     string
	CgroupRoot   string
	SuspectAfter time.Duration
	// Now is the clock (tests pass their own).
	Now func() time.Time
	// FrozenByAgent tells whether the agent froze the container with this
	// handle itself; only such a container's D processes are excused while
	// its freezer reads FROZEN. Nil: the agent froze nothing.
	FrozenByAgent func(handle string) bool
	// Threads also looks at every thread of a multi-threaded process, at
	// the cost of reading each thread's stat: a JVM stuck on a hung mount
	// often shows its main thread in S and a worker in D. A thread in D
	// is reported with its thread id as Pid and its thread name as Comm.
	Threads bool
	// MaxOpenFiles bounds the stat descriptors kept open between polls
	// (default: a quarter of the soft RLIMIT_NOFILE, at most 16384; negative
	// keeps none);
	// processes beyond it are opened and closed on every poll.
	MaxOpenFiles int
}

func defaultMaxOpenFiles() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 256
	}
	n := rl.Cur / 4
	if n > 16384 {
		n = 16384
	}
	return int(n)
}

// Report is the outcome of one poll.
type Report struct {
	At      time.Time `json:"at"`
	Scanned int       `json:"scanned"`
	// D lists every process in D state now, host processes included.
	D []agentapi.DProcess `json:"d"`
	// Suspects are containers with a process in D past the threshold.
	Suspects []string `json:"suspects,omitempty"`
	// Frozen are containers the agent froze, whose D processes the frozen
	// cgroup explains.
	Frozen []string `json:"frozen,omitempty"`
	// NewSuspects became suspects in this poll: each starts a suspect
	// episode (first-responder evidence, the episode counter).
	NewSuspects []string `json:"new_suspects,omitempty"`
	// Episodes counts suspect episodes since the scanner started.
	Episodes int `json:"episodes"`
	// Took is how long the poll took, for the status and the bench.
	Took time.Duration `json:"took"`
}

type key struct {
	pid   int
	start uint64
}

type seen struct {
	since  time.Time
	handle string
}

// Scanner polls /proc. It is safe for concurrent use: the agent polls on
// an interval while API handlers read the last report.
type Scanner struct {
	logger lager.Logger
	cfg    Config

	mu       sync.Mutex
	tracked  map[key]seen
	suspects map[string]bool
	episodes int
	last     Report
	fds      map[int]int
	taskFDs  map[int]int
	maxFDs   int
	buf      []byte
}

// New builds a scanner; it reads nothing until Poll.
func New(logger lager.Logger, cfg Config) *Scanner {
	if cfg.ProcRoot == "" {
		cfg.ProcRoot = containers.DefaultProcRoot
	}
	if cfg.CgroupRoot == "" {
		cfg.CgroupRoot = containers.DefaultCgroupRoot
	}
	if cfg.SuspectAfter == 0 {
		cfg.SuspectAfter = DefaultSuspectAfter
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxOpenFiles == 0 {
		cfg.MaxOpenFiles = defaultMaxOpenFiles()
	}
	return &Scanner{
		logger:   logger.Session("dstate-scanner"),
		cfg:      cfg,
		tracked:  map[key]seen{},
		suspects: map[string]bool{},
		fds:      map[int]int{},
		taskFDs:  map[int]int{},
		maxFDs:   cfg.MaxOpenFiles,
		buf:      make([]byte, 1024),
	}
}

// SetFrozenByAgent sets Config.FrozenByAgent after the scanner is built:
// the agent that knows what it froze is built after its scanner.
func (s *Scanner) SetFrozenByAgent(f func(handle string) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.FrozenByAgent = f
}

// Poll scans every process once and updates since-when tracking.
func (s *Scanner) Poll() (Report, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	start := time.Now()
	now := s.cfg.Now()
	pids, err := containers.ListPids(s.cfg.ProcRoot)
	if err != nil {
		s.logger.Error("list-processes-failed", err)
		return Report{}, err
	}
	rep := Report{At: now, Scanned: len(pids)}
	next := make(map[key]seen, len(s.tracked))
	frozen := map[string]bool{}
	frozenChecked := map[string]bool{}
	suspects := map[string]bool{}
	for _, st := range s.findD(pids) {
		pid := st.Pid
		k := key{pid: st.Pid, start: st.StartTime}
		prev, known := s.tracked[k]
		if !known {
			prev = seen{since: now, handle: s.handleOf(st.dir)}
		}
		if prev.handle != "" && !frozenChecked[prev.handle] && s.cfg.FrozenByAgent != nil && s.cfg.FrozenByAgent(prev.handle) {
			frozenChecked[prev.handle] = true
			f, err := containers.Frozen(s.cfg.ProcRoot, s.cfg.CgroupRoot, st.process)
			if err != nil {
				s.logger.Debug("freezer-state-unreadable", lager.Data{"pid": pid, "container_handle": prev.handle, "error": err.Error()})
			}
			frozen[prev.handle] = f
		}
		d := agentapi.DProcess{Pid: pid, Comm: st.Comm, Container: prev.handle, Since: prev.since, Wchan: s.wchan(st.dir)}
		if prev.handle != "" && frozen[prev.handle] {
			// A frozen process says nothing about a stuck kernel; start
			// counting afresh once the container is thawed.
			d.Since = now
			rep.D = append(rep.D, d)
			continue
		}
		d.Seconds = now.Sub(prev.since).Seconds()
		next[k] = prev
		rep.D = append(rep.D, d)
		if prev.handle != "" && now.Sub(prev.since)+tickSlack >= s.cfg.SuspectAfter {
			suspects[prev.handle] = true
		}
	}
	s.tracked = next
	for h := range suspects {
		rep.Suspects = append(rep.Suspects, h)
		if !s.suspects[h] {
			rep.NewSuspects = append(rep.NewSuspects, h)
			s.episodes++
			s.logger.Info("container-suspect", lager.Data{"container_handle": h, "suspect_after_seconds": s.cfg.SuspectAfter.Seconds()})
		}
	}
	for h := range s.suspects {
		if !suspects[h] {
			s.logger.Info("container-no-longer-suspect", lager.Data{"container_handle": h})
		}
	}
	s.suspects = suspects
	for h, f := range frozen {
		if f {
			rep.Frozen = append(rep.Frozen, h)
		}
	}
	sort.Strings(rep.Suspects)
	sort.Strings(rep.Frozen)
	sort.Strings(rep.NewSuspects)
	rep.Episodes = s.episodes
	rep.Took = time.Since(start)
	s.last = rep
	s.logger.Debug("poll-complete", lager.Data{"scanned": rep.Scanned, "d_state": len(rep.D), "suspects": len(rep.Suspects), "took_ms": rep.Took.Milliseconds()})
	return rep, nil
}

// found is a process, or a thread when Config.Threads is set, in state D.
type found struct {
	procfs.Stat
	// process is the pid whose cgroup the task is in; dir is the task's
	// procfs directory (/proc/<pid> or /proc/<pid>/task/<tid>).
	process int
	dir     string
}

// findD reads every pid's stat and returns those in state D, ascending.
func (s *Scanner) findD(pids []int) []found {
	listed := make(map[int]bool, len(pids))
	listedTasks := map[int]bool{}
	var out []found
	for _, pid := range pids {
		listed[pid] = true
		b, err := s.readStat(s.fds, pid, s.statPath(pid, "stat"))
		if err != nil {
			continue // exited while we scanned
		}
		// Only D matters: look at the state before parsing the rest.
		closing := bytes.LastIndexByte(b, ')')
		if closing < 0 || closing+2 >= len(b) {
			continue
		}
		if b[closing+2] == 'D' {
			if st, err := procfs.ParseStat(b); err == nil {
				out = append(out, found{Stat: st, process: pid, dir: s.statPath(pid, "")})
			}
		}
		if s.cfg.Threads && numThreads(b[closing+2:]) > 1 {
			out = s.findDThreads(pid, listedTasks, out)
		}
	}
	closeUnlisted(s.fds, listed)
	closeUnlisted(s.taskFDs, listedTasks)
	return out
}

// findDThreads adds the threads of pid other than its main one that are
// in D: the main thread of a JVM stuck on a hung mount often sleeps
// interruptibly while a worker waits in D.
func (s *Scanner) findDThreads(pid int, listed map[int]bool, out []found) []found {
	taskDir := s.statPath(pid, "task")
	tids, err := containers.ListPids(taskDir)
	if err != nil {
		return out
	}
	for _, tid := range tids {
		if tid == pid {
			continue
		}
		listed[tid] = true
		dir := taskDir + "/" + strconv.Itoa(tid)
		b, err := s.readStat(s.taskFDs, tid, dir+"/stat")
		if err != nil {
			continue
		}
		closing := bytes.LastIndexByte(b, ')')
		if closing < 0 || closing+2 >= len(b) || b[closing+2] != 'D' {
			continue
		}
		if st, err := procfs.ParseStat(b); err == nil {
			out = append(out, found{Stat: st, process: pid, dir: dir + "/"})
		}
	}
	return out
}

// numThreads reads field 20 from the part of a stat line that starts at
// the state (field 3).
func numThreads(fromState []byte) int {
	field := 3
	start := 0
	for i := 0; i <= len(fromState); i++ {
		if i < len(fromState) && fromState[i] != ' ' {
			continue
		}
		if field == 20 {
			n, _ := strconv.Atoi(string(fromState[start:i]))
			return n
		}
		field++
		start = i + 1
	}
	return 0
}

func closeUnlisted(fds map[int]int, listed map[int]bool) {
	for id, fd := range fds {
		if !listed[id] {
			syscall.Close(fd)
			delete(fds, id)
		}
	}
}

// readStat reads /proc/<pid>/stat through a descriptor kept open across
// polls. Opening costs more than the read itself (path walk, pid lookup,
// a new file), and pread at offset 0 makes the kernel format the file
// afresh. A descriptor outlives its process: pread then fails with ESRCH,
// also when the pid is reused, so a new process is always opened anew.
func (s *Scanner) readStat(fds map[int]int, id int, path string) ([]byte, error) {
	if fd, ok := fds[id]; ok {
		b, err := s.pread(fd)
		if err == nil {
			return b, nil
		}
		syscall.Close(fd)
		delete(fds, id)
	}
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	b, err := s.pread(fd)
	if err != nil {
		syscall.Close(fd)
		return nil, err
	}
	if len(s.fds)+len(s.taskFDs) < s.maxFDs {
		fds[id] = fd
	} else {
		syscall.Close(fd)
	}
	return b, nil
}

// pread reads a whole stat file from offset 0, growing the buffer when a
// read fills it (a stat line is a few hundred bytes).
func (s *Scanner) pread(fd int) ([]byte, error) {
	for {
		n, err := syscall.Pread(fd, s.buf, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, syscall.ESRCH
		}
		if n < len(s.buf) {
			return s.buf[:n], nil
		}
		s.buf = make([]byte, 2*len(s.buf))
	}
}

// Close releases the descriptors kept between polls.
func (s *Scanner) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	closeUnlisted(s.fds, nil)
	closeUnlisted(s.taskFDs, nil)
}

func (s *Scanner) statPath(pid int, file string) string {
	return s.cfg.ProcRoot + "/" + strconv.Itoa(pid) + "/" + file
}

func (s *Scanner) handleOf(dir string) string {
	b, err := os.ReadFile(dir + "cgroup")
	if err != nil {
		return ""
	}
	h, _ := containers.HandleFromCgroupFile(b)
	return h
}

func (s *Scanner) wchan(dir string) string {
	b, err := os.ReadFile(dir + "wchan")
	if err != nil {
		return ""
	}
	w := string(bytes.TrimSpace(b))
	if w == "0" {
		return ""
	}
	return w
}

// Last returns the most recent report.
func (s *Scanner) Last() Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// Run polls every interval until ctx ends. Failures are logged and the
// next poll tries again: one unreadable /proc must not stop the watch.
func (s *Scanner) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		_, _ = s.Poll()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Oldest is the longest time a process or thread has been in D state now,
// frozen ones of ours left out.
func (r Report) Oldest() time.Duration {
	var max float64
	for _, d := range r.D {
		if d.Seconds > max {
			max = d.Seconds
		}
	}
	return time.Duration(max * float64(time.Second))
}

// Annotate copies the last report onto an inventory: each container's D
// processes, whether it is a suspect, and whether the agent froze it (a
// container frozen by someone else is not "frozen by us").
func (r Report) Annotate(cs []agentapi.Container) {
	suspect := map[string]bool{}
	for _, h := range r.Suspects {
		suspect[h] = true
	}
	frozen := map[string]bool{}
	for _, h := range r.Frozen {
		frozen[h] = true
	}
	for i := range cs {
		c := &cs[i]
		c.DState = nil
		for _, d := range r.D {
			if d.Container == c.Handle {
				c.DState = append(c.DState, d)
			}
		}
		c.Suspect = suspect[c.Handle]
		c.FrozenByUs = frozen[c.Handle]
	}
}

// String is a one-line summary for logs and the CLI.
func (r Report) String() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(len(r.D)))
	b.WriteString(" of ")
	b.WriteString(strconv.Itoa(r.Scanned))
	b.WriteString(" processes in D state")
	if len(r.Suspects) > 0 {
		b.WriteString("; suspects: ")
		b.WriteString(strings.Join(r.Suspects, ", "))
	}
	return b.String()
}
