package director_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
)

func TestReportTellsTheCellSideStepByStep(t *testing.T) {
	start := time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)
	at := func(s int) *time.Time { v := start.Add(time.Duration(s) * time.Second); return &v }
	rec := &record.Record{
		ID: "seq-1", Deployment: "cf", InstanceGroup: "diego-cell", InstanceID: "abc", State: record.StateComplete,
		Steps: []record.Step{{Name: director.StepContain, State: record.StepDone, StartedAt: at(0), FinishedAt: at(90)}},
		CellSteps: []agentapi.Step{
			{Name: agentapi.StepStopRep, State: agentapi.StepDone, StartedAt: at(1), FinishedAt: at(3), Detail: "rep unmonitored and pid 42 killed with SIGKILL; stayed dead"},
			{Name: agentapi.StepIsolateKept, State: agentapi.StepDone, StartedAt: at(3), FinishedAt: at(4), Detail: "1 container isolated; not frozen: h-1 (a task in D state refused the freezer)"},
		},
		NoReplacement: []string{"app-b/0"},
		PruneFailures: map[string]string{"h-9": "garden: destroy timed out"},
		SSH:           &agentapi.SSHStatus{User: "investigator", Ready: false, Problem: "no authorized keys"},
	}
	rep := director.NewReport(rec)
	if len(rep.CellSteps) != 2 || rep.CellSteps[1].Detail == "" || rep.CellSteps[0].DurationSeconds != 2 {
		t.Fatalf("cell steps = %+v", rep.CellSteps)
	}
	var out bytes.Buffer
	rep.WriteText(&out)
	for _, want := range []string{
		"- stop-rep", "2.0s", "killed with SIGKILL",
		"not frozen: h-1",
		"not pruned: h-9: garden: destroy timed out",
		"pruned before BBS ran them elsewhere", "app-b/0",
		"Investigator SSH: investigator NOT ready: no authorized keys",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestPlanTextShowsHowEachCellPartWasReached(t *testing.T) {
	p := &director.PlanReport{Instance: "diego-cell/abc", Deployment: "cf", Agent: &agentapi.Plan{Parts: []agentapi.Part{
		{Name: "monit", Ready: true, Detail: "monit 5.2.5 answers at 127.0.0.1:2822 (through the stemcell's monit firewall)"},
		{Name: "runc root", Advisory: true, Detail: "runc root /run/runc cannot be read"},
		{Name: "investigator SSH", Detail: "investigator user investigator does not exist"},
	}}}
	var out bytes.Buffer
	p.WriteText(&out)
	for _, want := range []string{
		"part  ready monit: monit 5.2.5 answers at 127.0.0.1:2822",
		"part  WARN  runc root: runc root /run/runc cannot be read",
		"part  NOT READY investigator SSH: investigator user investigator does not exist",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("plan text lacks %q:\n%s", want, out.String())
		}
	}
}

func TestReportGivesTheTimeToContainAndHowLongTheBridgeLasted(t *testing.T) {
	start := time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)
	at := func(s float64) *time.Time { v := start.Add(time.Duration(s * float64(time.Second))); return &v }
	for _, tc := range []struct {
		name                      string
		contained                 *time.Time
		bridge                    bool
		bridgeEnded               *time.Time
		wantContain, wantAfterPre float64
		wantBridge                float64
		wantText                  []string
	}{
		{"contained, bridge ended", at(9.5), true, at(70), 9.5, 6.5, 67, []string{"9.5s after the command started, 6.5s after preflight", "bridged the health monitor's re-read of the scoped rule for 67.0s"}},
		{"contained, bridge still on", at(9.5), true, nil, 9.5, 6.5, 0, []string{"the GLOBAL switch is STILL PAUSED as a bridge"}},
		{"not contained", nil, false, nil, 0, 0, 0, []string{"NOT CONTAINED"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &record.Record{
				ID: "seq-1", Deployment: "cf", InstanceGroup: "diego-cell", InstanceID: "abc", State: record.StateComplete,
				Steps:        []record.Step{{Name: director.StepPreflight, State: record.StepDone, StartedAt: at(0), FinishedAt: at(3)}},
				ContainedAt:  tc.contained,
				Resurrection: record.Resurrection{Mode: record.ResurrectionScoped, PausedAt: at(3), Bridge: tc.bridge, BridgeEndedAt: tc.bridgeEnded},
			}
			rep := director.NewReport(rec)
			if rep.TimeToContainSeconds != tc.wantContain || rep.TimeToContainAfterPreflightSeconds != tc.wantAfterPre || rep.ResurrectionBridgeSeconds != tc.wantBridge {
				t.Fatalf("contain %v / after preflight %v / bridge %v; want %v / %v / %v", rep.TimeToContainSeconds, rep.TimeToContainAfterPreflightSeconds,
					rep.ResurrectionBridgeSeconds, tc.wantContain, tc.wantAfterPre, tc.wantBridge)
			}
			if (rep.ContainedAt == nil) != (tc.contained == nil) {
				t.Fatalf("contained_at = %v", rep.ContainedAt)
			}
			var out bytes.Buffer
			rep.WriteText(&out)
			for _, want := range tc.wantText {
				if !strings.Contains(out.String(), want) {
					t.Errorf("report lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

// The errand's report and the plan show the target cell's D-state
// figures as `sequester suspects` does.
func TestReportAndPlanShowTheCellsHealthFigures(t *testing.T) {
	idx := 1
	h := &agentapi.Health{DThreads: 4, OldestDSeconds: 300, HungTaskReports: 1,
		Suspects:       []agentapi.Suspect{{Container: "h-1", AppGUID: "app-1", Index: &idx, DThreads: 4, OldestSeconds: 300}},
		FirstResponder: []agentapi.FirstResponderBundle{{Path: "/b.tar.gz"}}}
	want := "4 thread(s) in D state, the oldest for 5m0s; suspects: h-1 (app app-1/1, 4 thread(s), 5m0s); 1 hung-task report(s); 1 first-responder bundle(s)"
	rep := director.NewReport(&record.Record{ID: "seq-1", Deployment: "cf", InstanceGroup: "diego-cell", InstanceID: "abc", State: record.StateComplete})
	rep.Health = h
	var out bytes.Buffer
	rep.WriteText(&out)
	if !strings.Contains(out.String(), "cell health at preflight: "+want) {
		t.Errorf("report lacks the figures:\n%s", out.String())
	}
	out.Reset()
	plan := &director.PlanReport{Deployment: "cf", Instance: "diego-cell/abc", Agent: &agentapi.Plan{Health: h}}
	plan.WriteText(&out)
	if !strings.Contains(out.String(), "health "+want) {
		t.Errorf("plan lacks the figures:\n%s", out.String())
	}
}
