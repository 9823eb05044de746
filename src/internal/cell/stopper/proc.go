package stopper

import (
	"context"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/procfs"
)

// pidFromFile reads a pid file; 0 when absent or unreadable.
func pidFromFile(path string) int {
	if path == "" {
		return 0
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// alive reports whether pid is a live process; a zombie is dead (it only
// waits for its parent to reap it).
func alive(pid int) bool { return procfs.Alive(procfs.DefaultRoot, pid) }

// waitUntil polls cond until it holds or timeout passes.
func waitUntil(ctx context.Context, timeout, every time.Duration, cond func() bool) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if cond() {
			return true
		}
		select {
		case <-ctx.Done():
			return cond()
		case <-t.C:
		}
	}
}
