package director_test

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	boshdir "github.com/cloudfoundry/bosh-cli/v7/director"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cloudconfig"
	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
	"github.com/cloudfoundry-community/cell-sequestration/internal/director/directortest"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/directorsim"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

var idSegment = regexp.MustCompile(`^[0-9]+$`)

// endpointPattern turns a request path into the FailRequest pattern of its
// endpoint: /tasks/12/output -> /tasks/*/output, /deployments/cf/vms ->
// /deployments/*/vms.
func endpointPattern(p string) string {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	for i, s := range segs {
		if (segs[0] == "deployments" && i == 1) || idSegment.MatchString(s) || (segs[0] == "vms" && i == 1) {
			segs[i] = "*"
		}
	}
	return "/" + strings.Join(segs, "/")
}

// cleanRunProfile runs one sequestration and returns how many requests each
// endpoint got and which task kinds ran.
func cleanRunProfile(t testing.TB) (map[string]int, map[string]int) {
	l := newLab(t, 30*time.Millisecond)
	l.sim.ResetStats()
	if _, err := l.flow("diego-cell/"+l.target().ID, keepSuspects()).Run(withDeadline(t)); err != nil {
		t.Fatalf("clean run: %v", err)
	}
	counts := map[string]int{}
	for _, r := range l.sim.Requests() {
		counts[r.Method+" "+endpointPattern(r.Path)]++
	}
	return counts, l.sim.TaskCounts()
}

// samples picks which occurrences of an endpoint to fail: all of few,
// the first ones, the middle and the last ones of many.
func samples(n int) []int {
	if n <= 5 {
		out := []int{}
		for i := 1; i <= n; i++ {
			out = append(out, i)
		}
		return out
	}
	return []int{1, 2, n / 2, n - 1, n}
}

// failedRunOutcome checks what a failed first run must leave: the safety
// invariants, and resurrection back to its prior value unless the record
// says the run stopped inside the unsafe window (then paused, and the
// report says so).
func (l *lab) failedRunOutcome(targetID string, rep *director.Report, err error) {
	t := l.t
	t.Helper()
	l.checkInvariants(targetID)
	if refusal.Is(err) {
		// Refused: nothing changed, so no record and nothing paused.
		if _, _, gerr := record.NewStore(l.conn.Director, "", l.logger).Get("cf", targetID); !errors.Is(gerr, record.ErrNotFound) {
			t.Errorf("refused run left a record (%v)", gerr)
		}
		l.checkResurrection(targetID, false)
		return
	}
	r, _, gerr := record.NewStore(l.conn.Director, "", l.logger).Get("cf", targetID)
	if errors.Is(gerr, record.ErrNotFound) {
		// The record could not be created: nothing was done either.
		if !strings.Contains(err.Error(), "sequestration record") {
			t.Errorf("no record, but the failure is not the record's: %v", err)
		}
		l.checkResurrection(targetID, false)
		return
	}
	if gerr != nil {
		t.Fatalf("failed run left no readable record: %v", gerr)
	}
	inWindow := r.Step(director.StepContain).StartedAt != nil && !r.Done(director.StepRedeploy) && r.BoshAgent != director.BoshAgentRunning &&
		!(r.NewVMCID != "" && r.NewIP != r.OldIP)
	if inWindow {
		in, _ := l.sim.Instance("cf", "diego-cell", targetID)
		// The replacement may exist although the record missed it (a
		// failure between the deploy and the record write): then restoring
		// was right.
		if in.VMCID != "" && in.VMCID != l.before[targetID].VMCID && in.IPs["cells"] != l.before[targetID].IPs["cells"] {
			inWindow = false
		}
	}
	if rep != nil && r.Resurrection.Mode != "" {
		warned := false
		for _, w := range rep.Warnings {
			warned = warned || strings.HasPrefix(w, "resurrection left paused")
		}
		if inWindow != warned {
			t.Errorf("in unsafe window %v but report warns %v: %v", inWindow, warned, rep.Warnings)
		}
	}
	if r.Resurrection.Mode == "" {
		inWindow = false
	}
	l.checkResurrection(targetID, inWindow)
}

