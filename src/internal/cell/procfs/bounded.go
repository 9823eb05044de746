package procfs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"code.cloudfoundry.org/clock"
)

// Reading /proc/<pid>/cmdline or environ takes the process's memory lock
// (access_remote_vm in the kernel's fs/proc/base.c), so the read of a
// process stuck in D state while holding that lock blocks until the
// process wakes, if ever; stat, status and cgroup do not take it. Reads of
// those files go through a BoundedReader.

// ErrReadStuck means the read did not return within its deadline; it may
// still be blocked in the kernel.
var ErrReadStuck = errors.New("read of /proc did not return in time (the process may hold its memory lock in D state)")

// ErrTooManyStuck means every worker is blocked in an earlier read.
var ErrTooManyStuck = errors.New("earlier reads of /proc are still blocked")

// BoundedReader reads procfs files that can block, each with a deadline,
// in at most Workers goroutines: a read that outlives its deadline is
// abandoned to its goroutine, which holds a worker until the kernel lets
// it go, and the process's directory is skipped until then, so one stuck
// process costs one deadline, not one per scan.
type BoundedReader struct {
	Timeout time.Duration
	Workers int
	Clock   clock.Clock

	once  sync.Once
	slots chan struct{}
	mu    sync.Mutex
	stuck map[string]bool
}

// DefaultBoundedReader is what ReadBounded uses: 2 s per read, and up to
// 32 reads blocked at once (each holds a goroutine and its thread in the
// kernel) before further reads are refused; a sick cell often has several
// processes stuck, and the stuck ones are skipped, not retried.
var DefaultBoundedReader = &BoundedReader{Timeout: 2 * time.Second, Workers: 32}

// ReadBounded reads path with DefaultBoundedReader.
func ReadBounded(path string) ([]byte, error) { return DefaultBoundedReader.Read(path) }

func (r *BoundedReader) init() {
	r.once.Do(func() {
		n := r.Workers
		if n <= 0 {
			n = 32
		}
		r.slots = make(chan struct{}, n)
		r.stuck = map[string]bool{}
		if r.Clock == nil {
			r.Clock = clock.NewClock()
		}
		if r.Timeout <= 0 {
			r.Timeout = 2 * time.Second
		}
	})
}

// Read returns the whole file, or ErrReadStuck or ErrTooManyStuck without
// waiting longer than the deadline.
func (r *BoundedReader) Read(path string) ([]byte, error) {
	return r.ReadWithin(path, 0, 0)
}

// ReadWithin reads at most limit bytes of path (all of it when limit is
// 0), giving up after timeout (the reader's Timeout when 0).
func (r *BoundedReader) ReadWithin(path string, limit int64, timeout time.Duration) ([]byte, error) {
	r.init()
	if timeout <= 0 {
		timeout = r.Timeout
	}
	dir := filepath.Dir(path)
	r.mu.Lock()
	stuck := r.stuck[dir]
	r.mu.Unlock()
	if stuck {
		return nil, fmt.Errorf("%s: %w (an earlier read is still blocked)", path, ErrReadStuck)
	}
	select {
	case r.slots <- struct{}{}:
	default:
		return nil, fmt.Errorf("%s: %w (%d)", path, ErrTooManyStuck, cap(r.slots))
	}
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	var mu sync.Mutex
	abandoned := false
	go func() {
		b, err := readLimited(path, limit)
		<-r.slots
		mu.Lock()
		if abandoned {
			r.mu.Lock()
			delete(r.stuck, dir)
			r.mu.Unlock()
		}
		mu.Unlock()
		done <- result{b, err}
	}()
	timer := r.Clock.NewTimer(timeout)
	defer timer.Stop()
	select {
	case res := <-done:
		return res.b, res.err
	case <-timer.C():
		mu.Lock()
		select {
		case res := <-done:
			mu.Unlock()
			return res.b, res.err
		default:
		}
		abandoned = true
		r.mu.Lock()
		r.stuck[dir] = true
		r.mu.Unlock()
		mu.Unlock()
		return nil, fmt.Errorf("%s: %w after %s", path, ErrReadStuck, timeout)
	}
}

// Stuck lists the directories whose reads are still blocked.
func (r *BoundedReader) Stuck() []string {
	r.init()
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.stuck))
	for d := range r.stuck {
		out = append(out, d)
	}
	return out
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rd io.Reader = f
	if limit > 0 {
		rd = io.LimitReader(f, limit)
	}
	return io.ReadAll(rd)
}
