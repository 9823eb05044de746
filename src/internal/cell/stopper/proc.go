package stopper

import (
	"context"
	"os"
	"strconv"
	"strings"
	"time"

	"code.cloudfoundry.org/clock"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/procfs"
	"github.com/cloudfoundry-community/cell-sequestration/internal/poll"
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
	return waitOn(ctx, clock.NewClock(), timeout, every, cond)
}

// waitOn is waitUntil on clk (poll.Until, the one polling loop); when ctx
// ends first, cond decides once more.
func waitOn(ctx context.Context, clk clock.Clock, timeout, every time.Duration, cond func() bool) bool {
	err := poll.Until(ctx, clk, every, timeout, func() (bool, error) { return cond(), nil })
	return err == nil || cond()
}
