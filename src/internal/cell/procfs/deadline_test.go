package procfs_test

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/procfs"
)

func TestReadFileWithinReadsAndLimits(t *testing.T) {
	b, err := procfs.ReadFileWithin("/proc/self/status", 4, time.Second)
	if err != nil || string(b) != "Name" {
		t.Fatalf("ReadFileWithin = %q, %v; want the first 4 bytes", b, err)
	}
	if _, err := procfs.ReadFileWithin(filepath.Join(t.TempDir(), "absent"), 0, time.Second); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("absent file: %v", err)
	}
}

// A FIFO nobody writes to blocks its reader for good, as a stuck
// process's cmdline does: the read gives up at its deadline.
func TestReadFileWithinGivesUpOnABlockedRead(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "blocked")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	start := time.Now()
	_, err := procfs.ReadFileWithin(fifo, 0, 100*time.Millisecond)
	if !errors.Is(err, procfs.ErrReadTimeout) {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("gave up after %s", took)
	}
	if procfs.StuckReads() < 1 {
		t.Fatalf("the blocked read is not counted")
	}
	// Release the reader left behind.
	w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	deadline := time.Now().Add(5 * time.Second)
	for procfs.StuckReads() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := procfs.StuckReads(); n != 0 {
		t.Fatalf("%d reads still counted as stuck after the writer came", n)
	}
}
