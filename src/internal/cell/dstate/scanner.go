// Package dstate finds processes stuck in uninterruptible sleep (state D)
// by reading /proc/<pid>/stat directly, remembers since when each has been
// stuck across polls, and names the containers they belong to. A container
// is a suspect when one of its processes stays in D past a threshold,
// unless its cgroup is frozen: runc pause makes every process read D.
package dstate

import (
	"bytes"
	"context"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
)

// Defaults follow the diagnostics release this replaces: a poll every 10 s
// and a process stuck for 15 polls.
const (
	DefaultPollInterval = 10 * time.Second
	DefaultSuspectAfter = 150 * time.Second
)

// Config of a Scanner. Zero values take the defaults.
type Config struct {
	ProcRoot     string
	CgroupRoot   string
	SuspectAfter time.Duration
	// Now is the clock (tests pass their own).
	Now func() time.Time
}

// Report is the outcome of one poll.
type Report struct {
	At      time.Time `json:"at"`
	Scanned int       `json:"scanned"`
	// D lists every process in D state now, host processes included.
	D []agentapi.DProcess `json:"d"`
	// Suspects are containers with a process in D past the threshold.
	Suspects []string `json:"suspects,omitempty"`
	// Frozen are containers whose D processes a frozen cgroup explains.
	Frozen []string `json:"frozen,omitempty"`
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
	last     Report
	buf      []byte
	path     []byte
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
	return &Scanner{
		logger:   logger.Session("dstate-scanner"),
		cfg:      cfg,
		tracked:  map[key]seen{},
		suspects: map[string]bool{},
		buf:      make([]byte, 1024),
	}
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
	for _, pid := range pids {
		b, err := readInto(s.statPath(pid, "stat"), s.buf)
		if err != nil {
			continue // exited while we scanned
		}
		if len(b) > len(s.buf) {
			s.buf = b[:cap(b)]
		}
		st, err := ParseStat(b)
		if err != nil || st.State != 'D' {
			continue
		}
		k := key{pid: st.Pid, start: st.StartTime}
		prev, known := s.tracked[k]
		if !known {
			prev = seen{since: now, handle: s.handleOf(pid)}
		}
		if prev.handle != "" && !frozenChecked[prev.handle] {
			frozenChecked[prev.handle] = true
			f, err := containers.Frozen(s.cfg.ProcRoot, s.cfg.CgroupRoot, pid)
			if err != nil {
				s.logger.Debug("freezer-state-unreadable", lager.Data{"pid": pid, "container_handle": prev.handle, "error": err.Error()})
			}
			frozen[prev.handle] = f
		}
		d := agentapi.DProcess{Pid: pid, Comm: st.Comm, Container: prev.handle, Since: prev.since, Wchan: s.wchan(pid)}
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
		if prev.handle != "" && now.Sub(prev.since) >= s.cfg.SuspectAfter {
			suspects[prev.handle] = true
		}
	}
	s.tracked = next
	for h := range suspects {
		rep.Suspects = append(rep.Suspects, h)
		if !s.suspects[h] {
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
	rep.Took = time.Since(start)
	s.last = rep
	s.logger.Debug("poll-complete", lager.Data{"scanned": rep.Scanned, "d_state": len(rep.D), "suspects": len(rep.Suspects), "took_ms": rep.Took.Milliseconds()})
	return rep, nil
}

func (s *Scanner) statPath(pid int, file string) string {
	s.path = append(s.path[:0], s.cfg.ProcRoot...)
	s.path = append(s.path, '/')
	s.path = strconv.AppendInt(s.path, int64(pid), 10)
	s.path = append(s.path, '/')
	s.path = append(s.path, file...)
	return string(s.path)
}

func (s *Scanner) handleOf(pid int) string {
	b, err := os.ReadFile(s.statPath(pid, "cgroup"))
	if err != nil {
		return ""
	}
	h, _ := containers.HandleFromCgroupFile(b)
	return h
}

func (s *Scanner) wchan(pid int) string {
	b, err := os.ReadFile(s.statPath(pid, "wchan"))
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

// Annotate copies the last report onto an inventory: each container's D
// processes, whether it is a suspect, and whether it is frozen.
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
		if frozen[c.Handle] {
			c.FrozenByUs = true
		}
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
