package procfs

import "time"

// DefaultReadTimeout bounds one procfs read when the caller names none.
const DefaultReadTimeout = 2 * time.Second

// The names callers of ReadFileWithin test for: the same errors as the
// BoundedReader's.
var (
	ErrReadTimeout       = ErrReadStuck
	ErrTooManyStuckReads = ErrTooManyStuck
)

// ReadFileWithin reads at most limit bytes of path (all of it when limit
// is 0) through DefaultBoundedReader, giving up after timeout: reading
// /proc/<pid>/cmdline, environ, stack or wchan of a process stuck in D
// state can block on that process's locks, and stat does not; a scan
// that must go on while the cell is sick reads everything but stat
// through here or ReadBounded.
func ReadFileWithin(path string, limit int64, timeout time.Duration) ([]byte, error) {
	if timeout <= 0 {
		timeout = DefaultReadTimeout
	}
	return DefaultBoundedReader.ReadWithin(path, limit, timeout)
}

// StuckReads is how many processes' reads, given up after their
// deadline, still block in the kernel.
func StuckReads() int { return len(DefaultBoundedReader.Stuck()) }
