package e2e_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/agent"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cloudconfig"
	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/cellrig"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/scenario"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

func TestARealCellIsSequesteredEndToEnd(t *testing.T) {
	l := newLab(t)
	l.startAgent(0)
	if !l.router.Registering() {
		t.Fatal("the route emitter does not register routes before the run; the test would prove nothing")
	}

	l.checkRefusals()

	// `sequester plan`: the real agent's plan, and nothing changes.
	plan, err := l.flow().Plan(t.Context())
	if err != nil {
		t.Fatalf("plan: %v (%+v)", err, plan)
	}
	if plan.OldIP != l.oldIP || plan.Network != "cells" || plan.Agent == nil || len(plan.Agent.Keep) != 1 || plan.Agent.Keep[0].Handle != l.kept ||
		len(plan.Agent.Prune) != len(l.pruned) || !plan.Agent.SSH.Ready || plan.Agent.CellID != l.target.ID {
		t.Fatalf("plan = %+v, agent plan %+v", plan, plan.Agent)
	}
	for _, c := range plan.Checks {
		if !c.OK {
			t.Errorf("plan check %s: %s", c.Name, c.Detail)
		}
	}
	if n := l.sim.RequestCount("POST", "/configs"); n != 0 || !l.router.Registering() {
		t.Fatalf("the plan changed something (%d config writes)", n)
	}

	rep, err := l.run()
	if err != nil {
		t.Fatalf("run: %v\nsteps:\n%s", err, fmtSteps(rep))
	}
	l.checkCompleted(rep)
	l.checkInvariants()
	l.checkResurrection(false)
	// Contained at once: the global switch bridged the health monitor's
	// re-read of the scoped rule instead of a wait before the cell side.
	t.Logf("time to contain: %.3fs from the start, %.3fs after preflight; resurrection bridge %.3fs",
		rep.TimeToContainSeconds, rep.TimeToContainAfterPreflightSeconds, rep.ResurrectionBridgeSeconds)
	if rep.ContainedAt == nil || rep.TimeToContainAfterPreflightSeconds <= 0 || rep.TimeToContainAfterPreflightSeconds > 15 {
		t.Errorf("contained at %v, %.3fs after preflight; want within 15 s", rep.ContainedAt, rep.TimeToContainAfterPreflightSeconds)
	}
	if !rep.Resurrection.Bridge || rep.Resurrection.BridgeEndedAt == nil || rep.ResurrectionBridgeSeconds < (2*rulesInterval).Seconds() {
		t.Errorf("resurrection %+v (bridge %.3fs); want a bridge that lasted until the rule was in force (%s), then ended", rep.Resurrection, rep.ResurrectionBridgeSeconds, 2*rulesInterval)
	}
	l.mu.Lock()
	answers := append([]agentapi.Status(nil), l.answers...)
	l.mu.Unlock()
	if len(answers) != 1 || answers[0].Phase != agentapi.PhaseRunning || answers[0].OperationID != rep.RecordID {
		t.Errorf("the agent answered the sequester request with %+v; want one running operation %s", answers, rep.RecordID)
	}
	// The agent waited for BBS to run every pruned instance elsewhere.
	st, err := agentapi.NewClient("https://"+l.agentCfg.ListenAddress, l.clientTLS).Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st.Steps {
		if s.Name == agentapi.StepAwaitReplacements && (s.State != agentapi.StepDone || !strings.Contains(s.Detail, "all 3 instance(s) running on other cells")) {
			t.Errorf("agent step %s: %s %s", s.Name, s.State, s.Detail)
		}
	}
	if len(st.NoReplacement) != 0 {
		t.Errorf("instances without a replacement: %v", st.NoReplacement)
	}

	// `sequester list` asks the old VM's agent, which still answers for
	// this operation; `sequester release` deletes the old VM by cid, then
	// the reserved entry.
	adm := &director.Admin{Dir: l.conn.Director, Raw: l.conn.Raw, Store: record.NewStore(l.conn.Director, "", l.logger), Logger: l.logger,
		Agents: director.MTLSAgents(l.agentPort, l.clientTLS)}
	list, err := adm.List(t.Context(), "cf")
	if err != nil || len(list) != 1 || list[0].OldVM != "alive" || list[0].Reserved == nil || !*list[0].Reserved || len(list[0].Drift) != 0 {
		t.Fatalf("list = %+v, %v", list, err)
	}
	rel, err := adm.Release(t.Context(), "cf", l.oldIP)
	if err != nil || rel.State != record.StateReleased {
		t.Fatalf("release = %+v, %v", rel, err)
	}
	for _, vm := range l.sim.IaaSVMs() {
		if vm.CID == l.target.VMCID {
			t.Errorf("the old VM %s still exists after release", vm.CID)
		}
	}
	if cfg, err := l.conn.Director.LatestConfig("cloud", scenario.CellsCloudConfigName); err != nil || cfg.Content != scenario.CellsCloudConfig {
		t.Errorf("cloud config after release is not the operator's (%v):\n%s", err, cfg.Content)
	}
}

