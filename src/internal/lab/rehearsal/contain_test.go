package rehearsal_test

import (
	"testing"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/rehearsal"
)

func TestTimeToContainEndsWithTheLastContainmentStep(t *testing.T) {
	start := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	at := func(s int) *time.Time { x := start.Add(time.Duration(s) * time.Second); return &x }
	step := func(name, state string, end int) director.ReportStep {
		return director.ReportStep{Name: name, State: state, StartedAt: at(0), FinishedAt: at(end)}
	}
	all := []director.ReportStep{
		step(agentapi.StepWithdrawRoutes, agentapi.StepDone, 2),
		step(agentapi.StepStopRep, agentapi.StepDone, 3),
		step(agentapi.StepIsolateKept, agentapi.StepSkipped, 4),
		step(agentapi.StepCaptureEvidence, agentapi.StepDone, 9),
		step(agentapi.StepStopBoshAgent, agentapi.StepDone, 6),
	}
	cases := []struct {
		name  string
		steps []director.ReportStep
		want  time.Duration
		ok    bool
	}{
		{name: "the latest of routes, rep, isolation and BOSH agent counts, not evidence", steps: all, want: 6 * time.Second, ok: true},
		{name: "a containment step that failed gives no figure", steps: append(all[:4:4], step(agentapi.StepStopBoshAgent, agentapi.StepFailed, 6)), ok: false},
		{name: "a containment step missing gives no figure", steps: all[:4], ok: false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := rehearsal.TimeToContain(start, &director.Report{CellSteps: c.steps})
			if ok != c.ok || (ok && got != c.want) {
				t.Fatalf("TimeToContain = %v, %v; want %v, %v", got, ok, c.want, c.ok)
			}
		})
	}
}
