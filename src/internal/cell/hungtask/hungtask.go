// Package hungtask follows the kernel log (/dev/kmsg) for the hung-task
// detector's reports, "INFO: task <comm>:<pid> blocked for more than <n>
// seconds." [linux: kernel/hung_task.c check_hung_task], and names the
// container each reported task belongs to. The kernel raises them on its
// own clock (hung_task_timeout_secs, 120 s by default), independently of
// the agent's polling, so they confirm a D-state suspect from the kernel's
// side; Node Problem Detector turns the same line into KernelDeadlock.
package hungtask

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/procfs"
)

// DefaultKmsg is the kernel's structured log device.
const DefaultKmsg = "/dev/kmsg"

// Report is one hung-task report of the kernel.
type Report struct {
	At      time.Time `json:"at"`
	Comm    string    `json:"comm"`
	Pid     int       `json:"pid"`
	Seconds int       `json:"seconds"`
	// Container is the handle of the task's container, empty for a host
	// task or a task gone before it could be looked up.
	Container string `json:"container,omitempty"`
}

// Record is one /dev/kmsg record: "<prio>,<seq>,<usec>,<flags>[,...];<text>"
// followed by continuation lines that start with a space
// [linux: Documentation/ABI/testing/dev-kmsg].
type Record struct {
	Facility int
	Level    int
	Seq      uint64
	Text     string
}

// ParseRecord parses one record's first line.
func ParseRecord(line string) (Record, error) {
	head, text, ok := strings.Cut(line, ";")
	if !ok {
		return Record{}, fmt.Errorf("kmsg record without ';': %q", line)
	}
	fields := strings.Split(head, ",")
	if len(fields) < 3 {
		return Record{}, fmt.Errorf("kmsg record header %q has fewer than 3 fields", head)
	}
	prio, err := strconv.Atoi(fields[0])
	if err != nil {
		return Record{}, fmt.Errorf("kmsg record priority %q: %w", fields[0], err)
	}
	seq, err := strconv.ParseUint(fields[1], 10, 64)
	if err != nil {
		return Record{}, fmt.Errorf("kmsg record sequence %q: %w", fields[1], err)
	}
	return Record{Facility: prio >> 3, Level: prio & 7, Seq: seq, Text: strings.TrimRight(text, "\n")}, nil
}

var blocked = regexp.MustCompile(`^INFO: task (.+):(\d+) blocked for more than (\d+) seconds\.`)

// Parse tells whether rec is a hung-task report. Only the kernel's own
// records count (facility 0): anything written to /dev/kmsg from user
// space is given facility LOG_USER [linux: kernel/printk/printk.c
// devkmsg_write], so a process cannot fake one.
func Parse(rec Record) (Report, bool) {
	if rec.Facility != 0 {
		return Report{}, false
	}
	m := blocked.FindStringSubmatch(rec.Text)
	if m == nil {
		return Report{}, false
	}
	pid, _ := strconv.Atoi(m[2])
	secs, _ := strconv.Atoi(m[3])
	return Report{Comm: m[1], Pid: pid, Seconds: secs}, true
}

// Watcher follows the kernel log from the moment it starts (earlier
// reports were counted by the agent that ran then) and keeps a bounded
// list of the latest reports.
type Watcher struct {
	Path     string
	ProcRoot string
	Logger   lager.Logger
	// OnReport is called for each report, container filled in.
	OnReport func(Report)
	Now      func() time.Time

	mu      sync.Mutex
	records int
	total   int
	recent  []Report
}

// keepRecent bounds the reports kept for the status.
const keepRecent = 32

// Run reads until ctx ends or the log cannot be read. A missing
// /dev/kmsg (a container, an old kernel) is returned as is, for the caller
// to log once: the counter then stays at zero and the status says so.
func (w *Watcher) Run(ctx context.Context) error {
	path := w.Path
	if path == "" {
		path = DefaultKmsg
	}
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	if isCharDevice(f) {
		// Start at the end of the ring buffer: SEEK_END on /dev/kmsg skips
		// to the next record the kernel writes.
		if _, err := f.Seek(0, io.SeekEnd); err != nil {
			return fmt.Errorf("seek %s: %w", path, err)
		}
	}
	go func() {
		<-ctx.Done()
		// Unblocks the pending read: os.File on a non-blocking descriptor
		// waits in the runtime poller, which Close wakes.
		f.Close()
	}()
	buf := make([]byte, 8192)
	r := bufio.NewReader(f)
	for {
		if isCharDevice(f) {
			// Each read of /dev/kmsg returns exactly one record.
			n, err := f.Read(buf)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				if errors.Is(err, syscall.EPIPE) {
					// Overwritten before we read it: go on with the next.
					continue
				}
				return fmt.Errorf("read %s: %w", path, err)
			}
			w.handle(string(buf[:n]))
			continue
		}
		// A regular file (tests, a saved log): one record per line.
		line, err := r.ReadString('\n')
		if line != "" && !strings.HasPrefix(line, " ") {
			w.handle(line)
		}
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("read %s: %w", path, err)
		}
	}
}

func isCharDevice(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (w *Watcher) handle(raw string) {
	first, _, _ := strings.Cut(raw, "\n")
	rec, err := ParseRecord(first)
	if err != nil {
		return
	}
	w.mu.Lock()
	w.records++
	w.mu.Unlock()
	rep, ok := Parse(rec)
	if !ok {
		return
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	rep.At = now().UTC()
	rep.Container = w.containerOf(rep.Pid)
	w.mu.Lock()
	w.total++
	w.recent = append(w.recent, rep)
	if len(w.recent) > keepRecent {
		w.recent = w.recent[len(w.recent)-keepRecent:]
	}
	w.mu.Unlock()
	if w.Logger != nil {
		w.Logger.Info("kernel-hung-task-report", lager.Data{"comm": rep.Comm, "pid": rep.Pid, "blocked_seconds": rep.Seconds, "container_handle": rep.Container})
	}
	if w.OnReport != nil {
		w.OnReport(rep)
	}
}

// containerOf reads the task's cgroup; the reported pid is a thread id,
// and /proc/<tid> resolves for any thread though it is not listed.
func (w *Watcher) containerOf(pid int) string {
	root := w.ProcRoot
	if root == "" {
		root = procfs.DefaultRoot
	}
	b, err := procfs.ReadFileWithin(root+"/"+strconv.Itoa(pid)+"/cgroup", 64<<10, procfs.DefaultReadTimeout)
	if err != nil {
		return ""
	}
	h, _ := containers.HandleFromCgroupFile(b)
	return h
}

// Records is the number of kernel log records read since Run started.
func (w *Watcher) Records() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.records
}

// Total is the number of reports seen since Run started.
func (w *Watcher) Total() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.total
}

// Recent returns the latest reports, oldest first.
func (w *Watcher) Recent() []Report {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Report(nil), w.recent...)
}