// checkCompleted checks a complete sequestration from the consumer's side:
// the cell's processes and containers, the director's view, the record
// and the report.
func (l *lab) checkCompleted(rep *director.Report) {
	t := l.t
	t.Helper()

	// Routes withdrawn, the rep SIGKILLed and left unwatched.
	for _, p := range l.rig.TakenOut(t.Context()) {
		t.Error(p)
	}
	// The kept container runs as the same process; the others are gone
	// from garden and from runc below it.
	if pid := l.garden.Pid(l.kept); pid != l.keptPid {
		t.Errorf("kept container %s pid %d, was %d", l.kept, pid, l.keptPid)
	}
	runc := l.runcHandles()
	if runc[l.kept] != "running" {
		t.Errorf("kept container %s is %q in runc", l.kept, runc[l.kept])
	}
	garden := l.gardenHandles()
	if len(garden) != 1 || !garden[l.kept] {
		t.Errorf("garden lists %v; want only the kept %s", garden, l.kept)
	}
	for _, h := range l.pruned {
		if _, ok := runc[h]; ok {
			t.Errorf("pruned container %s is still in runc", h)
		}
	}
	// The BOSH agent is down and stays down: runit has a down file and the
	// director hears no more heartbeats from the old VM.
	if _, err := os.Stat(filepath.Join(l.runit.ServiceDir, "down")); err != nil {
		t.Errorf("no runit down file for the BOSH agent: %v", err)
	}
	if st := l.runit.Status(); !strings.HasPrefix(st, "down:") {
		t.Errorf("BOSH agent service: %s", st)
	}
	if cellrig.Grows(func() int { return l.seen.count(l.target.AgentID) }) {
		t.Error("the director still hears heartbeats from the sequestered VM")
	}
	// The replacement booted only after the old rep was dead (else it
	// could not take the cell id's presence).
	repl := l.w.Replacements()
	if len(repl) != 1 || repl[0].OldRepAlive {
		t.Errorf("replacement VMs %+v; want one, after the rep died", repl)
	}

	// The director: a new VM on a new IP, the old IP reserved.
	after, ok := l.sim.Instance("cf", "diego-cell", l.target.ID)
	if !ok {
		t.Fatal("the target instance is gone")
	}
	if after.VMCID == "" || after.VMCID == l.target.VMCID || after.IPs["cells"] == l.oldIP || !after.AgentResponsive {
		t.Errorf("instance after: vm %s ip %s responsive %v; was vm %s ip %s", after.VMCID, after.IPs["cells"], after.AgentResponsive, l.target.VMCID, l.oldIP)
	}
	if len(repl) == 1 && (repl[0].VM.CID != after.VMCID || repl[0].VM.IPs[0] != after.IPs["cells"]) {
		t.Errorf("the instance's VM %s at %s is not the replacement %+v", after.VMCID, after.IPs["cells"], repl[0])
	}
	cfg, err := l.conn.Director.LatestConfig("cloud", scenario.CellsCloudConfigName)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := cloudconfig.IsReserved([]byte(cfg.Content), "cells", l.oldIP); err != nil || !ok {
		t.Errorf("old IP %s not reserved (%v):\n%s", l.oldIP, err, cfg.Content)
	}
	if !strings.Contains(cfg.Content, "# cells only") {
		t.Errorf("the operator's comments were lost:\n%s", cfg.Content)
	}
	// Only this VM's reference was deleted: every other VM in the IaaS is
	// still some instance's.
	if n := l.sim.RequestCount("PUT", "/deployments/cf/problems"); n != 1 {
		t.Errorf("%d resolutions; want exactly one", n)
	}
	for _, vm := range l.sim.IaaSVMs() {
		if vm.CID == l.target.VMCID && vm.Referenced {
			t.Errorf("the director still references the sequestered VM %s", vm.CID)
		}
		if vm.CID != l.target.VMCID && !vm.Referenced {
			t.Errorf("VM %s of %s lost its reference", vm.CID, vm.InstanceID)
		}
	}

	// The record and the report.
	r, _, err := record.NewStore(l.conn.Director, "", l.logger).Get("cf", l.target.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != record.StateComplete || r.FinishedAt == nil || r.NewIP != after.IPs["cells"] || r.NewVMCID != after.VMCID ||
		r.OldIP != l.oldIP || r.VMCID != l.target.VMCID || r.BoshAgent != director.BoshAgentStopped || r.CaseID != "INC-42" {
		t.Errorf("record = %+v", r)
	}
	for _, name := range director.Steps {
		if !r.Done(name) {
			t.Errorf("record step %s not done", name)
		}
	}
	if rep.State != record.StateComplete || rep.OldIP != l.oldIP || rep.NewIP != after.IPs["cells"] || rep.VMCID != l.target.VMCID {
		t.Errorf("report = %+v", rep)
	}
	if strings.Join(rep.Kept, ",") != l.kept || len(rep.Pruned) != len(l.pruned) {
		t.Errorf("report kept %v pruned %v; want %s and %v", rep.Kept, rep.Pruned, l.kept, l.pruned)
	}
	if fi, err := os.Stat(rep.Evidence.Cell); err != nil || fi.Size() == 0 {
		t.Errorf("evidence bundle %q: %v", rep.Evidence.Cell, err)
	}
	if !strings.Contains(strings.Join(rep.Evidence.Checks, "\n"), "bbs: cell "+l.target.ID+" presence at "+after.IPs["cells"]) {
		t.Errorf("the report's checks do not say BBS saw the new cell: %q", rep.Evidence.Checks)
	}
	// The agent's own account of the cell side travels in the report.
	if len(rep.CellSteps) != len(agent.Steps) {
		t.Errorf("report has %d cell steps; want the agent's %d", len(rep.CellSteps), len(agent.Steps))
	}
	for i, s := range rep.CellSteps {
		if i < len(agent.Steps) && s.Name != agent.Steps[i] || s.State != agentapi.StepDone || s.StartedAt == nil || s.FinishedAt == nil {
			t.Errorf("report cell step %d: %+v", i, s)
		}
	}
	if len(rep.NoReplacement) != 0 || len(rep.PruneFailures) != 0 {
		t.Errorf("report: no replacement for %v, prune failures %v", rep.NoReplacement, rep.PruneFailures)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	must(t, json.Unmarshal(b, &doc))
	for _, key := range []string{"state", "deployment", "instance", "old_ip", "vm_cid", "new_ip", "kept", "pruned", "steps", "evidence", "ssh"} {
		if _, ok := doc[key]; !ok {
			t.Errorf("report JSON has no %q: %s", key, b)
		}
	}
	if ssh, _ := doc["ssh"].(map[string]any); ssh == nil || ssh["ready"] != true {
		t.Errorf("report ssh = %v", doc["ssh"])
	}
	steps, _ := doc["steps"].([]any)
	if len(steps) != len(director.Steps) {
		t.Errorf("report has %d steps; want %d", len(steps), len(director.Steps))
	}
	for _, s := range steps {
		m, _ := s.(map[string]any)
		for _, key := range []string{"name", "state", "started_at", "finished_at", "error"} {
			if _, ok := m[key]; !ok {
				t.Errorf("report step %v has no %q", m["name"], key)
			}
		}
		// The bridge's end is skipped when the switch finished first.
		if m["state"] != record.StepDone && !(m["name"] == director.StepEndBridge && m["state"] == record.StepSkipped) {
			t.Errorf("report step %v is %v", m["name"], m["state"])
		}
		start, err1 := time.Parse(time.RFC3339Nano, asString(m["started_at"]))
		end, err2 := time.Parse(time.RFC3339Nano, asString(m["finished_at"]))
		if err1 != nil || err2 != nil || end.Before(start) {
			t.Errorf("report step %v times %v..%v", m["name"], m["started_at"], m["finished_at"])
		}
	}
}

func asString(v any) string { s, _ := v.(string); return s }

// checkInvariants are what every run, failed or complete, must keep: the
// old IP reserved at most once and never handed to a new VM while the old
// VM lives, at most one new VM for the target, no other instance's VM
// changed, and the sequestered VM alive in the IaaS.
func (l *lab) checkInvariants() {
	t := l.t
	t.Helper()
	cfg, err := l.conn.Director.LatestConfig("cloud", scenario.CellsCloudConfigName)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(cfg.Content, l.oldIP); n > 1 {
		t.Errorf("old IP %s appears %d times in the cloud config:\n%s", l.oldIP, n, cfg.Content)
	}
	newVMs := 0
	for _, vm := range l.sim.InstanceVMs("cf", l.target.ID) {
		if vm.CID != l.target.VMCID {
			newVMs++
		}
	}
	if newVMs > 1 {
		t.Errorf("%d new VMs for the target; want at most one", newVMs)
	}
	for _, in := range l.sim.Instances("cf") {
		if b := l.before[in.ID]; in.ID != l.target.ID && b.VMCID != in.VMCID {
			t.Errorf("another instance %s/%s changed VM: %s -> %s", in.Group, in.ID, b.VMCID, in.VMCID)
		}
	}
	alive := false
	for _, vm := range l.sim.IaaSVMs() {
		alive = alive || vm.CID == l.target.VMCID
	}
	if !alive {
		t.Errorf("the sequestered VM %s was destroyed", l.target.VMCID)
	}
	for _, ev := range l.sim.IPHistory() {
		if ev.IP == l.oldIP && (ev.Action == "allocated" || ev.Action == "assigned") && ev.Time.After(l.started) {
			t.Errorf("old IP %s %s again (to %s, task %d) while the old VM lives", l.oldIP, ev.Action, ev.InstanceID, ev.TaskID)
		}
	}
}

// checkResurrection: back to its prior value, or (wantPaused) still off
// for the cells because the run stopped inside the unsafe window.
func (l *lab) checkResurrection(wantPaused bool) {
	t := l.t
	t.Helper()
	l.sim.ReloadResurrectionRules()
	// Inside the window the global switch may still bridge the scoped
	// rule's re-read when the run was killed; the report says so.
	if got := l.sim.ResurrectionPaused(); got != l.priorPaused && !wantPaused {
		t.Errorf("global resurrection paused = %v; want the prior %v", got, l.priorPaused)
	}
	enabled := l.sim.ResurrectionEnabled("cf", "diego-cell")
	switch {
	case wantPaused && enabled:
		t.Error("resurrection of diego-cell is on inside the unsafe window")
	case !wantPaused && enabled == l.priorPaused:
		t.Errorf("resurrection of diego-cell enabled = %v; want %v as before", enabled, !l.priorPaused)
	}
}

// checkRefusals: what the real agent refuses reaches the operator as a
// refusal (exit code 2) and nothing changes, on the cell or the director.
func (l *lab) checkRefusals() {
	t := l.t
	t.Helper()
	cases := []struct {
		name  string
		setup func() (restore func())
		keep  agentapi.Keep
		want  string
	}{
		{
			name: "investigator SSH not ready",
			setup: func() func() {
				must(t, os.WriteFile(l.group, []byte("bosh_sshers:x:1501:vcap\n"), 0o644))
				return func() { must(t, os.WriteFile(l.group, []byte(goodGroup), 0o644)) }
			},
			keep: agentapi.Keep{Handles: []string{l.kept}},
			want: "refused the plan: sequester-agent answered 422: refused: investigator SSH is not ready: ",
		},
		{
			name: "a keep handle that matches no container",
			keep: agentapi.Keep{Handles: []string{"no-such-container"}},
			want: `refused the plan: sequester-agent answered 422: refused: no container with handle "no-such-container" runs on this cell`,
		},
		{
			name: "an app with no container on the cell",
			keep: agentapi.Keep{AppGUIDs: []string{"app-elsewhere"}},
			want: "refused the plan: sequester-agent answered 422: refused: no container of app app-elsewhere runs on this cell",
		},
	}
	for _, tc := range cases {
		restore := func() {}
		if tc.setup != nil {
			restore = tc.setup()
		}
		f := l.flow()
		f.Opts.Keep = tc.keep
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		_, err := f.Run(ctx)
		cancel()
		restore()
		if !refusal.Is(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v; want a refusal containing %q", tc.name, err, tc.want)
		}
		if n := l.sim.RequestCount("POST", "/configs") + l.sim.RequestCount("PUT", "/resurrection"); n != 0 {
			t.Fatalf("%s: %d writes to configs or resurrection; a refusal changes nothing", tc.name, n)
		}
		st, err := agentapi.NewClient("https://"+l.agentCfg.ListenAddress, l.clientTLS).Status(t.Context())
		if err != nil || st.Phase != agentapi.PhaseIdle {
			t.Fatalf("%s: agent status %+v, %v; want idle", tc.name, st, err)
		}
	}
	if !l.router.Registering() || len(l.gardenHandles()) != len(l.handles) {
		t.Fatal("a refused request withdrew routes or removed containers")
	}
}
