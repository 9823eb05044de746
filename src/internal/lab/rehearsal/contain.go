package rehearsal

import (
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
)

// ContainSteps are the cell steps after which the cell takes no traffic
// and no new work: routes withdrawn, rep dead, kept containers isolated,
// BOSH agent stopped (no deploy can restart a job on it).
var ContainSteps = []string{agentapi.StepWithdrawRoutes, agentapi.StepStopRep, agentapi.StepIsolateKept, agentapi.StepStopBoshAgent}

// TimeToContain is the time from start (the command's start) to the end
// of the last containment step the agent reported, and false when one of
// them did not finish.
func TimeToContain(start time.Time, rep *director.Report) (time.Duration, bool) {
	if rep == nil {
		return 0, false
	}
	var last time.Time
	for _, name := range ContainSteps {
		var found *director.ReportStep
		for i := range rep.CellSteps {
			if rep.CellSteps[i].Name == name {
				found = &rep.CellSteps[i]
			}
		}
		if found == nil || found.FinishedAt == nil || (found.State != agentapi.StepDone && found.State != agentapi.StepSkipped) {
			return 0, false
		}
		if found.FinishedAt.After(last) {
			last = *found.FinishedAt
		}
	}
	return last.Sub(start), true
}