// rerunCompletes is the other half of every fault: the same command again
// finishes the job.
func (l *lab) rerunCompletes(targetID string) {
	t := l.t
	t.Helper()
	l.dirWrap = nil
	rep, err := l.flow("diego-cell/"+targetID, keepSuspects()).Run(withDeadline(t))
	if err != nil {
		t.Fatalf("re-run: %v (report %+v)", err, rep)
	}
	if rep.State != record.StateComplete || rep.NewIP == "" || rep.NewIP == rep.OldIP || len(rep.Warnings) != 0 || rep.Resurrection.LeftPaused {
		t.Fatalf("re-run report: %+v", rep)
	}
	l.checkInvariants(targetID)
	l.checkResurrection(targetID, false)
}

func TestEveryDirectorEndpointFailingOnceLeavesAResumableSafeState(t *testing.T) {
	counts, _ := cleanRunProfile(t)
	var endpoints []string
	for k := range counts {
		endpoints = append(endpoints, k)
	}
	sort.Strings(endpoints)
	for _, ep := range endpoints {
		method, pattern, _ := strings.Cut(ep, " ")
		if pattern == "/info" {
			continue // answered before authentication: Connect, not the flow
		}
		for _, nth := range samples(counts[ep]) {
			t.Run(fmt.Sprintf("%s %s #%d of %d", method, pattern, nth, counts[ep]), func(t *testing.T) {
				l := newLab(t, 30*time.Millisecond)
				tgt := l.target()
				l.sim.FailRequest(method, pattern, nth)
				rep, err := l.flow("diego-cell/"+tgt.ID, keepSuspects()).Run(withDeadline(t))
				if err == nil {
					// A read retried by bosh-cli or a step that re-checks
					// may absorb the fault; the run must then be complete.
					if rep.State != record.StateComplete {
						t.Fatalf("no error but state %s", rep.State)
					}
					l.checkInvariants(tgt.ID)
					l.checkResurrection(tgt.ID, false)
					return
				}
				l.failedRunOutcome(tgt.ID, rep, err)
				l.rerunCompletes(tgt.ID)
			})
		}
	}
}

func TestEveryTaskKindFailingOnceLeavesAResumableSafeState(t *testing.T) {
	_, kinds := cleanRunProfile(t)
	for _, kind := range []string{directorsim.KindVMs, directorsim.KindScan, directorsim.KindApplyResolutions, directorsim.KindUpdateDeployment} {
		if kinds[kind] == 0 {
			t.Fatalf("a clean run starts no %s task (%v)", kind, kinds)
		}
		t.Run(kind, func(t *testing.T) {
			l := newLab(t, 30*time.Millisecond)
			tgt := l.target()
			l.sim.FailNextTask(kind, "injected task failure")
			rep, err := l.flow("diego-cell/"+tgt.ID, keepSuspects()).Run(withDeadline(t))
			if err == nil {
				t.Fatalf("a failed %s task went unnoticed: %+v", kind, rep)
			}
			l.failedRunOutcome(tgt.ID, rep, err)
			l.rerunCompletes(tgt.ID)
		})
	}
}

func TestEveryCellStepFailingLeavesAResumableSafeState(t *testing.T) {
	for _, step := range directortest.CellSteps {
		t.Run(step, func(t *testing.T) {
			l := newLab(t, 30*time.Millisecond)
			tgt := l.target()
			l.cells[tgt.ID].FailAt = step
			rep, err := l.flow("diego-cell/"+tgt.ID, keepSuspects()).Run(withDeadline(t))
			if err == nil || !strings.Contains(err.Error(), "injected failure") {
				t.Fatalf("err = %v; want the cell side's failure", err)
			}
			// Failed before the BOSH agent stop: resurrection is restored
			// at once. Failed at the stop itself: unknown, left paused.
			// Failed after it: the BOSH switch is finished all the same,
			// and the report says loudly what the cell could not do.
			l.failedRunOutcome(tgt.ID, rep, err)
			afterStop := indexOf(directortest.CellSteps, step) > indexOf(directortest.CellSteps, agentapi.StepStopBoshAgent)
			switched := rep.NewIP != "" && rep.NewIP != rep.OldIP
			if afterStop != switched {
				t.Errorf("failed at %s: switched to a new VM = %v (new IP %q); want %v", step, switched, rep.NewIP, afterStop)
			}
			inContain := indexOf(agentapi.ContainSteps, step) >= 0
			warned := strings.Contains(strings.Join(rep.Warnings, "\n"), "THE CELL IS NOT FULLY CONTAINED")
			if afterStop && inContain != warned {
				t.Errorf("failed at %s after the BOSH agent stop: warned %v that the cell is not contained; want %v (%q)", step, warned, inContain, rep.Warnings)
			}
			if indexOf(agentapi.CleanupSteps, step) >= 0 && !strings.Contains(strings.Join(rep.Warnings, "\n"), "THE CELL'S CLEANUP DID NOT FINISH") {
				t.Errorf("failed at %s: no warning that the cleanup did not finish: %q", step, rep.Warnings)
			}
			if step == agentapi.StepStopRep && !strings.Contains(strings.Join(rep.Warnings, "\n"), "the old rep may still run") {
				t.Errorf("failed at the rep's stop: no warning that it may still run: %q", rep.Warnings)
			}
			l.rerunCompletes(tgt.ID)
		})
	}
}

