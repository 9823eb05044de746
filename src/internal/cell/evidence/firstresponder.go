package evidence

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/procfs"
)

// First-responder defaults: a bundle is small (stacks, a dmesg tail,
// figures), so a few per hour fit in little room.
const (
	DefaultFirstResponderPerHour     = 6
	DefaultFirstResponderTotalBytes  = 256 << 20
	DefaultFirstResponderBundleBytes = 16 << 20
	// minBundleBytes: below this the disk cap leaves no room worth a bundle.
	minBundleBytes = 64 << 10
	dmesgTailBytes = 256 << 10
	// bundlePrefix names first-responder bundles in their directory.
	bundlePrefix = "first-responder-"
)

// Reasons a first-responder bundle was not captured.
var (
	ErrRateLimited = errors.New("first-responder limit per hour reached")
	ErrDiskCap     = errors.New("first-responder disk cap reached")
)

// FirstResponder captures a small bundle the moment a container first
// becomes a suspect: the kernel stacks and wait channels of every thread
// in D state, the dmesg tail, the container's processes and properties,
// and the memory and pressure figures. By the time someone sequesters the
// cell, that moment is gone. At most MaxPerHour bundles are taken per
// hour, and the bundles in Dir stay under MaxTotalBytes together.
type FirstResponder struct {
	Dir            string
	MaxPerHour     int
	MaxTotalBytes  int64
	MaxBundleBytes int64
	ProcRoot       string
	// ReadTimeout bounds each procfs read (default procfs.DefaultReadTimeout).
	ReadTimeout time.Duration
	// Container returns the container as the backend lists it (properties,
	// pids, app guid and index); it must bound its own wait.
	Container func(ctx context.Context, handle string) (agentapi.Container, error)
	Logger    lager.Logger
	Now       func() time.Time

	mu      sync.Mutex
	loaded  bool
	bundles []agentapi.FirstResponderBundle
	// inFlight are captures under way: counted against both limits, and
	// the lock is not held while they read /proc and run dmesg.
	inFlight      int
	inFlightBytes int64
}

func (f *FirstResponder) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f *FirstResponder) readTimeout() time.Duration {
	if f.ReadTimeout > 0 {
		return f.ReadTimeout
	}
	return procfs.DefaultReadTimeout
}

func (f *FirstResponder) procRoot() string {
	if f.ProcRoot != "" {
		return f.ProcRoot
	}
	return procfs.DefaultRoot
}

// Capture takes the bundle of one suspect episode of handle; d is the
// D-state poller's list of threads in D when the container became a
// suspect. It refuses with ErrRateLimited or ErrDiskCap when a limit holds.
func (f *FirstResponder) Capture(ctx context.Context, handle string, d []agentapi.DProcess) (agentapi.FirstResponderBundle, error) {
	logger := f.Logger.Session("first-responder", lager.Data{"container_handle": handle})
	start := time.Now()
	now := f.now()
	room, err := f.reserve(logger, now)
	if err != nil {
		return agentapi.FirstResponderBundle{}, err
	}
	done := func(rec *agentapi.FirstResponderBundle) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.inFlight--
		f.inFlightBytes -= room
		if rec != nil {
			f.bundles = append(f.bundles, *rec)
		}
	}
	logger.Info("starting", lager.Data{"d_state_threads": len(d)})
	rec := agentapi.FirstResponderBundle{Container: handle, CapturedAt: now.UTC()}
	var container agentapi.Container
	var containerErr error
	if f.Container != nil {
		container, containerErr = f.Container(ctx, handle)
		if containerErr == nil {
			rec.AppGUID, rec.Index = container.AppGUID, container.Index
		} else {
			logger.Info("container-not-described", lager.Data{"error": containerErr.Error()})
		}
	} else {
		containerErr = errors.New("no container source configured")
	}
	finalName := fmt.Sprintf("%s%s-%s.tar.gz", bundlePrefix, safeName(handle), now.UTC().Format("20060102T150405.000Z"))
	b, err := writeBundle(f.Dir, finalName, room, now, func(w *writer) {
		w.addJSON("suspect.json", map[string]any{
			"container": handle, "app_guid": rec.AppGUID, "index": rec.Index, "captured_at": rec.CapturedAt,
		})
		w.addJSON("d-state-threads.json", f.threads(d))
		if containerErr != nil {
			w.note(fmt.Sprintf("container.json: %v", containerErr))
		} else {
			w.addJSON("container.json", container)
			w.addText("container-processes.txt", f.processes(container.Pids))
		}
		for _, name := range []string{"vmstat", "loadavg", "meminfo", "pressure/cpu", "pressure/io", "pressure/memory"} {
			b, err := procfs.ReadFileWithin(filepath.Join(f.procRoot(), name), 1<<20, f.readTimeout())
			if err != nil {
				w.note(fmt.Sprintf("%s: %v", name, err))
				continue
			}
			w.addBytes(strings.ReplaceAll(name, "/", "-")+".txt", b)
		}
		if out, err := dmesg(ctx); err != nil {
			w.note(fmt.Sprintf("dmesg: not readable: %v", err))
		} else {
			if len(out) > dmesgTailBytes {
				out = out[len(out)-dmesgTailBytes:]
			}
			w.addBytes("dmesg-tail.txt", out)
		}
	})
	if err != nil {
		done(nil)
		logger.Error("failed", err)
		return agentapi.FirstResponderBundle{}, err
	}
	rec.Path, rec.Bytes, rec.Truncated = b.Path, b.Bytes, len(b.Truncated) > 0
	rec.Seconds = time.Since(start).Seconds()
	done(&rec)
	logger.Info("finished", lager.Data{"path": rec.Path, "bytes": rec.Bytes, "took_ms": time.Since(start).Milliseconds(), "app_guid": rec.AppGUID})
	return rec, nil
}

