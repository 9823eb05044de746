package director

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"code.cloudfoundry.org/clock"
	"code.cloudfoundry.org/lager/v3"
	boshdir "github.com/cloudfoundry/bosh-cli/v7/director"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cloudconfig"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
	"github.com/cloudfoundry-community/cell-sequestration/internal/steps"
)

// Step names of the director-side flow.
const (
	StepPreflight         = "preflight"
	StepRecord            = "record"
	StepReserveIP         = "reserve-ip"
	StepPauseResurrection = "pause-resurrection"
	// StepContain is the cell's contain phase: the BOSH agent stopped,
	// routes withdrawn, the rep dead, kept containers isolated.
	StepContain = "contain"
	// The parallel phase: the cell cleans up while the director switches
	// the VM, and the global pause bridges the scoped rule's re-read.
	StepCellCleanup         = "cell-cleanup"
	StepEndBridge           = "end-resurrection-bridge"
	StepWaitUnresponsive    = "wait-unresponsive"
	StepDeleteVMReference   = "delete-vm-reference"
	StepRedeploy            = "redeploy"
	StepRestoreResurrection = "restore-resurrection"
	StepVerify              = "verify"
	StepReport              = "report"
)

// Steps is the flow's order, for plans and reports. ParallelSteps run
// side by side after the contain step and join before restore-resurrection.
//
// The old IP is reserved only once the director reports the agent
// unresponsive: a deploy of the cells' deployment (a pipeline's) that binds
// the instance while its agent still answers and its IP is reserved would
// recreate it on a new IP and delete the sequestered VM; one that binds it
// unresponsive fails instead, touching nothing.
var Steps = []string{StepPreflight, StepRecord, StepPauseResurrection, StepContain,
	StepCellCleanup, StepEndBridge, StepWaitUnresponsive, StepReserveIP, StepDeleteVMReference, StepRedeploy,
	StepRestoreResurrection, StepVerify, StepReport}

// ParallelSteps are the steps of the parallel phase, in Steps order.
var ParallelSteps = []string{StepCellCleanup, StepEndBridge, StepWaitUnresponsive, StepReserveIP, StepDeleteVMReference, StepRedeploy}

// stepDescriptions say what each step does; describe adapts the
// resurrection steps to the choices the run will make.
var stepDescriptions = map[string]string{
	StepPreflight:           "check the director, the instance, its network, the agent and the limits; change nothing",
	StepRecord:              "record the sequestration in the director's configs",
	StepReserveIP:           "in parallel, once the agent is unresponsive: reserve the old IP in the cloud config that defines the network",
	StepPauseResurrection:   "pause resurrection for the instance group with a resurrection config; pause the global switch as well (it takes effect at once) to bridge the minute until the health monitor reads the rule",
	StepContain:             "on the cell, within seconds: check investigator SSH, stop the BOSH agent, withdraw routes, kill the rep, isolate kept containers",
	StepCellCleanup:         "in parallel, on the cell: capture evidence, wait for BBS to run replacements elsewhere, prune the other containers",
	StepEndBridge:           "in parallel: once the health monitor has read the scoped rule, put the global switch back to its prior value",
	StepWaitUnresponsive:    "in parallel: wait until the director reports the agent unresponsive",
	StepDeleteVMReference:   "in parallel: scan and resolve only this VM's problem with delete_vm_reference",
	StepRedeploy:            "in parallel: deploy the current manifest against the latest cloud config: a new VM on a new IP",
	StepRestoreResurrection: "after the join: restore resurrection to its prior value",
	StepVerify:              "verify from the consumer's side: new IP, old IP reserved, rep presence moved, no LRP left on the old cell",
	StepReport:              "report and mark the record complete",
}

// Bosh-agent states the record keeps to know whether restoring resurrection
// is safe after a failure.
const (
	BoshAgentRunning = "running" // the cell side stopped before the agent stop
	BoshAgentStopped = "stopped"
	BoshAgentUnknown = "unknown"
)

// RawAPI is what the flow asks the director that bosh-cli's client cannot
// tell it: whether resurrection is paused globally (bosh-cli can only set
// it), and a deployment diff with the director's error when it could not
// compute one.
type RawAPI interface {
	GlobalResurrectionPaused() (bool, error)
	DeploymentDiff(deployment string, manifest []byte) (boshdir.DeploymentDiff, error)
}

