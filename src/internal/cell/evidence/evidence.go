// Package evidence captures what investigators need from a cell before it
// changes further: the process table, processes stuck in D state with their
// kernel stacks, dmesg, mounts, the containers, the cell's ActualLRPs and
// the tails of the cell jobs' logs, into one tar.gz under a size cap.
package evidence

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/confined"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/procfs"
)

// Defaults.
const (
	DefaultMaxBytes  = 64 << 20
	DefaultTailBytes = 1 << 20
)

// Collector captures one bundle. Optional sources left nil are noted in the
// bundle as not collected.
type Collector struct {
	// Dir receives the bundle (created 0700).
	Dir string
	// MaxBytes caps the bundle file; entries that do not fit are cut or
	// left out and the manifest says which.
	MaxBytes int64
	// LogFiles are tailed (the rep's, route emitter's, garden's logs).
	LogFiles  []string
	TailBytes int64
	ProcRoot  string

	// Containers returns the container list with properties.
	Containers func(ctx context.Context) (any, error)
	// ActualLRPs returns the cell's ActualLRPs as BBS reports them.
	ActualLRPs func(ctx context.Context) (any, error)
	// DStateReport returns the D-state poller's view (with since-when).
	DStateReport func() any
	// FirstResponder lists the first-responder bundles taken before.
	FirstResponder func() any

	Logger lager.Logger
	Now    func() time.Time
}

// Bundle describes a captured bundle.
type Bundle struct {
	Path      string   `json:"path"`
	Bytes     int64    `json:"bytes"`
	Entries   []string `json:"entries"`
	Truncated []string `json:"truncated,omitempty"`
	Notes     []string `json:"notes,omitempty"`
}

// ManifestName is the bundle's table of contents, written last.
const ManifestName = "MANIFEST.json"

// manifestReserve keeps room under the cap for the manifest and the tar
// and gzip trailers.
const manifestReserve = 16 << 10

// Capture writes name-<time>.tar.gz in Dir and returns what went in.
func (c Collector) Capture(ctx context.Context, name string) (Bundle, error) {
	logger := c.Logger.Session("capture-evidence")
	logger.Info("starting")
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	maxBytes := c.MaxBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	procRoot := c.ProcRoot
	if procRoot == "" {
		procRoot = "/proc"
	}
	finalName := fmt.Sprintf("%s-%s.tar.gz", name, now().UTC().Format("20060102T150405Z"))
	b, err := writeBundle(c.Dir, finalName, maxBytes, now(), func(w *writer) {
		// Most telling first: if the cap bites, it bites the logs.
		dproc := scanDState(procRoot)
		w.addJSON("d-state.json", dproc)
		w.addText("processes.txt", processTable(procRoot))
		if c.DStateReport != nil {
			w.addJSON("d-state-poller.json", c.DStateReport())
		} else {
			w.note("d-state-poller.json: no D-state poller configured")
		}
		if c.FirstResponder != nil {
			// The bundles taken when each container first became a
			// suspect hold the moment this capture comes too late for.
			w.addJSON("first-responder.json", c.FirstResponder())
		}
		if out, err := dmesg(ctx); err != nil {
			w.note(fmt.Sprintf("dmesg: not readable: %v", err))
		} else {
			w.addBytes("dmesg.txt", out)
		}
		if b, err := os.ReadFile(filepath.Join(procRoot, "mounts")); err != nil {
			w.note(fmt.Sprintf("mounts: %v", err))
		} else {
			w.addBytes("mounts.txt", b)
		}
		c.addSource(ctx, w, "containers.json", c.Containers)
		c.addSource(ctx, w, "actual-lrps.json", c.ActualLRPs)
		tail := c.TailBytes
		if tail <= 0 {
			tail = DefaultTailBytes
		}
		for _, lf := range c.LogFiles {
			b, err := tailFile(lf, tail)
			if err != nil {
				w.note(fmt.Sprintf("log %s: %v", lf, err))
				continue
			}
			w.addBytes("logs/"+strings.TrimPrefix(strings.ReplaceAll(lf, "/", "_"), "_"), b)
		}
	})
	if err != nil {
		return Bundle{}, err
	}
	logger.Info("finished", lager.Data{"path": b.Path, "bytes": b.Bytes, "entries": len(b.Entries), "truncated": len(b.Truncated)})
	return b, nil
}

