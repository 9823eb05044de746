package agent

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/dstate"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/hungtask"
)

// A kernel log that cannot be read is said in the health figures, not
// hidden behind a count of zero.
func TestHealthSaysWhenTheKernelLogIsNotFollowed(t *testing.T) {
	logger := lager.NewLogger("test")
	w := &Watch{
		Scanner:      dstate.New(logger, dstate.Config{}),
		PollInterval: time.Hour,
		HungTasks:    &hungtask.Watcher{Path: filepath.Join(t.TempDir(), "no-kmsg")},
		Logger:       logger,
	}
	defer w.Scanner.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		h := w.Health(context.Background(), "cell-1", "idle")
		if len(h.Warnings) == 1 && strings.Contains(h.Warnings[0], "hung-task reports are no longer followed") && strings.Contains(h.Warnings[0], "no-kmsg") {
			if h.Scanned == 0 || h.ScannedAt.IsZero() {
				t.Fatalf("no scan in the figures: %+v", h)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("warnings = %v", h.Warnings)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
