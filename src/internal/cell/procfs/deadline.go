package procfs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"
)

// DefaultReadTimeout bounds one procfs read when the caller names none.
const DefaultReadTimeout = 2 * time.Second

// maxStuckReads bounds the reads left behind by ReadFileWithin: a read of
// a process stuck in D state can block until the process wakes, and each
// one holds a goroutine and a descriptor.
const maxStuckReads = 64

var stuckReads atomic.Int64

// ErrReadTimeout is returned when a read did not finish within its
// deadline; the read goes on in the background and is dropped.
var ErrReadTimeout = errors.New("procfs read timed out")

// ErrTooManyStuckReads is returned without trying when too many earlier
// reads are still blocked.
var ErrTooManyStuckReads = errors.New("too many procfs reads still blocked")

// ReadFileWithin reads at most limit bytes of path (all of it when limit
// is 0) and gives up after timeout. Reading /proc/<pid>/cmdline, environ
// or stack of a process stuck in D state can block on that process's
// memory map lock (mmap_lock), and stat does not; a scan that must go on
// while the cell is sick reads everything but stat through here.
func ReadFileWithin(path string, limit int64, timeout time.Duration) ([]byte, error) {
	if timeout <= 0 {
		timeout = DefaultReadTimeout
	}
	if stuckReads.Load() >= maxStuckReads {
		return nil, fmt.Errorf("%s: %w (%d)", path, ErrTooManyStuckReads, maxStuckReads)
	}
	type result struct {
		b   []byte
		err error
	}
	// Buffered, so a read that finishes after the deadline does not block.
	done := make(chan result, 1)
	stuckReads.Add(1)
	go func() {
		defer stuckReads.Add(-1)
		b, err := readLimited(path, limit)
		done <- result{b, err}
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-done:
		return r.b, r.err
	case <-t.C:
		return nil, fmt.Errorf("%s: %w after %s", path, ErrReadTimeout, timeout)
	}
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if limit > 0 {
		r = io.LimitReader(f, limit)
	}
	return io.ReadAll(r)
}

// StuckReads is how many reads given up by ReadFileWithin still block.
func StuckReads() int { return int(stuckReads.Load()) }