func TestAgentUnreachableMidwayLeavesResurrectionPausedAndTheRerunFinishes(t *testing.T) {
	l := newLab(t, 30*time.Millisecond)
	tgt := l.target()
	ip := tgt.IPs["cells"]
	l.opts.CellTimeout = 300 * time.Millisecond
	cell := l.cells[tgt.ID]
	// The agent becomes unreachable once it stopped the BOSH agent: from
	// the errand's side nothing says whether the cell side finished.
	l.stopHook = func(string) { l.fleet.SetDown(ip, true) }
	rep, err := l.flow("diego-cell/"+tgt.ID, keepSuspects()).Run(withDeadline(t))
	if err == nil || !strings.Contains(err.Error(), "no answer before the timeout") {
		t.Fatalf("err = %v", err)
	}
	if rep == nil || !rep.Resurrection.LeftPaused {
		t.Fatalf("report: %+v; want resurrection left paused", rep)
	}
	l.failedRunOutcome(tgt.ID, rep, err)
	l.stopHook = nil
	l.fleet.SetDown(ip, false)
	l.rerunCompletes(tgt.ID)
	if cell.SequesterCalls() != 1 {
		t.Fatalf("%d sequester requests; the re-run should find the operation done", cell.SequesterCalls())
	}
}

func TestConcurrentConfigUpdatesAreMergedNotLost(t *testing.T) {
	for _, tc := range []struct {
		typ string
		nth int
	}{{"cloud", 1}, {record.DefaultType, 2}, {record.DefaultType, 5}, {record.DefaultType, 12}} {
		t.Run(fmt.Sprintf("%s write #%d", tc.typ, tc.nth), func(t *testing.T) {
			l := newLab(t, 30*time.Millisecond)
			tgt := l.target()
			note := "an operator's concurrent note"
			cw := &concurrentWriter{typ: tc.typ, nth: tc.nth}
			cw.before = func() {
				if tc.typ == "cloud" {
					cfg, _ := l.conn.Director.LatestConfig("cloud", cellsConfigName)
					if _, err := l.sim.SetCloudConfig(cellsConfigName, cfg.Content+"# "+note+"\n"); err != nil {
						t.Error(err)
					}
					return
				}
				store := record.NewStore(l.conn.Director, "", l.logger)
				if _, err := store.Update("cf", tgt.ID, func(r *record.Record) error {
					r.Warnings = append(r.Warnings, note)
					return nil
				}); err != nil {
					t.Error(err)
				}
			}
			l.dirWrap = func(d boshdir.Director) boshdir.Director { cw.Director = d; return cw }
			rep, err := l.flow("diego-cell/"+tgt.ID, keepSuspects()).Run(withDeadline(t))
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if cw.seen < tc.nth {
				t.Fatalf("only %d %s writes; the race never happened", cw.seen, tc.typ)
			}
			l.checkInvariants(tgt.ID)
			l.checkResurrection(tgt.ID, false)
			if tc.typ == "cloud" {
				cfg, _ := l.conn.Director.LatestConfig("cloud", cellsConfigName)
				if !strings.Contains(cfg.Content, note) || !strings.Contains(cfg.Content, tgt.IPs["cells"]) {
					t.Fatalf("cloud config lost an update:\n%s", cfg.Content)
				}
				return
			}
			found := false
			for _, w := range rep.Warnings {
				found = found || w == note
			}
			if !found {
				t.Fatalf("the concurrent note was lost: %v", rep.Warnings)
			}
		})
	}
}

// killSwitch stands for the errand process being killed: from call number
// `at` on, every director call fails, so nothing more is written, not even
// the failure.
type killSwitch struct {
	boshdir.Director
	mu    sync.Mutex
	calls int
	at    int
}