// writeBundle writes a tar.gz named finalName in dirPath under maxBytes:
// fill adds the entries, then the manifest goes last. The file appears
// under its final name only once complete. The directory is opened once
// and written beneath without following a link out of it: a link planted
// under the bundle's name is replaced, never written through.
func writeBundle(dirPath, finalName string, maxBytes int64, now time.Time, fill func(w *writer)) (Bundle, error) {
	dir, err := confined.OpenDir(dirPath, 0o700)
	if err != nil {
		return Bundle{}, fmt.Errorf("evidence dir: %w", err)
	}
	defer dir.Close()
	final := dir.Path(finalName)
	f, tmp, err := dir.CreateTemp(".evidence-", ".tar.gz")
	if err != nil {
		return Bundle{}, fmt.Errorf("evidence: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			_ = dir.Remove(tmp)
		}
	}()
	w := &writer{f: f, max: maxBytes, now: now}
	w.gz = gzip.NewWriter(&w.counter)
	w.counter.w = f
	w.tw = tar.NewWriter(w.gz)
	fill(w)
	b := Bundle{Path: final, Entries: w.entries, Truncated: w.truncated, Notes: w.notes}
	manifest, _ := json.MarshalIndent(b, "", "  ")
	w.force(ManifestName, manifest)
	if err := w.close(); err != nil {
		return Bundle{}, fmt.Errorf("evidence: %w", err)
	}
	if err := f.Sync(); err != nil {
		return Bundle{}, fmt.Errorf("evidence: %w", err)
	}
	if err := f.Close(); err != nil {
		return Bundle{}, fmt.Errorf("evidence: %w", err)
	}
	if err := dir.Rename(tmp, finalName); err != nil {
		return Bundle{}, fmt.Errorf("evidence: %w", err)
	}
	ok = true
	st, err := dir.Lstat(finalName)
	if err != nil {
		return Bundle{}, fmt.Errorf("evidence: %w", err)
	}
	b.Bytes = st.Size()
	return b, nil
}

func (c Collector) addSource(ctx context.Context, w *writer, name string, src func(context.Context) (any, error)) {
	if src == nil {
		w.note(name + ": source not configured")
		return
	}
	v, err := src(ctx)
	if err != nil {
		w.note(fmt.Sprintf("%s: %v", name, err))
		return
	}
	w.addJSON(name, v)
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// writer adds entries while the compressed size stays under the cap. The
// raw size of an entry bounds its compressed size (gzip adds at most a few
// bytes per 16 KiB block), so an entry is cut to the room left in raw bytes.
type writer struct {
	f         *os.File
	counter   countingWriter
	gz        *gzip.Writer
	tw        *tar.Writer
	max       int64
	now       time.Time
	entries   []string
	truncated []string
	notes     []string
	err       error
}

func (w *writer) note(s string) { w.notes = append(w.notes, s) }

func (w *writer) room() int64 {
	if w.err != nil {
		return 0
	}
	if err := w.gz.Flush(); err != nil {
		w.err = err
		return 0
	}
	// 1% slack covers gzip's stored-block overhead and the tar headers.
	return (w.max-manifestReserve)*99/100 - w.counter.n - 1024
}

func (w *writer) addJSON(name string, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		w.note(fmt.Sprintf("%s: encode: %v", name, err))
		return
	}
	w.addBytes(name, b)
}

func (w *writer) addText(name, s string) { w.addBytes(name, []byte(s)) }

func (w *writer) addBytes(name string, b []byte) {
	room := w.room()
	if room <= 0 {
		w.truncated = append(w.truncated, name+" (left out: size cap reached)")
		return
	}
	if int64(len(b)) > room {
		w.truncated = append(w.truncated, fmt.Sprintf("%s (cut to %d of %d bytes: size cap)", name, room, len(b)))
		b = b[:room]
	}
	w.write(name, b)
}

