package director_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/directorsim"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

// The director's default task listing (verbose=1) hides cloud-check and
// the health monitor's scan-and-fix tasks. One of them holding the
// deployment's lock would let preflight pass and fail the run at its scan,
// with the cell already taken out: preflight sees the lock and refuses.
func TestPreflightRefusesWhileAHiddenTaskHoldsTheDeploymentLock(t *testing.T) {
	for _, tc := range []struct{ kind, description string }{
		{directorsim.KindScanAndFix, "scan and fix"},
		{directorsim.KindScan, "scan cloud"},
		{directorsim.KindApplyResolutions, "apply resolutions"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			l := newLab(t, 30*time.Millisecond)
			tgt := l.target()
			id, release := l.sim.HoldLock(tc.kind, tc.description, "cf")
			t.Cleanup(release)
			l.sim.ResetStats()
			_, err := l.flow("diego-cell/"+tgt.ID, keepSuspects()).Run(withDeadline(t))
			if !refusal.Is(err) {
				t.Fatalf("err = %v; want a refusal", err)
			}
			if !strings.Contains(err.Error(), "task "+strconv.Itoa(id)) || !strings.Contains(err.Error(), tc.description) {
				t.Fatalf("err = %q; want it to name task %d (%s)", err, id, tc.description)
			}
			if n := l.sim.RequestCount("POST", "/configs") + l.sim.RequestCount("PUT", "/resurrection"); n != 0 {
				t.Fatalf("%d writes to configs or resurrection; a refusal changes nothing", n)
			}
			if c := l.cells[tgt.ID]; c.SequesterCalls() != 0 {
				t.Fatal("the agent was asked to sequester")
			}
		})
	}
}
