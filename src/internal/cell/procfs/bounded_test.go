package procfs_test

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"code.cloudfoundry.org/clock/fakeclock"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/procfs"
)

// A FIFO nobody writes to blocks its reader in the kernel, as the environ
// of a process stuck in D state with its memory lock held does.
func stuckFile(t *testing.T, dir string) (path string, release func()) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, "environ")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	released := false
	release = func() {
		if released {
			return
		}
		released = true
		// A writer that opens and closes lets the reader see EOF.
		if f, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
			f.Close()
		}
	}
	t.Cleanup(release)
	return path, release
}

type readResult struct {
	b   []byte
	err error
}

func readAsync(r *procfs.BoundedReader, path string) chan readResult {
	ch := make(chan readResult, 1)
	go func() {
		b, err := r.Read(path)
		ch <- readResult{b, err}
	}()
	return ch
}

func TestBoundedReaderAbandonsABlockedReadAtItsDeadline(t *testing.T) {
	root := t.TempDir()
	clk := fakeclock.NewFakeClock(time.Now())
	r := &procfs.BoundedReader{Timeout: time.Second, Workers: 2, Clock: clk}
	plain := filepath.Join(root, "1", "environ")
	_ = os.MkdirAll(filepath.Dir(plain), 0o755)
	if err := os.WriteFile(plain, []byte("A=1\x00"), 0o600); err != nil {
		t.Fatal(err)
	}

	stuck, release := stuckFile(t, filepath.Join(root, "2"))
	pending := readAsync(r, stuck)
	clk.WaitForWatcherAndIncrement(time.Second)
	if res := <-pending; !errors.Is(res.err, procfs.ErrReadStuck) {
		t.Fatalf("blocked read = %q, %v; want ErrReadStuck", res.b, res.err)
	}

	steps := []struct {
		name string
		path string
		want error
	}{
		{"the same process again is skipped at once", filepath.Join(root, "2", "cmdline"), procfs.ErrReadStuck},
		{"another process still reads", plain, nil},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			b, err := r.Read(s.path)
			if !errors.Is(err, s.want) || (s.want == nil && string(b) != "A=1\x00") {
				t.Fatalf("Read = %q, %v; want %v", b, err, s.want)
			}
		})
	}

	// A second blocked read takes the last worker: the next read is
	// refused at once instead of queueing behind them.
	stuck2, _ := stuckFile(t, filepath.Join(root, "3"))
	pending = readAsync(r, stuck2)
	clk.WaitForWatcherAndIncrement(time.Second)
	if res := <-pending; !errors.Is(res.err, procfs.ErrReadStuck) {
		t.Fatalf("second blocked read = %v", res.err)
	}
	if _, err := r.Read(plain); !errors.Is(err, procfs.ErrTooManyStuck) {
		t.Fatalf("read with every worker blocked = %v; want ErrTooManyStuck", err)
	}

	// Once the kernel lets the first read go, its worker and its process
	// are usable again.
	release()
	for i := 0; i < 1000 && len(r.Stuck()) > 1; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if got := r.Stuck(); len(got) != 1 || got[0] != filepath.Join(root, "3") {
		t.Fatalf("stuck after release = %v", got)
	}
	if b, err := r.Read(plain); err != nil || string(b) != "A=1\x00" {
		t.Fatalf("read after release = %q, %v", b, err)
	}
}