// force writes the manifest whatever the room: it is small and says what
// is missing.
func (w *writer) force(name string, b []byte) { w.write(name, b) }

func (w *writer) write(name string, b []byte) {
	if w.err != nil {
		return
	}
	hdr := &tar.Header{Name: name, Mode: 0o600, Size: int64(len(b)), ModTime: w.now, Typeflag: tar.TypeReg}
	if err := w.tw.WriteHeader(hdr); err != nil {
		w.err = err
		return
	}
	if _, err := w.tw.Write(b); err != nil {
		w.err = err
		return
	}
	w.entries = append(w.entries, name)
}

func (w *writer) close() error {
	if w.err != nil {
		return w.err
	}
	if err := w.tw.Close(); err != nil {
		return err
	}
	return w.gz.Close()
}

// cmdlineReadTimeout is shorter than procfs' default: the process table
// reads one per process, and a stuck one must not hold the bundle up.
const cmdlineReadTimeout = 500 * time.Millisecond

// DProcess is one process found in D state at capture time.
type DProcess struct {
	Pid    int    `json:"pid"`
	Comm   string `json:"comm"`
	Wchan  string `json:"wchan,omitempty"`
	Stack  string `json:"stack,omitempty"`
	Cgroup string `json:"cgroup,omitempty"`
}

func pids(procRoot string) []int {
	ents, err := os.ReadDir(procRoot)
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			out = append(out, pid)
		}
	}
	sort.Ints(out)
	return out
}

func scanDState(procRoot string) []DProcess {
	var out []DProcess
	for _, pid := range pids(procRoot) {
		st, err := procfs.ReadStat(procRoot, pid)
		if err != nil || st.State != 'D' {
			continue
		}
		d := DProcess{Pid: pid, Comm: st.Comm}
		dir := filepath.Join(procRoot, strconv.Itoa(pid))
		if b, err := procfs.ReadFileWithin(filepath.Join(dir, "wchan"), 256, procfs.DefaultReadTimeout); err == nil {
			d.Wchan = strings.TrimSpace(string(b))
		}
		if b, err := procfs.ReadFileWithin(filepath.Join(dir, "stack"), 64<<10, procfs.DefaultReadTimeout); err == nil {
			d.Stack = string(b)
		} else {
			d.Stack = "unreadable: " + err.Error()
		}
		if b, err := procfs.ReadFileWithin(filepath.Join(dir, "cgroup"), 64<<10, procfs.DefaultReadTimeout); err == nil {
			d.Cgroup = string(b)
		}
		out = append(out, d)
	}
	return out
}

func processTable(procRoot string) string {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%-8s %-8s %-5s %-16s %s\n", "PID", "PPID", "STATE", "COMM", "CMDLINE")
	for _, pid := range pids(procRoot) {
		st, err := procfs.ReadStat(procRoot, pid)
		if err != nil {
			continue
		}
		// cmdline of a process stuck in D can block on its memory map.
		cmd, err := procfs.ReadFileWithin(filepath.Join(procRoot, strconv.Itoa(pid), "cmdline"), 512, cmdlineReadTimeout)
		if err != nil {
			cmd = []byte("(cmdline unreadable: " + err.Error() + ")")
		}
		fmt.Fprintf(&buf, "%-8d %-8d %-5c %-16s %s\n", st.Pid, st.PPid, st.State, st.Comm,
			strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " ")))
	}
	return buf.String()
}

func dmesg(ctx context.Context) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "dmesg", "--ctime").Output()
	if err != nil {
		// busybox dmesg knows no --ctime.
		out, err = exec.CommandContext(ctx, "dmesg").Output()
	}
	return out, err
}

// tailFile reads the last n bytes of a job's log file. The file is in a
// directory the job writes, so it may have been replaced by a link to a
// secret; confined.OpenFile refuses that.
func tailFile(path string, n int64) ([]byte, error) {
	f, err := confined.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	off := st.Size() - n
	if off < 0 {
		off = 0
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(f, n))
}
