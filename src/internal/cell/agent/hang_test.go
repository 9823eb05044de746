package agent_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/agent"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/isolation"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/monit"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/stopper"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/cellrig"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/hangs"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/monitd"
)

// Garden hangs on two containers' destroys. runc destroys the first; on
// the second, frozen, runc hangs too (a freezer stuck in FREEZING). The
// real agent must come back from every call, prune what it can, and leave
// the second isolated with its egress blocked, saying so in the status and
// failing the prune step with that statement.
func TestAPruneThatGardenAndRuncHangOnQuarantinesWhatStays(t *testing.T) {
	c := newCell(t)
	hs := c.create(
		gardenrunc.Spec{AppGUID: "app-keep", AppVersion: "v1", Index: 0, Ports: []int{8080}},
		gardenrunc.Spec{AppGUID: "app-a", AppVersion: "v1", Index: 0, Ports: []int{8080}},
		gardenrunc.Spec{AppGUID: "app-b", AppVersion: "v1", Index: 0, Ports: []int{8080}},
		gardenrunc.Spec{AppGUID: "app-c", AppVersion: "v1", Index: 0, Ports: []int{8080}},
	)
	kept, healthy, gardenHung, bothHung := hs[0], hs[1], hs[2], hs[3]
	c.garden.HangDestroy(gardenHung)
	c.garden.HangDestroy(bothHung)
	if err := c.garden.Pause(bothHung); err != nil {
		t.Fatal(err)
	}
	wrapper, err := hangs.RuncWrapper(c.dir, "runc", bothHung, hangs.RuncHang)
	if err != nil {
		t.Fatal(err)
	}
	c.cfg.Runc.Binary = wrapper
	c.cfg.Garden.DestroyTimeoutSeconds = 1
	c.cfg.Runc.TimeoutSeconds = 2
	c.writeConfig()
	cl := c.startAgent()
	ctx := context.Background()

	if _, err := cl.Sequester(ctx, agentapi.SequesterRequest{
		OperationID: "op-hang", Keep: agentapi.Keep{Handles: []string{kept}}, SkipReplacementWait: true,
	}); err != nil {
		t.Fatal(err)
	}
	// A bound against a hanging agent, not a timing assertion.
	st := waitPhase(t, cl, 3*time.Minute)
	if st.Phase != agentapi.PhaseFailed {
		t.Fatalf("operation ended %s, want failed: %+v", st.Phase, st.Steps)
	}
	prune := stepByName(st, agentapi.StepPruneContainers)
	for _, want := range []string{"1 container(s) could not be pruned", "1 isolated with inbound connections reset and egress blocked (1 of them frozen)"} {
		if !strings.Contains(prune.Error, want) {
			t.Errorf("prune error %q does not say %q", prune.Error, want)
		}
	}
	if !strings.Contains(prune.Detail, "2 handed to runc") || !strings.Contains(prune.Detail, "garden's destroy did not return within 1s; destroyed through runc") {
		t.Errorf("prune detail %q does not name the runc fallbacks", prune.Detail)
	}
	if q := st.Quarantined[bothHung]; !strings.HasPrefix(q, "isolated: inbound connections reset, egress blocked") || !strings.HasSuffix(q, "; frozen (its cgroup was frozen already)") {
		t.Errorf("quarantine of %s = %q", bothHung, q)
	}
	if len(st.Quarantined) != 1 {
		t.Errorf("quarantined = %v, want only %s", st.Quarantined, bothHung)
	}
	pruned := map[string]bool{}
	for _, h := range st.Pruned {
		pruned[h] = true
	}
	if !pruned[healthy] || !pruned[gardenHung] || pruned[bothHung] || pruned[kept] {
		t.Errorf("pruned = %v", st.Pruned)
	}
	runcStates, err := containers.NewRunc(lager.NewLogger("test"), containers.RuncConfig{Root: c.garden.RuncRoot()}).List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byHandle := map[string]agentapi.Container{}
	for _, ctr := range runcStates {
		byHandle[ctr.Handle] = ctr
	}
	if _, ok := byHandle[gardenHung]; ok {
		t.Errorf("%s is still in runc's list after the runc fallback", gardenHung)
	}
	stuck, ok := byHandle[bothHung]
	if !ok {
		t.Fatalf("%s, which nothing could remove, is gone from runc's list", bothHung)
	}
	iso, err := isolation.New(lager.NewLogger("test"), nil, isolation.Options{BlockEgress: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := iso.Verify(ctx, stuck); err != nil {
		t.Errorf("the container that could not be pruned is not isolated: %v", err)
	}
	t.Logf("prune: %s\nerror: %s\nquarantined: %v", prune.Detail, prune.Error, st.Quarantined)
	var text bytes.Buffer
	agent.WriteStatus(&text, st)
	if !strings.Contains(text.String(), "NOT PRUNED, isolated instead") || !strings.Contains(text.String(), bothHung) {
		t.Errorf("status text does not list the quarantined container:\n%s", text.String())
	}
}

// monit stops answering (stuck in D state on a sick cell; here SIGSTOP:
// the kernel still accepts its connections, nobody answers) with the rep
// and the route emitter run the way bpm runs them. The real agent stops
// both without monit, checked against bpm's cgroups, says so in the steps,
// and neither comes back when monit runs again.
func TestWithMonitStuckTheAgentStopsTheRepAndRouteEmitterWithoutIt(t *testing.T) {
	c := newCell(t, func(o *cellrig.Options) { o.BPMJobs = true })
	t.Cleanup(stopper.ReleaseRestartGuards)
	hs := c.create(
		gardenrunc.Spec{AppGUID: "app-keep", AppVersion: "v1", Index: 0, Ports: []int{8080}},
		gardenrunc.Spec{AppGUID: "app-a", AppVersion: "v1", Index: 0, Ports: []int{8080}},
	)
	kept, other := hs[0], hs[1]
	c.cfg.Monit.TimeoutSeconds = 1
	c.writeConfig()
	repPid := monitd.PidFromFile(c.repPid)
	emitterPid := monitd.PidFromFile(c.emitterPid)
	cl := c.startAgent()
	ctx := context.Background()

	monitPid := monitd.PidFromFile(filepath.Join(c.monit.Dir, "monit.pid"))
	if monitPid <= 0 {
		t.Fatal("monit wrote no pid file")
	}
	must(t, syscall.Kill(monitPid, syscall.SIGSTOP))
	resume := func() { _ = syscall.Kill(monitPid, syscall.SIGCONT) }
	t.Cleanup(resume)

	plan, err := cl.Plan(ctx, agentapi.SequesterRequest{OperationID: "op-monit-stuck", Keep: agentapi.Keep{Handles: []string{kept}}, SkipReplacementWait: true})
	if err != nil {
		t.Fatalf("plan with monit stuck: %v", err)
	}
	warned := false
	for _, w := range plan.Warnings {
		if strings.Contains(w, "stuck") && strings.Contains(w, "the route emitter and the rep will be stopped without monit") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("plan warnings %q do not say both jobs go without monit", plan.Warnings)
	}
	if _, err := cl.Sequester(ctx, agentapi.SequesterRequest{
		OperationID: "op-monit-stuck", Keep: agentapi.Keep{Handles: []string{kept}}, SkipReplacementWait: true,
	}); err != nil {
		t.Fatal(err)
	}
	st := waitPhase(t, cl, 3*time.Minute)
	if st.Phase != agentapi.PhaseDone {
		t.Fatalf("operation ended %s: %s\n%+v", st.Phase, st.Error, st.Steps)
	}
	checks := []struct {
		step string
		want []string
	}{
		{agentapi.StepWithdrawRoutes, []string{"monit did not answer within 1s", "stopped without monit", "bpm-route_emitter", c.rig.BPM.LockFile("route_emitter")}},
		{agentapi.StepStopRep, []string{"monit did not answer within 1s", "killed without monit", "SIGKILL", "bpm-rep", c.rig.BPM.LockFile("rep")}},
	}
	for _, ch := range checks {
		d := stepByName(st, ch.step).Detail
		t.Logf("%s: %s", ch.step, d)
		for _, w := range ch.want {
			if !strings.Contains(d, w) {
				t.Errorf("%s detail %q does not say %q", ch.step, d, w)
			}
		}
	}
	if monitd.Alive(repPid) || monitd.Alive(emitterPid) {
		t.Fatalf("rep (%d) or route emitter (%d) still alive", repPid, emitterPid)
	}
	if c.router.Registering() {
		t.Error("routes are still registered")
	}
	if !c.containerRunning(kept) || c.gardenHandles()[other] {
		t.Errorf("kept running=%v, other still there=%v", c.containerRunning(kept), c.gardenHandles()[other])
	}

	// monit runs again: it finds both jobs dead and monitored, and its
	// start programs wait for bpm's locks, which the agent holds, while
	// the agent's retries unmonitor them.
	resume()
	for _, svc := range []string{"rep", "route_emitter"} {
		var s monit.Service
		var err error
		for i := 0; i < 900; i++ {
			if s, err = c.monitc.Service(ctx, svc); err == nil && s.Monitor == monit.NotMonitored && s.PendingAction == 0 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if s.Monitor != monit.NotMonitored {
			t.Errorf("monit still monitors %s once it answers: %+v %v\n%s", svc, s, err, c.monit.Log())
		}
	}
	if starts, shutdowns := c.rig.RepStartCount(); starts != 1 || shutdowns != 0 {
		t.Errorf("rep started %d times and ran its shutdown %d times", starts, shutdowns)
	}
	if c.router.Registering() {
		t.Error("the route emitter registers routes again")
	}
}