var errKilled = errors.New("process killed")

func (k *killSwitch) dead() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls++
	return k.at > 0 && k.calls >= k.at
}

func (k *killSwitch) ListDeployments() ([]boshdir.DeploymentResp, error) {
	if k.dead() {
		return nil, errKilled
	}
	return k.Director.ListDeployments()
}

func (k *killSwitch) CurrentTasks(f boshdir.TasksFilter) ([]boshdir.Task, error) {
	if k.dead() {
		return nil, errKilled
	}
	return k.Director.CurrentTasks(f)
}

func (k *killSwitch) ListConfigs(n int, f boshdir.ConfigsFilter) ([]boshdir.Config, error) {
	if k.dead() {
		return nil, errKilled
	}
	return k.Director.ListConfigs(n, f)
}

func (k *killSwitch) LatestConfig(typ, name string) (boshdir.Config, error) {
	if k.dead() {
		return boshdir.Config{}, errKilled
	}
	return k.Director.LatestConfig(typ, name)
}

func (k *killSwitch) UpdateConfig(typ, name, id string, c []byte) (boshdir.Config, error) {
	if k.dead() {
		return boshdir.Config{}, errKilled
	}
	return k.Director.UpdateConfig(typ, name, id, c)
}

func (k *killSwitch) DeleteConfig(typ, name string) (bool, error) {
	if k.dead() {
		return false, errKilled
	}
	return k.Director.DeleteConfig(typ, name)
}

func (k *killSwitch) EnableResurrection(on bool) error {
	if k.dead() {
		return errKilled
	}
	return k.Director.EnableResurrection(on)
}

func (k *killSwitch) FindDeployment(name string) (boshdir.Deployment, error) {
	d, err := k.Director.FindDeployment(name)
	return &killedDeployment{Deployment: d, k: k}, err
}

type killedDeployment struct {
	boshdir.Deployment
	k *killSwitch
}

func (d *killedDeployment) Instances() ([]boshdir.Instance, error) {
	if d.k.dead() {
		return nil, errKilled
	}
	return d.Deployment.Instances()
}

func (d *killedDeployment) VMInfos() ([]boshdir.VMInfo, error) {
	if d.k.dead() {
		return nil, errKilled
	}
	return d.Deployment.VMInfos()
}

func (d *killedDeployment) Manifest() (string, error) {
	if d.k.dead() {
		return "", errKilled
	}
	return d.Deployment.Manifest()
}

func (d *killedDeployment) Diff(m []byte, r bool) (boshdir.DeploymentDiff, error) {
	if d.k.dead() {
		return boshdir.DeploymentDiff{}, errKilled
	}
	return d.Deployment.Diff(m, r)
}

func (d *killedDeployment) ScanForProblems() ([]boshdir.Problem, error) {
	if d.k.dead() {
		return nil, errKilled
	}
	return d.Deployment.ScanForProblems()
}

func (d *killedDeployment) ResolveProblems(a []boshdir.ProblemAnswer, o map[string]string) error {
	if d.k.dead() {
		return errKilled
	}
	return d.Deployment.ResolveProblems(a, o)
}

func (d *killedDeployment) Update(m []byte, o boshdir.UpdateOpts) error {
	if d.k.dead() {
		return errKilled
	}
	return d.Deployment.Update(m, o)
}

func TestAKilledRunIsResumedAtEveryPoint(t *testing.T) {
	// Count the director calls of a clean run through the switch.
	probe := newLab(t, 30*time.Millisecond)
	ks := &killSwitch{}
	probe.dirWrap = func(d boshdir.Director) boshdir.Director { ks.Director = d; return ks }
	if _, err := probe.flow("diego-cell/"+probe.target().ID, keepSuspects()).Run(withDeadline(t)); err != nil {
		t.Fatal(err)
	}
	total := ks.calls
	for at := 2; at <= total; at += max(1, total/12) {
		t.Run(fmt.Sprintf("killed at call %d of %d", at, total), func(t *testing.T) {
			l := newLab(t, 30*time.Millisecond)
			tgt := l.target()
			ks := &killSwitch{at: at}
			l.dirWrap = func(d boshdir.Director) boshdir.Director { ks.Director = d; return ks }
			_, err := l.flow("diego-cell/"+tgt.ID, keepSuspects()).Run(withDeadline(t))
			if err == nil {
				t.Fatalf("killed at %d but the run completed", at)
			}
			// The killed run's cell side may still be finishing in the
			// background, as a real agent would; the re-run joins it.
			l.checkInvariants(tgt.ID)
			l.rerunCompletes(tgt.ID)
		})
	}
}

