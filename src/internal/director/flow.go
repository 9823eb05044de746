package director

import (
	"context"
	"errors"
	"fmt"
	"time"

	"code.cloudfoundry.org/lager/v3"
	boshdir "github.com/cloudfoundry/bosh-cli/v7/director"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cloudconfig"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
)

// Step names of the director-side flow, in order.
const (
	StepPreflight           = "preflight"
	StepRecord              = "record"
	StepReserveIP           = "reserve-ip"
	StepPauseResurrection   = "pause-resurrection"
	StepCellSide            = "cell-side"
	StepWaitUnresponsive    = "wait-unresponsive"
	StepDeleteVMReference   = "delete-vm-reference"
	StepRedeploy            = "redeploy"
	StepRestoreResurrection = "restore-resurrection"
	StepVerify              = "verify"
	StepReport              = "report"
)

// Steps is the flow's order, for plans and reports.
var Steps = []string{StepPreflight, StepRecord, StepReserveIP, StepPauseResurrection, StepCellSide,
	StepWaitUnresponsive, StepDeleteVMReference, StepRedeploy, StepRestoreResurrection, StepVerify, StepReport}

// Bosh-agent states the record keeps to know whether restoring resurrection
// is safe after a failure.
const (
	BoshAgentRunning = "running" // the cell side stopped before the agent stop
	BoshAgentStopped = "stopped"
	BoshAgentUnknown = "unknown"
)

// ResurrectionAPI reads and sets the director's global resurrection switch.
type ResurrectionAPI interface {
	GlobalResurrectionPaused() (bool, error)
}

// Flow is one sequestration against one director.
type Flow struct {
	Dir    boshdir.Director
	Raw    ResurrectionAPI
	Store  *record.Store
	Agents AgentDialer
	// BBS, when set, verifies from Diego's side.
	BBS    CellChecker
	Opts   Options
	Logger lager.Logger
	// Tasks, when set, is the connection's task reporter: the report
	// lists the director tasks this run waited for.
	Tasks *TaskReporter
	// Now and Sleep are the clock; tests keep the real ones.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error

	rec *record.Record
	t   *target
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
}

// Check is one preflight check as plan prints it.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

func (f *Flow) init() {
	f.Opts.defaults()
	if f.Now == nil {
		f.Now = time.Now
	}
	if f.Sleep == nil {
		f.Sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	if f.Logger == nil {
		f.Logger = lager.NewLogger("sequester")
	}
}

func (f *Flow) now() time.Time { return f.Now().UTC() }

// Plan runs preflight and says what Run would do. It changes nothing.
func (f *Flow) Plan(ctx context.Context) (*PlanReport, error) {
	f.init()
	logger := f.Logger.Session("plan", lager.Data{"deployment": f.Opts.Deployment, "instance": f.Opts.Instance})
	t, err := f.preflight(ctx, logger)
	p := &PlanReport{Deployment: f.Opts.Deployment, Instance: f.Opts.Instance, Steps: Steps}
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
	if err := f.ensureRecord(logger, started); err != nil {
		logger.Error("record-failed", err)
		return nil, err
	}

	steps := []struct {
		name string
		fn   func(context.Context, lager.Logger) error
	}{
		{StepReserveIP, f.reserveIP},
		{StepPauseResurrection, f.pauseResurrection},
		{StepCellSide, f.cellSide},
		{StepWaitUnresponsive, f.waitUnresponsive},
		{StepDeleteVMReference, f.deleteVMReference},
		{StepRedeploy, f.redeploy},
		{StepRestoreResurrection, f.restoreResurrection},
		{StepVerify, f.verify},
	}
	for _, s := range steps {
		if f.rec.Done(s.name) && !f.redo(s.name) {
			logger.Info("step-already-done", lager.Data{"step": s.name})
			continue
		}
		slog := logger.Session(s.name)
		slog.Info("starting")
		if err := f.save(func(r *record.Record) { r.Step(s.name).Start(f.now()) }); err != nil {
			return f.fail(ctx, logger, s.name, err)
		}
		if err := s.fn(ctx, slog); err != nil {
			slog.Error("failed", err)
			return f.fail(ctx, logger, s.name, err)
		}
		if err := f.save(func(r *record.Record) { r.Step(s.name).Finish(f.now(), nil) }); err != nil {
			return f.fail(ctx, logger, s.name, err)
		}
		slog.Info("finished")
	}
	err = f.save(func(r *record.Record) {
		now := f.now()
		st := r.Step(StepReport)
		st.Start(now)
		st.Finish(now, nil)
		r.State, r.Error, r.FinishedAt = record.StateComplete, "", &now
	})
	if err != nil {
		return f.fail(ctx, logger, StepReport, err)
	}
	logger.Info("finished", lager.Data{"old_ip": f.rec.OldIP, "new_ip": f.rec.NewIP, "record_id": f.rec.ID})
	return f.report(), nil
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
// BOSH agent with resurrection on.
func (f *Flow) redo(step string) bool {
	return step == StepPauseResurrection && f.rec.Resurrection.RestoredAt != nil && !f.rec.Done(StepRedeploy)
}

// save applies change to the stored record (merging with concurrent
// writers) and keeps the result as the flow's copy.
func (f *Flow) save(change func(*record.Record)) error {
	change(f.rec)
	r, err := f.Store.Update(f.rec.Deployment, f.rec.InstanceID, func(r *record.Record) error {
		change(r)
		return nil
	})
	if err != nil {
		return err
	}
	*f.rec = r
	return nil
}

// fail records the failure and decides about resurrection: restore it at
// once unless the instance sits in the unsafe window (BOSH agent possibly
// stopped, no replacement VM yet), where turning it back on would recreate
// the VM-less instance on its old IP or destroy the sequestered VM.
func (f *Flow) fail(ctx context.Context, logger lager.Logger, step string, cause error) (*Report, error) {
	now := f.now()
	f.rec.Step(step).Finish(now, cause)
	f.rec.State, f.rec.Error = record.StateFailed, fmt.Sprintf("%s: %v", step, cause)
	res := &f.rec.Resurrection
	if res.Mode != "" && res.RestoredAt == nil {
		inWindow, why := f.unsafeWindow(logger)
		if inWindow {
			res.LeftPaused = true
			f.rec.Warnings = appendOnce(f.rec.Warnings, "resurrection left paused: "+why+"; re-run the same command to finish, do not re-enable resurrection by hand")
			logger.Info("resurrection-left-paused", lager.Data{"why": why})
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
	cs := f.rec.Step(StepCellSide)
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
	st.Finish(now, nil)
	st = r.Step(StepRecord)
	st.Start(now)
	st.Finish(now, nil)
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
			return Refuse(fmt.Errorf("another sequestration of %s/%s started at the same time: %w", t.group, t.id, err))
		}
		return err
	}
	f.rec = &r
	return nil
}