// DirectorAPI is what the flow asks of bosh-cli's director client (a
// boshdir.Director is one): deployments, tasks and locks, configs, and the
// global resurrection switch.
type DirectorAPI interface {
	record.ConfigAPI
	ListDeployments() ([]boshdir.DeploymentResp, error)
	FindDeployment(name string) (boshdir.Deployment, error)
	CurrentTasks(filter boshdir.TasksFilter) ([]boshdir.Task, error)
	Locks() ([]boshdir.Lock, error)
	FindTask(id int) (boshdir.Task, error)
	LatestConfig(configType, name string) (boshdir.Config, error)
	LatestConfigByID(configID string) (boshdir.Config, error)
	DeleteConfig(configType, name string) (bool, error)
	EnableResurrection(enabled bool) error
}

// Flow is one sequestration against one director.
type Flow struct {
	Dir    DirectorAPI
	Raw    RawAPI
	Store  *record.Store
	Agents AgentDialer
	// BBS, when set, verifies from Diego's side.
	BBS    CellChecker
	Opts   Options
	Logger lager.Logger
	// Tasks, when set, is the connection's task reporter: the report
	// lists the director tasks this run waited for.
	Tasks *TaskReporter
	// Clock times the waits and polls (default: the real clock).
	Clock clock.Clock

	rec *record.Record
	t   *target
	// mu serialises record writes: the parallel phase's branches save
	// from their own goroutines.
	mu sync.Mutex
	// posted: this process has posted the sequester request, so a failed
	// status read afterwards is this attempt's outcome.
	posted bool
}

// target is what preflight learnt about the instance.
type target struct {
	group, id string
	dep       boshdir.Deployment
	inst      boshdir.Instance
	vm        boshdir.VMInfo
	ip        string
	manifest  string
	placement cloudconfig.Placement
	// cloudContent is the latest content of the config placement names.
	cloudContent string
	others       map[string]string // GROUP/ID -> VM cid of every other instance
	existing     *record.Record
	globalWas    bool
	// globalUnknown: no GET /resurrection on this director.
	globalUnknown bool
	agentPlan     *agentapi.Plan
	checks        []Check
	resumeOnly    bool
	// running counts the other VMs running per instance group.
	running map[string]int
	// records are the sequestration records, read once.
	records []record.Record
}