func TestGlobalResurrectionModePutsThePriorValueBack(t *testing.T) {
	for _, tc := range []struct {
		name       string
		priorPause bool
		failPutNth int
	}{
		{"resurrection on before", false, 0},
		{"resurrection already paused before", true, 0},
		{"the pause PUT failing", false, 1},
		{"the restore PUT failing", false, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t, 30*time.Millisecond)
			l.sim.SetResurrectionPaused(tc.priorPause)
			l.prior = tc.priorPause
			l.opts.ResurrectionMode = record.ResurrectionGlobal
			tgt := l.target()
			if tc.failPutNth > 0 {
				l.sim.FailRequest("PUT", "/resurrection", tc.failPutNth)
			}
			rep, err := l.flow("diego-cell/"+tgt.ID, keepSuspects()).Run(withDeadline(t))
			if tc.failPutNth == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if rep.Resurrection.Mode != record.ResurrectionGlobal || rep.Resurrection.GlobalPausedBefore != tc.priorPause {
					t.Fatalf("resurrection record: %+v", rep.Resurrection)
				}
				if n := l.sim.RequestCount("PUT", "/resurrection"); tc.priorPause && n != 0 {
					t.Fatalf("%d PUT /resurrection although it was already paused", n)
				}
				l.checkInvariants(tgt.ID)
				l.checkResurrection(tgt.ID, false)
				return
			}
			if err == nil {
				t.Fatal("a failed PUT /resurrection went unnoticed")
			}
			l.failedRunOutcome(tgt.ID, rep, err)
			l.rerunCompletes(tgt.ID)
		})
	}
}

func TestAnOperatorsChangeLandingMidwayIsNeverDeployedByUs(t *testing.T) {
	l := newLab(t, 30*time.Millisecond)
	tgt := l.target()
	// While we reserve the IP, an operator adds a VM extension to the
	// default cloud config: a full deploy would roll it out.
	cw := &concurrentWriter{typ: "cloud", nth: 1, before: func() {
		if _, err := l.sim.SetCloudConfig("default", defaultCloudConfig+"vm_extensions:\n- name: operators-change\n"); err != nil {
			t.Error(err)
		}
	}}
	l.dirWrap = func(d boshdir.Director) boshdir.Director { cw.Director = d; return cw }
	rep, err := l.flow("diego-cell/"+tgt.ID, keepSuspects()).Run(withDeadline(t))
	if err == nil || !strings.Contains(err.Error(), "the deployment diff holds more than the reserved IP") || !strings.Contains(err.Error(), "operators-change") {
		t.Fatalf("err = %v", err)
	}
	if n := l.sim.TaskCounts()[directorsim.KindUpdateDeployment]; n != 1 {
		t.Fatalf("%d deploy tasks; want only the lab's initial one", n)
	}
	// The VM reference is gone and no replacement exists: resurrection
	// stays paused, or it would recreate the instance on its old IP.
	if !rep.Resurrection.LeftPaused {
		t.Fatalf("resurrection not left paused: %+v", rep.Resurrection)
	}
	l.failedRunOutcome(tgt.ID, rep, err)
}

func TestOnlyOurProblemIsResolvedWhenTheScanFindsOthers(t *testing.T) {
	l := newLab(t, 30*time.Millisecond)
	tgt := l.target()
	other, _ := l.sim.Instance("cf", "diego-cell", "1")
	// Another cell's agent stops answering while ours is being let go.
	l.stopHook = func(id string) {
		if id == tgt.ID {
			_ = l.sim.SetInstanceAgentResponsive("cf", "diego-cell", other.ID, false)
		}
	}
	rep, err := l.flow("diego-cell/"+tgt.ID, keepSuspects()).Run(withDeadline(t))
	if err == nil || !strings.Contains(err.Error(), "other instances' agents stopped answering (diego-cell/"+other.ID+")") {
		t.Fatalf("err = %v; want the other instance named", err)
	}
	if s := reportStep(rep, director.StepDeleteVMReference); s.State != record.StepDone {
		t.Fatalf("delete-vm-reference: %+v", s)
	}
	if s := reportStep(rep, director.StepRedeploy); s.State != record.StepFailed {
		t.Fatalf("redeploy: %+v (err %v)", s, err)
	}
	now, _ := l.sim.Instance("cf", "diego-cell", other.ID)
	if now.VMCID != other.VMCID {
		t.Fatalf("the other instance's problem was resolved too: VM %s -> %s", other.VMCID, now.VMCID)
	}
	mine, _ := l.sim.Instance("cf", "diego-cell", tgt.ID)
	if mine.VMCID != "" {
		t.Fatalf("our VM reference is still there: %s", mine.VMCID)
	}
	l.failedRunOutcome(tgt.ID, rep, err)
	// The other agent comes back; the re-run finishes.
	l.stopHook = nil
	_ = l.sim.SetInstanceAgentResponsive("cf", "diego-cell", other.ID, true)
	l.rerunCompletes(tgt.ID)
}

