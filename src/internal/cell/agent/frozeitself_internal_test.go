package agent

import (
	"context"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/journal"
)

// The D-state scan excuses only the agent's own freezes: kept containers
// of its operation once isolation (with freeze) has started.
func TestFrozeItselfNamesOnlyKeptContainersItFroze(t *testing.T) {
	cases := []struct {
		name      string
		freeze    bool
		isolation string
		handle    string
		want      bool
	}{
		{"kept and frozen while isolating", true, agentapi.StepDone, "kept", true},
		{"kept, isolation under way", true, agentapi.StepRunning, "kept", true},
		{"kept, isolation not started yet", true, agentapi.StepPending, "kept", false},
		{"kept without freeze", false, agentapi.StepDone, "kept", false},
		{"not kept", true, agentapi.StepDone, "other", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j, err := journal.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			a, err := New(Deps{
				CellID: "cell-1", Logger: lager.NewLogger("test"), Journal: j,
				Backend:      func(context.Context) (containers.Backend, error) { return listOnly{}, nil },
				RouteEmitter: stopperFunc(nil), Rep: stopperFunc(nil), BoshAgent: stopperFunc(nil),
				Evidence: noEvidence{}, SSH: sshReady{},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			if a.FrozeItself("kept") {
				t.Fatal("an idle agent claims a freeze")
			}
			req := agentapi.SequesterRequest{OperationID: "op-1", Freeze: c.freeze, Keep: agentapi.Keep{Handles: []string{"kept"}}}
			st := journal.NewState("cell-1", req, Steps, time.Now())
			st.Status.Kept = []string{"kept"}
			st.Step(agentapi.StepIsolateKept).State = c.isolation
			if err := j.Begin(st); err != nil {
				t.Fatal(err)
			}
			if got := a.FrozeItself(c.handle); got != c.want {
				t.Fatalf("FrozeItself(%s) = %v, want %v", c.handle, got, c.want)
			}
		})
	}
}
