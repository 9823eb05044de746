package e2e_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/journal"
	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/cellrig"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/directorsim"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
)

// TestARestartedAgentAKilledErrandAndAFailedRedeployAreResumedByReRuns
// breaks one sequestration three ways and re-runs the same command after
// each:
//
//  1. the real agent is restarted while it prunes, and investigator access
//     breaks before the BOSH agent stop: the cell side fails with the BOSH
//     agent still up, so resurrection is restored at once;
//  2. the re-run resumes the same operation on the (again restarted) agent
//     and dies right after: the agent finishes alone and stops the BOSH
//     agent; resurrection stays paused and the health monitor leaves the
//     silent VM alone;
//  3. the next re-run finds the cell side done, deletes the VM reference,
//     and the redeploy fails: inside the unsafe window resurrection stays
//     paused and the VM-less instance is not recreated on its old IP;
//  4. the last re-run completes with the same invariants as a clean run.
func TestARestartedAgentAKilledErrandAndAFailedRedeployAreResumedByReRuns(t *testing.T) {
	l := newLab(t)
	// One worker and a slow destroy keep the prune going long enough to
	// restart the agent in the middle of it.
	l.agentCfg.Prune.Workers = 1
	l.startAgent(700 * time.Millisecond)
	// Someone removes the investigator from bosh_sshers once the rep is
	// dead: after the plan, before the agent's SSH check.
	l.w.AfterRepDies(func() {
		if err := os.WriteFile(l.group, []byte("bosh_sshers:x:1501:vcap\n"), 0o644); err != nil {
			t.Error(err)
		}
	})

	type result struct {
		rep *director.Report
		err error
	}
	first := make(chan result, 1)
	go func() {
		rep, err := l.run()
		first <- result{rep, err}
	}()
	waitFor(t, 60*time.Second, "the prune to start", func() bool { return len(l.gardenHandles()) < len(l.handles) })
	l.stopAgent(l.agent)
	mid, err := journal.Read(l.agentCfg.StateDir)
	if err != nil {
		t.Fatal(err)
	}
	if s := mid.Step(agentapi.StepPruneContainers); s == nil || s.State != agentapi.StepRunning {
		t.Fatalf("the agent stopped, but its journal says prune is %+v", s)
	}
	if n := len(l.gardenHandles()); n <= 1 {
		t.Fatalf("the prune finished before the restart (%d containers left); the test proves nothing", n)
	}
	l.startAgent(0)
	r1 := <-first

	if r1.err == nil || !strings.Contains(r1.err.Error(), "cell side failed") || !strings.Contains(r1.err.Error(), "investigator SSH is not ready") {
		t.Fatalf("first run: %v; want the cell side's SSH failure", r1.err)
	}
	if r1.rep == nil || r1.rep.State != record.StateFailed || r1.rep.Resurrection.LeftPaused || r1.rep.Resurrection.RestoredAt == nil {
		t.Fatalf("first run report: %+v", r1.rep)
	}
	// Failed before the BOSH agent stop: resurrection is back at once and
	// the cell still answers the director.
	l.checkResurrection(false)
	l.checkInvariants()
	if !cellrig.Grows(func() int { return l.seen.count(l.target.AgentID) }) {
		t.Fatal("the BOSH agent was stopped although investigators cannot log in")
	}
	// The restart touched nothing kept and the resumed prune finished.
	if pid := l.garden.Pid(l.kept); pid != l.keptPid {
		t.Errorf("kept container pid %d, was %d", pid, l.keptPid)
	}
	if h := l.gardenHandles(); len(h) != 1 || !h[l.kept] {
		t.Errorf("garden lists %v after the resumed prune", h)
	}

	// Second run: access is fixed and the agent restarted once more; the
	// errand dies right after the agent accepted the resumed operation,
	// which goes on alone on the cell.
	must(t, os.WriteFile(l.group, []byte(goodGroup), 0o644))
	l.stopAgent(l.agent)
	l.startAgent(0)
	l.takeAnswers()
	ctx, kill := context.WithCancel(context.Background())
	defer kill()
	l.mu.Lock()
	l.afterAnswer = kill
	l.mu.Unlock()
	r2, err := l.runWithin(ctx)
	if err == nil || !strings.HasPrefix(err.Error(), director.StepCellSide+":") {
		t.Fatalf("second run: %v; want the cell side cut short\nsteps:\n%s", err, fmtSteps(r2))
	}
	// The resumed operation's answer is running, not the old failure: the
	// director takes a failed answer for this attempt's outcome.
	answers := l.takeAnswers()
	if len(answers) != 1 || answers[0].OperationID != r2.RecordID || answers[0].Phase != agentapi.PhaseRunning || answers[0].Error != "" {
		t.Fatalf("the agent answered the resuming request with %+v; want operation %s running without the old error", answers, r2.RecordID)
	}
	// Nobody knows whether the BOSH agent is down: resurrection stays off.
	if r2.State != record.StateFailed || !r2.Resurrection.LeftPaused || !strings.Contains(strings.Join(r2.Warnings, "\n"), "resurrection left paused") {
		t.Fatalf("second run report: state %s resurrection %+v warnings %q", r2.State, r2.Resurrection, r2.Warnings)
	}
	waitFor(t, 60*time.Second, "the agent to finish the operation on its own", func() bool {
		st, err := agentapi.NewClient("https://"+l.agentCfg.ListenAddress, l.clientTLS).Status(context.Background())
		return err == nil && st.Phase != agentapi.PhaseRunning
	})
	l.checkWindow(false)

	// Third run: the cell side is found done without asking again; then
	// the director fails the redeploy.
	l.sim.FailNextTask(directorsim.KindUpdateDeployment, "injected CPI failure")
	r3, err := l.run()
	if err == nil || !strings.HasPrefix(err.Error(), director.StepRedeploy+":") {
		t.Fatalf("third run: %v; want the redeploy's failure\nsteps:\n%s", err, fmtSteps(r3))
	}
	if a := l.takeAnswers(); len(a) != 0 {
		t.Errorf("the third run asked the agent again: %+v", a)
	}
	if r3.State != record.StateFailed || !r3.Resurrection.LeftPaused || !strings.Contains(strings.Join(r3.Warnings, "\n"), "resurrection left paused") {
		t.Fatalf("third run report: state %s resurrection %+v warnings %q", r3.State, r3.Resurrection, r3.Warnings)
	}
	l.checkWindow(true)

	// Last run: completes.
	r4, err := l.run()
	if err != nil {
		t.Fatalf("last run: %v\nsteps:\n%s", err, fmtSteps(r4))
	}
	if len(r4.Warnings) != 0 {
		t.Errorf("the completed run reports the failed runs' warnings: %q", r4.Warnings)
	}
	if a := l.takeAnswers(); len(a) != 0 {
		t.Errorf("the last run asked the agent again: %+v", a)
	}
	l.checkCompleted(r4)
	l.checkInvariants()
	l.checkResurrection(false)
}

// checkWindow: inside the unsafe window the sequestered VM is silent,
// resurrection is off for it, and the health monitor, ticked by hand on
// top of its own ticks, neither recreates the VM (destroying the old one)
// nor, once the reference is gone (vmless), recreates the instance on its
// old IP.
func (l *lab) checkWindow(vmless bool) {
	t := l.t
	t.Helper()
	if cellrig.Grows(func() int { return l.seen.count(l.target.AgentID) }) {
		t.Fatal("the sequestered VM still heartbeats after the cell side")
	}
	in, _ := l.sim.Instance("cf", "diego-cell", l.target.ID)
	if vmless && in.VMCID != "" {
		t.Fatalf("instance has VM %s after its reference was deleted", in.VMCID)
	}
	if !vmless && (in.VMCID != l.target.VMCID || in.AgentResponsive) {
		t.Fatalf("instance VM %s responsive %v; want the silent old VM %s", in.VMCID, in.AgentResponsive, l.target.VMCID)
	}
	l.checkResurrection(true)
	for i := 0; i < 3; i++ {
		if ids := l.sim.Tick(); len(ids) != 0 {
			t.Fatalf("the health monitor started tasks %v inside the unsafe window", ids)
		}
	}
	l.checkInvariants()
}