// Check is one preflight check as plan prints it.
type Check struct {
	Name string `json:"name"`
	OK   bool   `json:"ok"`
	// Skipped: the check could not run because a check it needs failed.
	Skipped bool   `json:"skipped,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

func (f *Flow) init() {
	f.Opts.defaults()
	if f.Clock == nil {
		f.Clock = clock.NewClock()
	}
	if f.Logger == nil {
		f.Logger = lager.NewLogger("sequester")
	}
}

func (f *Flow) now() time.Time { return f.Clock.Now().UTC() }

// sleep waits d on the flow's clock, or until ctx ends.
func (f *Flow) sleep(ctx context.Context, d time.Duration) error {
	t := f.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C():
		return nil
	}
}

// Plan runs preflight and says what Run would do. It changes nothing.
func (f *Flow) Plan(ctx context.Context) (*PlanReport, error) {
	f.init()
	logger := f.Logger.Session("plan", lager.Data{"deployment": f.Opts.Deployment, "instance": f.Opts.Instance})
	t, err := f.preflight(ctx, logger)
	p := &PlanReport{Deployment: f.Opts.Deployment, Instance: f.Opts.Instance, Steps: Steps, Descriptions: map[string]string{}}
	c := pauseChoice{mode: f.Opts.ResurrectionMode, wait: f.Opts.ResurrectionWait}
	if t != nil {
		c.globalWas, c.globalUnknown = t.globalWas, t.globalUnknown
	}
	for _, name := range Steps {
		p.Descriptions[name] = describe(name, c)
	}
	if t != nil {
		p.Checks = t.checks
		p.OldIP, p.VMCID, p.AZ = t.ip, t.inst.VMID, t.inst.AZ
		p.Network, p.CloudConfig = t.placement.Network, t.placement.Config
		p.Resume = t.resumeOnly
		if t.agentPlan != nil {
			p.Agent = t.agentPlan
		}
	}
	if err != nil {
		p.Refused = err.Error()
		return p, err
	}
	return p, nil
}

// Run sequesters the instance, or resumes the sequestration its record
// describes. The report is returned whenever a record exists, also on
// failure; a preflight refusal returns only the error.
func (f *Flow) Run(ctx context.Context) (*Report, error) {
	f.init()
	logger := f.Logger.Session("sequester", lager.Data{"deployment": f.Opts.Deployment, "instance": f.Opts.Instance})
	logger.Info("starting")
	started := f.now()
	t, err := f.preflight(ctx, logger)
	if err != nil {
		// preflight logged the refusal with its check.
		return nil, err
	}
	f.t = t
	unlock, err := f.lockLimits(logger, t)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := f.ensureRecord(logger, started); err != nil {
		logger.Error("record-failed", err)
		return nil, err
	}
	unlock() // from here the record counts against max_sequestered

	if err := f.runStep(ctx, logger, stepDef{StepPauseResurrection, f.pauseResurrection}); err != nil {
		return f.fail(ctx, logger, StepPauseResurrection, err)
	}
	// The bridge ends once the rule is in force, however long the cell
	// takes to contain.
	b := f.startBridgeEnd(ctx, logger)
	defer b.stop()
	containErr := f.runStep(ctx, logger, stepDef{StepContain, f.contain})
	if containErr != nil {
		if f.boshAgent() != BoshAgentStopped {
			// The failure handling ends the bridge itself.
			b.stop()
			return f.fail(ctx, logger, StepContain, containErr)
		}
		// The BOSH agent is down: the instance is stuck unresponsive
		// until the switch is done (every deploy of the deployment fails
		// on it), so the director side goes on and the report says
		// loudly what the cell could not do.
		logger.Error("cell-not-contained-finishing-the-bosh-switch", containErr)
		f.warn("THE CELL IS NOT FULLY CONTAINED: " + containErr.Error() + "; the BOSH switch goes on because the BOSH agent is already stopped; re-run the same command to finish the cell side, or take routes, rep and containers out by hand")
		if !f.cellStepDone(agentapi.StepStopRep) {
			f.warn("the old rep may still run and hold the cell id's presence: the replacement's rep cannot take it until the old one is dead")
		}
	}
	cleanupErr, directorStep, directorErr := f.parallel(ctx, logger, containErr == nil, b)
	if directorErr != nil {
		return f.fail(ctx, logger, directorStep, directorErr)
	}
	if err := f.runStep(ctx, logger, stepDef{StepRestoreResurrection, f.restoreResurrection}); err != nil {
		return f.fail(ctx, logger, StepRestoreResurrection, err)
	}
	switch {
	case containErr != nil:
		return f.fail(ctx, logger, StepContain, containErr)
	case cleanupErr != nil:
		f.warn("THE CELL'S CLEANUP DID NOT FINISH: " + cleanupErr.Error() + "; the cell is contained and the BOSH switch is done; re-run the same command to finish the cleanup")
		return f.fail(ctx, logger, StepCellCleanup, cleanupErr)
	}
	if err := f.runStep(ctx, logger, stepDef{StepVerify, f.verify}); err != nil {
		return f.fail(ctx, logger, StepVerify, err)
	}
	now := f.now()
	err = f.save(func(r *record.Record) {
		st := r.Step(StepReport)
		st.Start(now)
		st.Finish(now, steps.Outcome{}, nil)
		r.State, r.Error, r.FinishedAt = record.StateComplete, "", &now
	})
	if err != nil {
		return f.fail(ctx, logger, StepReport, err)
	}
	logger.Info("finished", lager.Data{"old_ip": f.rec.OldIP, "new_ip": f.rec.NewIP, "record_id": f.rec.ID})
	return f.report(), nil
}

// pauseChoice is what decides how resurrection is paused.
type pauseChoice struct {
	mode                     string
	globalWas, globalUnknown bool
	wait                     time.Duration
}

// describe says what a step will do with the run's choices: the plan
// prints it and the run carries the same definition.
func describe(name string, c pauseChoice) string {
	switch {
	case name == StepPauseResurrection && c.mode == record.ResurrectionGlobal && c.globalWas:
		return "resurrection is paused globally already: leave it so until the replacement exists"
	case name == StepPauseResurrection && c.mode == record.ResurrectionGlobal:
		return "pause resurrection globally (it takes effect at once) until the replacement exists"
	case name == StepPauseResurrection && c.globalUnknown:
		return fmt.Sprintf("pause resurrection for the instance group with a resurrection config, then wait %s for the health monitor to read it (the director does not tell the global switch's prior value, so it is not used as a bridge)", c.wait)
	case name == StepPauseResurrection && c.globalWas:
		return "pause resurrection for the instance group with a resurrection config; the global switch, paused already, covers the health monitor's re-read"
	case name == StepPauseResurrection:
		return fmt.Sprintf("pause resurrection for the instance group with a resurrection config; pause the global switch as well (it takes effect at once) to bridge the %s until the health monitor reads the rule", c.wait)
	case name == StepEndBridge && (c.mode == record.ResurrectionGlobal || c.globalWas || c.globalUnknown):
		return "in parallel: nothing to do, there is no bridge"
	}
	return stepDescriptions[name]
}

func (f *Flow) pauseChoice() pauseChoice {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := pauseChoice{mode: f.Opts.ResurrectionMode, wait: f.Opts.ResurrectionWait}
	switch {
	case f.rec != nil:
		c.globalWas, c.globalUnknown = f.rec.Resurrection.GlobalPausedBefore, f.rec.Resurrection.GlobalUnknown
	case f.t != nil:
		c.globalWas, c.globalUnknown = f.t.globalWas, f.t.globalUnknown
	}
	return c
}

// stepDef is one step of the flow and what it does; its description is
// the plan's (describe).
type stepDef struct {
	name string
	fn   func(context.Context, lager.Logger) error
}

// skipped, returned by a step, finishes it as skipped with why as its
// detail.
type skipped struct{ why string }

func (s skipped) Error() string { return s.why }

// runStep runs one step through the step runner, with the record as its
// journal: a finished step is skipped (unless it must run again), the
// start and the end are saved.
func (f *Flow) runStep(ctx context.Context, logger lager.Logger, s stepDef) error {
	return steps.RunOne(ctx, logger, f.stepHooks(), steps.Def{
		Name: s.name, Description: describe(s.name, f.pauseChoice()),
		Run: func(ctx context.Context, logger lager.Logger) (steps.Outcome, error) {
			err := s.fn(ctx, logger)
			var skip skipped
			if errors.As(err, &skip) {
				return steps.Outcome{Skipped: true, Detail: skip.why}, nil
			}
			return steps.Outcome{}, err
		},
	})
}

func (f *Flow) stepHooks() steps.Hooks {
	return steps.Hooks{
		Finished: func(name string) bool { return f.done(name) && !f.redo(name) },
		Started: func(name string, at time.Time) error {
			return f.save(func(r *record.Record) { r.Step(name).Start(at) })
		},
		Ended: func(name string, at time.Time, out steps.Outcome, err error) error {
			serr := f.save(func(r *record.Record) { r.Step(name).Finish(at, out, err) })
			if err != nil {
				// fail() records the failure again with the flow's.
				return nil
			}
			return serr
		},
		Now: f.now,
	}
}

// parallel runs the phase after the contain step: the cell's cleanup (when
// the cell contained), the end of the global bridge, and the director's
// switch (wait for the unresponsive agent, reserve the old IP, delete the
// VM reference, redeploy), and joins them. The bridge ends on its own once the scoped
// rule is in force; when the switch finishes first, restore-resurrection
// ends it at once (the replacement exists). It returns the cleanup's
// error, and the first director-side step that failed with its error.
func (f *Flow) parallel(ctx context.Context, logger lager.Logger, cleanup bool, b *bridgeEnd) (cleanupErr error, failedStep string, directorErr error) {
	var wg sync.WaitGroup
	if cleanup {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cleanupErr = f.runStep(ctx, logger, stepDef{StepCellCleanup, f.cellCleanup})
		}()
	}
	for _, s := range []stepDef{{StepWaitUnresponsive, f.waitUnresponsive}, {StepReserveIP, f.reserveIP},
		{StepDeleteVMReference, f.whileLocked(f.deleteVMReference)}, {StepRedeploy, f.whileLocked(f.redeploy)}} {
		if err := f.runStep(ctx, logger, s); err != nil {
			failedStep, directorErr = s.name, err
			break
		}
	}
	if directorErr == nil {
		// The replacement exists: restore-resurrection ends the bridge
		// now rather than when the rule is in force.
		b.stop()
	} else {
		// Inside the window the scoped rule alone must keep resurrection
		// off: the bridge ends when the rule is in force.
		b.wait()
	}
	wg.Wait()
	return cleanupErr, failedStep, directorErr
}

// bridgeEnd is the end-resurrection-bridge step running beside the
// contain step and the parallel phase.
type bridgeEnd struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// startBridgeEnd starts the step that ends the global bridge once the
// scoped rule is in force.
func (f *Flow) startBridgeEnd(ctx context.Context, logger lager.Logger) *bridgeEnd {
	bctx, cancel := context.WithCancel(ctx)
	b := &bridgeEnd{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(b.done)
		if err := f.runStep(bctx, logger, stepDef{StepEndBridge, f.endBridge}); err != nil && !errors.Is(err, context.Canceled) {
			// restore-resurrection and the failure handling try the
			// global switch again.
			logger.Error("bridge-not-ended-yet", err)
		}
	}()
	return b
}

// stop cancels the wait for the rule (the switch is done, or a failure
// ends the bridge itself) and waits for the step.
func (b *bridgeEnd) stop() { b.cancel(); <-b.done }

// wait lets the step end the bridge on its own.
func (b *bridgeEnd) wait() { <-b.done }

func (f *Flow) done(step string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rec.Done(step)
}

func (f *Flow) boshAgent() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rec.BoshAgent
}

// cellStepDone: the agent reported the cell step done.
func (f *Flow) cellStepDone(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.rec.CellSteps {
		if s.Name == name {
			return s.State == agentapi.StepDone
		}
	}
	return false
}

func (f *Flow) warn(w string) {
	_ = f.save(func(r *record.Record) { r.Warnings = appendOnce(r.Warnings, w) })
}

func (f *Flow) report() *Report {
	rep := NewReport(f.rec)
	if f.Tasks != nil {
		rep.Tasks = f.Tasks.Timings()
	}
	if f.t != nil && f.t.agentPlan != nil {
		rep.Health = f.t.agentPlan.Health
	}
	return rep
}

// redo: a done pause must run again when an earlier failure restored
// resurrection before the replacement existed; skipping it would stop the
// BOSH agent with resurrection on. A bridge's end that an earlier run cut
// short (it was stopped before the rule was in force) runs again while the
// bridge is on.
func (f *Flow) redo(step string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	res := f.rec.Resurrection
	switch step {
	case StepPauseResurrection:
		return res.RestoredAt != nil && !f.rec.Done(StepRedeploy)
	case StepEndBridge:
		return res.Bridge && res.BridgeEndedAt == nil && res.RestoredAt == nil
	}
	return false
}

// save applies change to the flow's copy and to the stored record
// (merging with concurrent writers), and takes the notes other writers
// added. Writes are serialised; change must be deterministic (take times
// before the call), since it is applied to both copies.
func (f *Flow) save(change func(*record.Record)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f.rec)
	r, err := f.Store.Update(f.rec.Deployment, f.rec.InstanceID, func(r *record.Record) error {
		change(r)
		return nil
	})
	if err != nil {
		return err
	}
	f.rec.Warnings, f.rec.UpdatedAt = r.Warnings, r.UpdatedAt
	return nil
}

// fail records the failure and decides about resurrection: restore it at
// once unless the instance sits in the unsafe window (BOSH agent possibly
// stopped, no replacement VM yet), where turning it back on would recreate
// the VM-less instance on its old IP or destroy the sequestered VM.
func (f *Flow) fail(ctx context.Context, logger lager.Logger, step string, cause error) (*Report, error) {
	now := f.now()
	f.rec.Step(step).Finish(now, steps.Outcome{}, cause)
	f.rec.State, f.rec.Error = record.StateFailed, fmt.Sprintf("%s: %v", step, cause)
	res := &f.rec.Resurrection
	if res.Mode != "" && res.RestoredAt == nil {
		inWindow, why := f.unsafeWindow(logger)
		if inWindow {
			res.LeftPaused = true
			f.rec.Warnings = appendOnce(f.rec.Warnings, "resurrection left paused: "+why+"; re-run the same command to finish, do not re-enable resurrection by hand")
			logger.Info("resurrection-left-paused", lager.Data{"why": why})
			// The scoped rule keeps it paused; the global switch goes
			// back once the health monitor has read the rule.
			if err := f.finishBridge(ctx, logger, true); err != nil {
				f.rec.Warnings = appendOnce(f.rec.Warnings, "global resurrection is still paused by this run's bridge ("+err.Error()+"); re-run the same command, which puts it back")
				logger.Error("bridge-not-ended", err)
			}
		} else if err := f.doRestore(logger); err != nil {
			f.rec.Warnings = appendOnce(f.rec.Warnings, "could not restore resurrection: "+err.Error())
			logger.Error("restore-resurrection-failed", err)
		} else {
			res.LeftPaused = false
		}
	}
	snapshot := *f.rec
	// The failure itself may be the director; the record write is best
	// effort and the report carries the same facts.
	_, werr := f.Store.Update(f.rec.Deployment, f.rec.InstanceID, func(r *record.Record) error {
		r.Steps, r.Resurrection = snapshot.Steps, snapshot.Resurrection
		r.State, r.Error = snapshot.State, snapshot.Error
		// Another writer's warnings (re-read on a 412) stay.
		for _, w := range snapshot.Warnings {
			r.Warnings = appendOnce(r.Warnings, w)
		}
		return nil
	})
	if werr != nil {
		logger.Error("record-failure-not-saved", werr)
		f.rec.Warnings = appendOnce(f.rec.Warnings, "the failure could not be written to the record: "+werr.Error())
	}
	return f.report(), fmt.Errorf("%s: %w", step, cause)
}

// unsafeWindow: the cell side was started, the BOSH agent may be down, and
// the replacement VM does not exist yet.
func (f *Flow) unsafeWindow(logger lager.Logger) (bool, string) {
	cs := f.rec.Step(StepContain)
	if cs.StartedAt == nil || f.rec.BoshAgent == BoshAgentRunning {
		return false, ""
	}
	if f.rec.Done(StepRedeploy) {
		return false, ""
	}
	if f.t != nil && f.t.dep != nil {
		insts, err := f.t.dep.Instances()
		if err == nil {
			for _, in := range insts {
				if in.ID == f.rec.InstanceID && in.VMID != "" && in.VMID != f.rec.VMCID && len(in.IPs) > 0 && in.IPs[0] != f.rec.OldIP {
					return false, ""
				}
			}
		} else {
			logger.Error("instances-for-window-check-failed", err)
		}
	}
	switch f.rec.BoshAgent {
	case BoshAgentStopped:
		return true, "the BOSH agent of the sequestered VM is stopped and the replacement VM does not exist yet"
	default:
		return true, "the cell side was started and may have stopped the BOSH agent, and the replacement VM does not exist yet"
	}
}

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// ensureRecord creates the record for a fresh run, or adopts the one being
// resumed.
func (f *Flow) ensureRecord(logger lager.Logger, started time.Time) error {
	t := f.t
	if t.existing != nil && t.existing.State != record.StateReleased {
		r := *t.existing
		f.rec = &r
		logger.Info("resuming", lager.Data{"record_id": r.ID, "state": r.State})
		// The failed run's warnings described its stop; its steps keep
		// their errors. This run reports its own.
		return f.save(func(r *record.Record) { r.State, r.Error, r.Warnings = record.StateInProgress, "", nil })
	}
	now := f.now()
	r := record.Record{
		ID:            record.NewID(),
		RequestedBy:   f.Opts.RequestedBy,
		Reason:        f.Opts.Reason,
		CaseID:        f.Opts.CaseID,
		CreatedAt:     now,
		Deployment:    f.Opts.Deployment,
		InstanceGroup: t.group,
		InstanceID:    t.id,
		OldIP:         t.ip,
		VMCID:         t.inst.VMID,
		AgentID:       t.inst.AgentID,
		AZ:            t.inst.AZ,
		Network:       t.placement.Network,
		Reservation: record.Reservation{
			CloudConfig:    t.placement.Config,
			ConfigIDBefore: t.placement.ConfigID,
			CoveredBy:      t.placement.ReservedBy,
		},
		Resurrection: record.Resurrection{GlobalPausedBefore: t.globalWas, GlobalUnknown: t.globalUnknown},
		OtherVMs:     t.others,
		Keep:         f.Opts.Keep,
		State:        record.StateInProgress,
	}
	st := r.Step(StepPreflight)
	st.Start(started)
	st.Finish(now, steps.Outcome{}, nil)
	st = r.Step(StepRecord)
	st.Start(now)
	st.Finish(now, steps.Outcome{}, nil)
	var err error
	if t.existing != nil {
		// A released record of the same instance is history: a new
		// sequestration of its replacement VM takes the name over.
		var out record.Record
		out, err = f.Store.Update(r.Deployment, r.InstanceID, func(old *record.Record) error { *old = r; return nil })
		r = out
	} else {
		r, err = f.Store.Create(r)
	}
	if err != nil {
		if errors.Is(err, record.ErrConflict) {
			return refusal.New(fmt.Errorf("another sequestration of %s/%s started at the same time: %w", t.group, t.id, err))
		}
		return err
	}
	f.rec = &r
	return nil
}