// oldDirector has no GET /resurrection, as directors before it was added.
type oldDirector struct{ *director.RawClient }

func (oldDirector) GlobalResurrectionPaused() (bool, error) {
	return false, &director.HTTPError{Method: "GET", Path: "/resurrection", StatusCode: 404, Body: "Endpoint '/resurrection' not found."}
}

func TestADirectorWithoutGetResurrectionUsesOnlyTheScopedPause(t *testing.T) {
	l := newLab(t, 30*time.Millisecond)
	tgt := l.target()
	f := l.flow("diego-cell/"+tgt.ID, keepSuspects())
	f.Raw = oldDirector{l.conn.Raw}
	rep, err := f.Run(withDeadline(t))
	if err != nil || !rep.Resurrection.GlobalUnknown || rep.Resurrection.Mode != record.ResurrectionScoped {
		t.Fatalf("run: %v %+v", err, rep)
	}
	if n := l.sim.RequestCount("PUT", "/resurrection"); n != 0 {
		t.Fatalf("%d PUT /resurrection without knowing the prior value", n)
	}
	l.checkInvariants(tgt.ID)
	l.checkResurrection(tgt.ID, false)

	l2 := newLab(t, 30*time.Millisecond)
	l2.opts.ResurrectionMode = record.ResurrectionGlobal
	f = l2.flow("diego-cell/"+l2.target().ID, keepSuspects())
	f.Raw = oldDirector{l2.conn.Raw}
	if _, err := f.Run(withDeadline(t)); !refusal.Is(err) || !strings.Contains(err.Error(), "read global resurrection") {
		t.Fatalf("global mode without the prior value: %v", err)
	}
}

// An operator's `bosh update-cloud-config` from a repo that lacks our
// entry, between a failed redeploy and the re-run: the re-run must not
// deploy against a cloud config that no longer reserves the old IP (the
// instance would keep its database reservation and get a new VM on the
// old IP, next to the live sequestered VM).
func TestRerunAfterTheReservationWasDroppedReservesAgainBeforeDeploying(t *testing.T) {
	l := newLab(t, 30*time.Millisecond)
	tgt := l.target()
	l.sim.FailNextTask(directorsim.KindUpdateDeployment, "injected task failure")
	if _, err := l.flow("diego-cell/"+tgt.ID, keepSuspects()).Run(withDeadline(t)); err == nil {
		t.Fatal("the injected deploy failure went unnoticed")
	}
	if _, err := l.sim.SetCloudConfig(cellsConfigName, cellsCloudConfig); err != nil {
		t.Fatal(err)
	}
	l.rerunCompletes(tgt.ID)
	cfg, err := l.conn.Director.LatestConfig("cloud", cellsConfigName)
	if err != nil || !strings.Contains(cfg.Content, tgt.IPs["cells"]) {
		t.Fatalf("the old IP is not reserved after the re-run (%v):\n%s", err, cfg.Content)
	}
}