// reserve checks both limits, counting captures under way, and returns
// the room the new bundle may take.
func (f *FirstResponder) reserve(logger lager.Logger, now time.Time) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.loadLocked()
	perHour := f.MaxPerHour
	if perHour <= 0 {
		perHour = DefaultFirstResponderPerHour
	}
	recent := f.inFlight
	used := f.inFlightBytes
	for _, b := range f.bundles {
		if now.Sub(b.CapturedAt) < time.Hour {
			recent++
		}
		used += b.Bytes
	}
	if recent >= perHour {
		logger.Info("skipped", lager.Data{"reason": "rate", "per_hour": perHour})
		return 0, fmt.Errorf("%w (%d)", ErrRateLimited, perHour)
	}
	total := f.MaxTotalBytes
	if total <= 0 {
		total = DefaultFirstResponderTotalBytes
	}
	room := f.MaxBundleBytes
	if room <= 0 {
		room = DefaultFirstResponderBundleBytes
	}
	if left := total - used; left < room {
		room = left
	}
	if room < minBundleBytes {
		logger.Info("skipped", lager.Data{"reason": "disk-cap", "used_bytes": used, "max_total_bytes": total})
		return 0, fmt.Errorf("%w (%d of %d bytes used)", ErrDiskCap, used, total)
	}
	f.inFlight++
	f.inFlightBytes += room
	return room, nil
}

// Bundles lists the bundles in Dir, oldest first, including those an
// earlier run of the agent captured.
func (f *FirstResponder) Bundles() []agentapi.FirstResponderBundle {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.loadLocked()
	return append([]agentapi.FirstResponderBundle(nil), f.bundles...)
}

// loadLocked reads what an earlier run left in Dir once, so the hourly
// limit and the disk cap hold across agent restarts.
func (f *FirstResponder) loadLocked() {
	if f.loaded {
		return
	}
	f.loaded = true
	ents, err := os.ReadDir(f.Dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if e.IsDir() || !strings.HasPrefix(e.Name(), bundlePrefix) || !strings.HasSuffix(e.Name(), ".tar.gz") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		handle := strings.TrimPrefix(e.Name(), bundlePrefix)
		if i := strings.LastIndexByte(handle, '-'); i > 0 {
			handle = handle[:i]
		}
		f.bundles = append(f.bundles, agentapi.FirstResponderBundle{
			Path: filepath.Join(f.Dir, e.Name()), Container: handle, CapturedAt: info.ModTime().UTC(), Bytes: info.Size(),
		})
	}
	sort.Slice(f.bundles, func(i, j int) bool { return f.bundles[i].CapturedAt.Before(f.bundles[j].CapturedAt) })
}

// thread is one thread in D state with where the kernel holds it.
type thread struct {
	agentapi.DProcess
	Stack string `json:"stack"`
}

func (f *FirstResponder) threads(d []agentapi.DProcess) []thread {
	out := make([]thread, 0, len(d))
	for _, p := range d {
		t := thread{DProcess: p}
		// /proc/<tid> resolves for every thread, listed or not.
		dir := filepath.Join(f.procRoot(), strconv.Itoa(p.Pid))
		if b, err := procfs.ReadFileWithin(filepath.Join(dir, "stack"), 64<<10, f.readTimeout()); err == nil {
			t.Stack = string(b)
		} else {
			t.Stack = "unreadable: " + err.Error()
		}
		if t.Wchan == "" {
			if b, err := procfs.ReadFileWithin(filepath.Join(dir, "wchan"), 256, f.readTimeout()); err == nil {
				t.Wchan = strings.TrimSpace(string(b))
			}
		}
		out = append(out, t)
	}
	return out
}

// processes lists the container's processes with the state of each
// thread; a cmdline that does not come within the deadline is named so.
func (f *FirstResponder) processes(pids []int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-8s %-8s %-5s %-16s %s\n", "PID", "TID", "STATE", "COMM", "CMDLINE")
	for _, pid := range pids {
		dir := filepath.Join(f.procRoot(), strconv.Itoa(pid))
		cmd, err := procfs.ReadFileWithin(filepath.Join(dir, "cmdline"), 512, cmdlineReadTimeout)
		cmdline := strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " "))
		if err != nil {
			cmdline = "(unreadable: " + err.Error() + ")"
		}
		tids, err := os.ReadDir(filepath.Join(dir, "task"))
		if err != nil {
			fmt.Fprintf(&b, "%-8d %-8s %-5s %-16s %s\n", pid, "-", "?", "?", cmdline)
			continue
		}
		for _, e := range tids {
			tid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			st, err := procfs.ReadStat(filepath.Join(dir, "task"), tid)
			if err != nil {
				continue
			}
			fmt.Fprintf(&b, "%-8d %-8d %-5c %-16s %s\n", pid, tid, st.State, st.Comm, cmdline)
			cmdline = ""
		}
	}
	return b.String()
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
}
