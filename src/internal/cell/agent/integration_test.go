package agent_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi/agentapitest"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/agent"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/isolation"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/journal"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/bbsdouble"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/monitd"
)

// On the stemcells' monit 5.2.5 and Debian's 5.33: they differ in how
// they run start programs, acknowledge actions and treat a stop of an
// unmonitored service.
func TestSequesterTakesTheCellOutInOrderAndKeepsWhatWasAsked(t *testing.T) {
	monitd.ForEachVersion(t, sequesterTakesTheCellOutInOrder)
}

func sequesterTakesTheCellOutInOrder(t *testing.T, v monitd.Version) {
	c := newCellWith(t, v)
	hs := c.create(
		gardenrunc.Spec{AppGUID: "app-keep", AppVersion: "v1", Index: 0, Ports: []int{8080}},
		gardenrunc.Spec{AppGUID: "app-a", AppVersion: "v1", Index: 0, Ports: []int{8080}},
		gardenrunc.Spec{AppGUID: "app-a", AppVersion: "v1", Index: 1, Ports: []int{8080}},
		gardenrunc.Spec{AppGUID: "app-b", AppVersion: "v1", Index: 0, Ports: []int{8080}},
		gardenrunc.Spec{AppGUID: "task-x"}, // no LRP: nothing to wait for
	)
	kept, pruned := hs[0], hs[1:]
	keptPid := c.garden.Pid(kept)
	cl := c.startAgent()
	ctx := context.Background()

	inv, err := cl.Inventory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if inv.CellID != cellID || inv.Backend != containers.BackendGarden || len(inv.Containers) != len(hs) {
		t.Fatalf("inventory = %+v", inv)
	}
	for _, ctr := range inv.Containers {
		if ctr.Handle == kept && (ctr.AppGUID != "app-keep" || ctr.ProcessGUID != "app-keep-v1" || ctr.Index == nil || *ctr.Index != 0 || len(ctr.Pids) == 0 || ctr.State != containers.StateRunning) {
			t.Fatalf("kept container in inventory = %+v", ctr)
		}
	}
	plan, err := cl.Plan(ctx, agentapi.SequesterRequest{OperationID: "op-1", Keep: agentapi.Keep{Handles: []string{kept}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Keep) != 1 || plan.Keep[0].Handle != kept || len(plan.Prune) != 4 || !plan.SSH.Ready {
		t.Fatalf("plan = %+v", plan)
	}
	// Every part the sequence needs, reached the way it will be used.
	var parts []string
	for _, p := range plan.Parts {
		if !p.Ready {
			t.Fatalf("plan says part %s is not ready: %s", p.Name, p.Detail)
		}
		parts = append(parts, p.Name)
	}
	if want := "monit, containers, runc root, BOSH agent supervisor, investigator sources (ssh.source_cidrs), investigator SSH"; strings.Join(parts, ", ") != want {
		t.Fatalf("plan parts = %q, want %q", parts, want)
	}
	if d := plan.Parts[0].Detail; !strings.Contains(d, "monit "+c.monit.Version+" answers") {
		t.Fatalf("monit part = %q, want it to name monit %s", d, c.monit.Version)
	}
	if !c.router.Registering() {
		t.Fatal("a plan withdrew the routes")
	}

	// BBS convergence: once the rep is gone, replacements start on cell-2,
	// except for app-b, which finds no capacity.
	c.bbs.ScheduleReplacements(bbsdouble.Replacement{From: cellID, To: "cell-2", After: 3 * time.Second, Except: []string{"app-b-v1"}})
	st, err := cl.Sequester(ctx, agentapi.SequesterRequest{
		OperationID: "op-1", Keep: agentapi.Keep{Handles: []string{kept}}, BlockEgress: true, ReplacementTimeoutSeconds: 8,
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.OperationID != "op-1" || st.Phase != agentapi.PhaseRunning {
		t.Fatalf("sequester answered %+v", st)
	}
	st = waitPhase(t, cl, 90*time.Second)
	if st.Phase != agentapi.PhaseDone {
		t.Fatalf("operation ended %s: %s\n%+v", st.Phase, st.Error, st.Steps)
	}

	// Steps ran in order, each once, with times.
	var last time.Time
	for i, s := range st.Steps {
		if s.Name != agentStepOrder[i] || s.State != agentapi.StepDone || s.StartedAt == nil || s.FinishedAt == nil {
			t.Fatalf("step %d = %+v", i, s)
		}
		if s.StartedAt.Before(last) {
			t.Fatalf("step %s started before the previous one finished", s.Name)
		}
		last = *s.FinishedAt
	}
	if iso := stepByName(st, agentapi.StepIsolateKept); st.ContainedAt == nil || !st.ContainedAt.Equal(*iso.FinishedAt) ||
		stepByName(st, agentapi.StepCaptureEvidence).StartedAt.Before(*st.ContainedAt) {
		t.Errorf("contained at %v; want when %s finished (%v), before the cleanup", st.ContainedAt, iso.Name, iso.FinishedAt)
	}
	for _, p := range c.rig.TakenOut(ctx) {
		t.Error(p)
	}
	have := c.gardenHandles()
	if !have[kept] || !c.containerRunning(kept) || c.garden.Pid(kept) != keptPid {
		t.Errorf("kept container %s is not running as before", kept)
	}
	for _, h := range pruned {
		if have[h] {
			t.Errorf("container %s was not pruned", h)
		}
	}
	if len(st.Pruned) != len(pruned) || len(st.Kept) != 1 || st.Kept[0] != kept || len(st.PruneFailures) != 0 {
		t.Errorf("status kept=%v pruned=%v failures=%v", st.Kept, st.Pruned, st.PruneFailures)
	}
	if d := st.Durations["container_destroy"]; d.Count != len(pruned) || d.MaxSeconds <= 0 || d.P99Seconds <= 0 || d.TotalSeconds < d.MaxSeconds {
		t.Errorf("destroy durations = %+v", d)
	}
	if d := st.Durations["steps"]; d.Count != len(agentStepOrder) || d.MaxSeconds <= 0 {
		t.Errorf("step durations = %+v", d)
	}
	if len(st.NoReplacement) != 1 || st.NoReplacement[0] != "app-b-v1/0" {
		t.Errorf("no replacement = %v, want only app-b-v1/0", st.NoReplacement)
	}
	if fi, err := os.Stat(st.Evidence); err != nil || fi.Size() == 0 || fi.Size() != st.EvidenceBytes {
		t.Errorf("evidence %q: %v", st.Evidence, err)
	}
	if !st.SSH.Ready {
		t.Errorf("ssh = %+v", st.SSH)
	}
	if !strings.HasPrefix(c.runit.Status(), "down:") || c.agentHeartbeating() {
		t.Errorf("BOSH agent not down: %s", c.runit.Status())
	}
	if _, err := os.Stat(c.runit.ServiceDir + "/down"); err != nil {
		t.Error("no down file for the BOSH agent")
	}
	// The kept container resets new connections from anyone but the
	// investigators, and its egress is blocked.
	cs, err := containers.NewGarden(lager.NewLogger("test"), containers.GardenConfig{Socket: c.garden.Socket()}).List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	iso, err := isolation.New(lager.NewLogger("test"), nil, isolation.Options{AllowCIDRs: c.cfg.SSH.SourceCIDRs, BlockEgress: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 {
		t.Fatalf("garden lists %d containers", len(cs))
	}
	if err := iso.Verify(ctx, cs[0]); err != nil {
		t.Errorf("kept container not isolated: %v", err)
	}

	// The same operation again only reports; another one is refused.
	again, err := cl.Sequester(ctx, agentapi.SequesterRequest{OperationID: "op-1", Keep: agentapi.Keep{Handles: []string{kept}}})
	if err != nil || again.Phase != agentapi.PhaseDone || *stepByName(again, agentapi.StepPruneContainers).FinishedAt != *stepByName(st, agentapi.StepPruneContainers).FinishedAt {
		t.Errorf("same operation again = %+v, %v", again, err)
	}
	_, err = cl.Sequester(ctx, agentapi.SequesterRequest{OperationID: "op-2", Keep: agentapi.Keep{None: true}})
	var apiErr *agentapi.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusConflict {
		t.Errorf("another operation = %v, want 409", err)
	}
	if !c.containerRunning(kept) {
		t.Error("the refused operation touched the kept container")
	}
}

// agentStepOrder: contain first (SSH check, the BOSH agent stop before
// anything a deploy could undo, routes, rep, isolation), then the cleanup.
var agentStepOrder = []string{
	agentapi.StepCheckSSH, agentapi.StepStopBoshAgent, agentapi.StepWithdrawRoutes, agentapi.StepStopRep, agentapi.StepIsolateKept,
	agentapi.StepCaptureEvidence, agentapi.StepAwaitReplacements, agentapi.StepPruneContainers,
}

func TestBadRequestsAreRefusedAndChangeNothing(t *testing.T) {
	c := newCell(t)
	hs := c.create(
		gardenrunc.Spec{AppGUID: "app-a", AppVersion: "v1", Index: 0},
		gardenrunc.Spec{AppGUID: "app-b", AppVersion: "v1", Index: 0},
		// A container in the host's network namespace: rules inside it
		// would cut off the cell.
		gardenrunc.Spec{AppGUID: "app-hostnet", NetNS: fmt.Sprintf("/proc/%d/ns/net", os.Getpid())},
	)
	cl := c.startAgent()
	repPid := monitd.PidFromFile(c.repPid)
	ctx := context.Background()

	other, _ := agentapitest.NewCA(t, "impostor-ca")
	foreign := other.Issue(t, "impostor")
	transports := []struct {
		name  string
		certs []tls.Certificate
	}{
		{"no client certificate", nil},
		{"a client certificate from another CA", []tls.Certificate{foreign.TLSCertificate(t)}},
	}
	for _, tc := range transports {
		t.Run(tc.name, func(t *testing.T) {
			bad := agentapi.NewClient("https://"+c.cfg.ListenAddress, &tls.Config{RootCAs: c.agentCA.Pool(), Certificates: tc.certs, MinVersion: tls.VersionTLS12})
			_, err := bad.Sequester(ctx, agentapi.SequesterRequest{OperationID: "op-x", Keep: agentapi.Keep{None: true}})
			var apiErr *agentapi.APIError
			if err == nil || errors.As(err, &apiErr) {
				t.Fatalf("request got past TLS: %v", err)
			}
			c.assertUntouched(t, hs, repPid)
		})
	}

	cases := []struct {
		name    string
		req     agentapi.SequesterRequest
		setup   func() func()
		code    int
		message string
	}{
		{"an empty keep list", agentapi.SequesterRequest{OperationID: "op-1"}, nil, 422, "nothing is selected to keep"},
		{"a handle with a path in it", agentapi.SequesterRequest{OperationID: "op-1", Keep: agentapi.Keep{Handles: []string{"../" + hs[0]}}}, nil, 422, "invalid"},
		{"a handle with a slash", agentapi.SequesterRequest{OperationID: "op-1", Keep: agentapi.Keep{Handles: []string{"a/b"}}}, nil, 422, "invalid"},
		{"an empty handle", agentapi.SequesterRequest{OperationID: "op-1", Keep: agentapi.Keep{Handles: []string{""}}}, nil, 422, "invalid"},
		{"a handle that does not exist", agentapi.SequesterRequest{OperationID: "op-1", Keep: agentapi.Keep{Handles: []string{"no-such-container"}}}, nil, 422, "no container with handle"},
		{"an app with no container here", agentapi.SequesterRequest{OperationID: "op-1", Keep: agentapi.Keep{AppGUIDs: []string{"app-zzz"}}}, nil, 422, "no container of app"},
		{"a pid in no container", agentapi.SequesterRequest{OperationID: "op-1", Keep: agentapi.Keep{Pids: []int{os.Getpid()}}}, nil, 422, "is in no container"},
		{"suspects when there are none", agentapi.SequesterRequest{OperationID: "op-1", Keep: agentapi.Keep{Suspects: true}}, nil, 422, "no container is a suspect"},
		{"keep none together with a handle", agentapi.SequesterRequest{OperationID: "op-1", Keep: agentapi.Keep{None: true, Handles: []string{hs[0]}}}, nil, 422, "keep none was combined"},
		{"keeping a container in the host network namespace", agentapi.SequesterRequest{OperationID: "op-1", Keep: agentapi.Keep{Handles: []string{hs[2]}}}, nil, 422, "shares the host network namespace"},
		{"no operation id", agentapi.SequesterRequest{Keep: agentapi.Keep{Handles: []string{hs[0]}}}, nil, 400, "operation_id"},
		{"an operation id with a slash", agentapi.SequesterRequest{OperationID: "../op", Keep: agentapi.Keep{Handles: []string{hs[0]}}}, nil, 400, "operation_id"},
		{"a negative replacement timeout", agentapi.SequesterRequest{OperationID: "op-1", Keep: agentapi.Keep{Handles: []string{hs[0]}}, ReplacementTimeoutSeconds: -1}, nil, 400, "replacement_timeout_seconds"},
		{"investigator not in bosh_sshers", agentapi.SequesterRequest{OperationID: "op-1", Keep: agentapi.Keep{Handles: []string{hs[0]}}},
			func() func() {
				orig, _ := os.ReadFile(c.group)
				must(t, os.WriteFile(c.group, []byte("bosh_sshers:x:1501:vcap\n"), 0o644))
				return func() { must(t, os.WriteFile(c.group, orig, 0o644)) }
			}, 422, "investigator SSH is not ready"},
		{"a BOSH agent whose supervisor cannot be told", agentapi.SequesterRequest{OperationID: "op-1", Keep: agentapi.Keep{Handles: []string{hs[0]}}},
			func() func() {
				run := c.runit.ServiceDir + "/run"
				must(t, os.Rename(run, run+".away"))
				return func() { must(t, os.Rename(run+".away", run)) }
			}, 422, "BOSH agent supervisor"},
		{"a BBS that does not answer", agentapi.SequesterRequest{OperationID: "op-1", Keep: agentapi.Keep{Handles: []string{hs[0]}}},
			func() func() {
				c.bbs.Close()
				return func() {}
			}, 422, "BBS does not answer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				defer tc.setup()()
			}
			_, err := cl.Sequester(ctx, tc.req)
			var apiErr *agentapi.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tc.code || !strings.Contains(apiErr.Message, tc.message) {
				t.Fatalf("Sequester error = %v, want %d containing %q", err, tc.code, tc.message)
			}
			if _, err := cl.Plan(ctx, tc.req); err == nil && tc.code == 422 {
				t.Errorf("Plan accepted what Sequester refused")
			}
			st, err := cl.Status(ctx)
			if err != nil || st.Phase != agentapi.PhaseIdle {
				t.Errorf("status after a refusal = %+v, %v", st, err)
			}
			c.assertUntouched(t, hs, repPid)
		})
	}
}

func TestAnAgentKilledWhilePruningResumesWithoutTouchingKeptContainers(t *testing.T) {
	c := newCell(t)
	hs := c.create(
		gardenrunc.Spec{AppGUID: "app-keep", AppVersion: "v1", Index: 0},
		gardenrunc.Spec{AppGUID: "app-keep", AppVersion: "v1", Index: 1},
		gardenrunc.Spec{AppGUID: "app-a", AppVersion: "v1", Index: 0},
		gardenrunc.Spec{AppGUID: "app-a", AppVersion: "v1", Index: 1},
		gardenrunc.Spec{AppGUID: "app-a", AppVersion: "v1", Index: 2},
		gardenrunc.Spec{AppGUID: "app-a", AppVersion: "v1", Index: 3},
		gardenrunc.Spec{AppGUID: "app-a", AppVersion: "v1", Index: 4},
	)
	kept := hs[:2]
	keptPids := []int{c.garden.Pid(kept[0]), c.garden.Pid(kept[1])}
	// One worker and a slow destroy make the prune long enough to kill.
	c.cfg.Prune.Workers = 1
	c.writeConfig()
	child := c.startChildAgent(600 * time.Millisecond)
	cl := c.client()
	ctx := context.Background()
	if _, err := cl.Sequester(ctx, agentapi.SequesterRequest{OperationID: "op-restart", Keep: agentapi.Keep{AppGUIDs: []string{"app-keep"}}, SkipReplacementWait: true}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(c.gardenHandles()) > len(hs)-2 {
		if time.Now().After(deadline) {
			t.Fatal("prune did not get going")
		}
		time.Sleep(50 * time.Millisecond)
	}
	must(t, child.cmd.Process.Signal(syscall.SIGKILL))
	<-child.exited
	mid, err := journal.Read(c.cfg.StateDir)
	if err != nil {
		t.Fatal(err)
	}
	if s := mid.Step(agentapi.StepPruneContainers); s == nil || s.State != agentapi.StepRunning {
		t.Fatalf("killed mid-prune, but the journal says %+v", s)
	}
	left := len(c.gardenHandles())
	if left <= len(kept) {
		t.Fatalf("the prune finished before the kill (%d containers left); the test proves nothing", left)
	}

	// A container that appeared after the plan (the rep was creating it
	// when it died) is not kept, so it goes too.
	lateHandle := c.create(gardenrunc.Spec{AppGUID: "app-late"})[0]

	c.startChildAgent(0)
	st := waitPhase(t, cl, 60*time.Second)
	if st.Phase != agentapi.PhaseDone {
		t.Fatalf("resumed operation ended %s: %s", st.Phase, st.Error)
	}
	have := c.gardenHandles()
	if len(have) != len(kept) {
		t.Errorf("garden lists %v after the resumed prune", have)
	}
	for i, h := range kept {
		if !have[h] || !c.containerRunning(h) || c.garden.Pid(h) != keptPids[i] {
			t.Errorf("kept container %s was touched", h)
		}
	}
	for _, name := range []string{agentapi.StepCheckSSH, agentapi.StepStopBoshAgent, agentapi.StepWithdrawRoutes, agentapi.StepStopRep, agentapi.StepIsolateKept, agentapi.StepCaptureEvidence} {
		before, after := mid.Step(name), stepByName(st, name)
		if before.StartedAt == nil || after.StartedAt == nil || !before.StartedAt.Equal(*after.StartedAt) {
			t.Errorf("step %s was run again on resume: %v -> %v", name, before.StartedAt, after.StartedAt)
		}
	}
	if len(st.Pruned) != len(hs)-len(kept)+1 || have[lateHandle] {
		t.Errorf("pruned = %v (late container %s)", st.Pruned, lateHandle)
	}
	if starts, shutdowns := c.repStartCount(); starts != 1 || shutdowns != 0 {
		t.Errorf("rep starts=%d shutdowns=%d", starts, shutdowns)
	}
	if !strings.HasPrefix(c.runit.Status(), "down:") {
		t.Errorf("BOSH agent: %s", c.runit.Status())
	}
}

func TestLostInvestigatorAccessStopsBeforeAnythingChangesAndTheSameOperationResumes(t *testing.T) {
	c := newCell(t)
	hs := c.create(
		gardenrunc.Spec{AppGUID: "app-keep", AppVersion: "v1", Index: 0},
		gardenrunc.Spec{AppGUID: "app-a", AppVersion: "v1", Index: 0},
	)
	repPid := monitd.PidFromFile(c.repPid)
	good, err := os.ReadFile(c.group)
	must(t, err)
	// Someone removes the investigator from bosh_sshers between the plan
	// (the first check) and the contain phase's own check.
	checks := 0
	cl := c.startAgentTweaked(func(w *agent.Wired) {
		w.Deps.SSH = hookedSSH{SSHChecker: w.Deps.SSH, before: func() {
			if checks++; checks == 2 {
				must(t, os.WriteFile(c.group, []byte("bosh_sshers:x:1501:vcap\n"), 0o644))
			}
		}}
	})
	ctx := context.Background()
	req := agentapi.SequesterRequest{OperationID: "op-ssh", Keep: agentapi.Keep{Handles: []string{hs[0]}}, SkipReplacementWait: true, Freeze: true}
	if _, err := cl.Sequester(ctx, req); err != nil {
		t.Fatal(err)
	}
	st := waitPhase(t, cl, 60*time.Second)
	if st.Phase != agentapi.PhaseFailed || stepByName(st, agentapi.StepCheckSSH).State != agentapi.StepFailed ||
		stepByName(st, agentapi.StepStopBoshAgent).State != agentapi.StepPending || st.SSH.Ready || st.ContainedAt != nil {
		t.Fatalf("status = %+v", st)
	}
	// Nothing changed: the SSH check comes before everything.
	if !c.agentHeartbeating() {
		t.Fatal("the BOSH agent was stopped although investigators cannot log in")
	}
	if !c.router.Registering() || monitd.PidFromFile(c.repPid) != repPid || !monitd.Alive(repPid) || !c.gardenHandles()[hs[1]] {
		t.Fatal("the cell was changed before the SSH check")
	}

	must(t, os.WriteFile(c.group, good, 0o644))
	resumed, err := cl.Sequester(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if resumed.OperationID != "op-ssh" || resumed.Phase != agentapi.PhaseRunning || resumed.Error != "" {
		t.Fatalf("resume answered %+v, want running without the old failure", resumed)
	}
	done := waitPhase(t, cl, 60*time.Second)
	if done.Phase != agentapi.PhaseDone || !done.SSH.Ready || done.ContainedAt == nil {
		t.Fatalf("resumed operation = %+v", done)
	}
	if !strings.HasPrefix(c.runit.Status(), "down:") || c.agentHeartbeating() {
		t.Errorf("BOSH agent still up after the resumed run: %s", c.runit.Status())
	}
	if out, err := c.garden.Runc("state", hs[0]); err != nil || !strings.Contains(string(out), `"status": "paused"`) {
		t.Errorf("kept container not frozen: %s %v", out, err)
	}
	if _, err := cl.Inventory(ctx); err != nil {
		t.Errorf("inventory of a cell with a frozen container: %v", err)
	}
}

// hookedSSH runs before ahead of every investigator access check.
type hookedSSH struct {
	agent.SSHChecker
	before func()
}

func (h hookedSSH) Check() agentapi.SSHStatus {
	h.before()
	return h.SSHChecker.Check()
}