// An operator reserves another cell's IP in the same subnet while we
// sequester: the redeploy's diff then adds an entry the subnet holds, but
// not one it held when we checked, and deploying would move that cell.
func TestAnOperatorsNewReservedEntryIsNeverDeployedByUs(t *testing.T) {
	l := newLab(t, 30*time.Millisecond)
	tgt := l.target()
	var other directorsim.Instance
	for _, in := range l.sim.Instances("cf") {
		if in.Group == "diego-cell" && in.Index == 1 {
			other = in
		}
	}
	l.stopHook = func(string) {
		cfg, err := l.conn.Director.LatestConfig("cloud", cellsConfigName)
		if err != nil {
			t.Error(err)
			return
		}
		out, _, err := cloudconfig.Reserve([]byte(cfg.Content), "cells", other.IPs["cells"])
		if err != nil {
			t.Error(err)
			return
		}
		if _, err := l.sim.SetCloudConfig(cellsConfigName, string(out)); err != nil {
			t.Error(err)
		}
	}
	rep, err := l.flow("diego-cell/"+tgt.ID, keepSuspects()).Run(withDeadline(t))
	if err == nil || !strings.Contains(err.Error(), "the deployment diff holds more than the reserved IP") || !strings.Contains(err.Error(), other.IPs["cells"]) {
		t.Fatalf("err = %v", err)
	}
	if n := l.sim.TaskCounts()[directorsim.KindUpdateDeployment]; n != 1 {
		t.Fatalf("%d deploy tasks; want only the lab's initial one", n)
	}
	l.failedRunOutcome(tgt.ID, rep, err)
}

// A subnet whose reserved entries are one string: our edit makes it a list,
// and the director's diff renders the operator's entry again as a list
// item next to ours; that is not a change of theirs.
func TestAReservedStringBecomingAListIsNotAnotherChange(t *testing.T) {
	l := newLab(t, 30*time.Millisecond)
	asString := strings.Replace(cellsCloudConfig, "reserved: [127.0.24.1 - 127.0.24.9]", "reserved: 127.0.24.1 - 127.0.24.9", 1)
	if asString == cellsCloudConfig {
		t.Fatal("the test's cloud config edit matched nothing")
	}
	if _, err := l.sim.SetCloudConfig(cellsConfigName, asString); err != nil {
		t.Fatal(err)
	}
	if _, err := l.sim.Deploy(cfManifest); err != nil {
		t.Fatal(err)
	}
	l.snapshot()
	tgt := l.target()
	rep, err := l.flow("diego-cell/"+tgt.ID, keepSuspects()).Run(withDeadline(t))
	if err != nil {
		t.Fatalf("run: %v (%+v)", err, rep)
	}
	l.checkInvariants(tgt.ID)
	l.checkResurrection(tgt.ID, false)
}

// Another writer's note landing just as a failed run writes its failure:
// the failure write meets a 412, re-reads, and must keep the note.
func TestTheFailureWriteKeepsAConcurrentWritersNote(t *testing.T) {
	run := func(nth int, before func(l *lab, id string)) (*lab, *concurrentWriter, *director.Report, error) {
		l := newLab(t, 30*time.Millisecond)
		tgt := l.target()
		cw := &concurrentWriter{typ: record.DefaultType, nth: nth}
		if before != nil {
			cw.before = func() { before(l, tgt.ID) }
		}
		l.dirWrap = func(d boshdir.Director) boshdir.Director { cw.Director = d; return cw }
		l.sim.FailNextTask(directorsim.KindUpdateDeployment, "injected task failure")
		rep, err := l.flow("diego-cell/"+tgt.ID, keepSuspects()).Run(withDeadline(t))
		return l, cw, rep, err
	}
	_, probe, _, err := run(0, nil)
	if err == nil {
		t.Fatal("the injected deploy failure went unnoticed")
	}
	note := "an operator's concurrent note"
	l, _, _, err := run(probe.seen, func(l *lab, id string) {
		if _, err := record.NewStore(l.conn.Director, "", l.logger).Update("cf", id, func(r *record.Record) error {
			r.Warnings = append(r.Warnings, note)
			return nil
		}); err != nil {
			t.Error(err)
		}
	})
	if err == nil {
		t.Fatal("the injected deploy failure went unnoticed")
	}
	r, _, gerr := record.NewStore(l.conn.Director, "", l.logger).Get("cf", l.target().ID)
	if gerr != nil || r.State != record.StateFailed {
		t.Fatalf("record %+v, %v", r, gerr)
	}
	found := false
	for _, w := range r.Warnings {
		found = found || w == note
	}
	if !found {
		t.Fatalf("the concurrent note was lost: %q", r.Warnings)
	}
}

func reportStep(rep *director.Report, name string) director.ReportStep {
	for _, s := range rep.Steps {
		if s.Name == name {
			return s
		}
	}
	return director.ReportStep{Name: name}
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}
