package agent

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"code.cloudfoundry.org/bbs/models"
	"code.cloudfoundry.org/clock"
	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/journal"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/keep"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/prune"
	"github.com/cloudfoundry-community/cell-sequestration/internal/poll"
	"github.com/cloudfoundry-community/cell-sequestration/internal/steps"
)

type stepFunc func(ctx context.Context, logger lager.Logger, st *journal.State) (steps.Outcome, error)

// sequence is the cell side's steps for the operation st describes: each
// definition carries both what the plan says and what the run does. The
// run functions work on *st, which the runner keeps current.
func (a *Agent) sequence(st *journal.State) []steps.Def {
	def := func(name, description string, fn stepFunc) steps.Def {
		return steps.Def{Name: name, Description: description, Run: func(ctx context.Context, logger lager.Logger) (steps.Outcome, error) {
			return fn(ctx, logger, st)
		}}
	}
	req := st.Request
	bosh := "contain: stop the BOSH agent so that it stays down (no deploy can start a job here again)"
	if !a.d.StopBoshAgent || req.SkipBoshAgentStop {
		bosh = "contain: leave the BOSH agent running (a deploy can still start the rep and the route emitter)"
	}
	iso := "contain: nothing to isolate: no container is kept"
	if opts := a.isolationOptions(req); len(st.Keep) > 0 {
		iso = fmt.Sprintf("contain: isolate %d kept container(s): their ports reset new connections except from %v", len(st.Keep), opts.AllowSources)
		if opts.BlockEgress {
			iso += "; block their egress"
		}
		if opts.Freeze {
			iso += "; freeze them"
		}
	}
	wait := fmt.Sprintf("cleanup: wait up to %s for BBS to run %d pruned LRP instance(s) on other cells", a.replacementTimeout(req), len(st.Awaited))
	if why := a.noReplacementWait(req); why != "" {
		wait = "cleanup: skip the wait for replacements: " + why
	}
	return []steps.Def{
		def(agentapi.StepCheckSSH, "contain: check investigator SSH (the BOSH agent is the other way in)", a.checkSSH),
		def(agentapi.StepStopBoshAgent, bosh, a.stopBoshAgent),
		def(agentapi.StepWithdrawRoutes, "contain: withdraw routes: monit stop the route emitter and check it is gone", a.withdrawRoutes),
		def(agentapi.StepStopRep, "contain: stop the rep: monit unmonitor, SIGKILL (no evacuation, no container cleanup), check it stays dead", a.stopRep),
		def(agentapi.StepIsolateKept, iso, a.isolateKept),
		def(agentapi.StepCaptureEvidence, "cleanup: capture an evidence bundle", a.captureEvidence),
		def(agentapi.StepAwaitReplacements, wait, a.awaitReplacements),
		def(agentapi.StepPruneContainers, fmt.Sprintf("cleanup: prune %d container(s) with %d workers, then check the kept ones still run", len(st.Prune), a.workers()), a.pruneContainers),
	}
}

// isolationOptions: the request can turn on what the agent's config does
// not.
func (a *Agent) isolationOptions(req agentapi.SequesterRequest) IsolationOptions {
	return IsolationOptions{
		BlockEgress:  req.BlockEgress || a.d.BlockEgress,
		Freeze:       req.Freeze || a.d.Freeze,
		AllowSources: a.d.AllowSources,
	}
}

// noReplacementWait says why the replacement wait is skipped, or "".
func (a *Agent) noReplacementWait(req agentapi.SequesterRequest) string {
	switch {
	case req.SkipReplacementWait:
		return "the request skips it"
	case a.d.BBS == nil:
		return "BBS is not configured"
	}
	return ""
}

// run does every step not yet done, in order, journaling each start and
// end. A step found running (the agent died in it) runs again: each is
// idempotent. An interruption (Close) leaves the step journaled as
// running, as a crash would.
func (a *Agent) run(ctx context.Context) {
	st, _ := a.d.Journal.Current()
	logger := a.logger.Session("sequester", lager.Data{"operation_id": st.Request.OperationID})
	logger.Info("starting")
	var cur journal.State
	hooks := steps.Hooks{
		Now: a.d.Now,
		Finished: func(name string) bool {
			c, _ := a.d.Journal.Current()
			return c.Finished(name)
		},
		Started: func(name string, at time.Time) error {
			var err error
			cur, err = a.d.Journal.Update(at, func(s *journal.State) { s.StartStep(name, at) })
			return err
		},
		Ended: func(name string, at time.Time, out steps.Outcome, stepErr error) error {
			state := agentapi.StepDone
			if out.Skipped {
				state = agentapi.StepSkipped
			}
			_, err := a.d.Journal.Update(at, func(s *journal.State) {
				*s = cur
				s.EndStep(name, state, out.Detail, stepErr, at)
				markContained(s, at)
				summarizeSteps(s)
			})
			return err
		},
	}
	last := agentapi.ContainSteps[len(agentapi.ContainSteps)-1]
	for _, d := range a.sequence(&cur) {
		if ctx.Err() != nil {
			logger.Info("interrupted", lager.Data{"before_step": d.Name})
			return
		}
		if err := steps.RunOne(ctx, logger, hooks, d); err != nil {
			if errors.Is(err, steps.ErrInterrupted) {
				logger.Info("interrupted", lager.Data{"step": d.Name})
			} else {
				logger.Info("stopped-at-failed-step", lager.Data{"step": d.Name})
			}
			return
		}
		if d.Name == last {
			logger.Info("contained")
		}
	}
	if _, err := a.d.Journal.Update(a.d.Now(), func(s *journal.State) { s.Status.Phase = agentapi.PhaseDone }); err != nil {
		logger.Error("failed-to-journal-completion", err)
		return
	}
	logger.Info("finished")
}

func (a *Agent) withdrawRoutes(ctx context.Context, _ lager.Logger, _ *journal.State) (steps.Outcome, error) {
	d, err := a.d.RouteEmitter.Stop(ctx)
	return steps.Outcome{Detail: d}, err
}

func (a *Agent) stopRep(ctx context.Context, _ lager.Logger, _ *journal.State) (steps.Outcome, error) {
	d, err := a.d.Rep.Stop(ctx)
	return steps.Outcome{Detail: d}, err
}

func (a *Agent) isolateKept(ctx context.Context, logger lager.Logger, st *journal.State) (steps.Outcome, error) {
	if len(st.Keep) == 0 {
		return steps.Outcome{Skipped: true, Detail: "no container is kept"}, nil
	}
	if a.d.Isolator == nil {
		return steps.Outcome{}, errors.New("no isolation is configured")
	}
	detail, err := a.d.Isolator.Isolate(ctx, st.Keep, a.isolationOptions(st.Request))
	if err != nil {
		return steps.Outcome{}, fmt.Errorf("isolate kept containers: %w", err)
	}
	return steps.Outcome{Detail: detail}, nil
}

func (a *Agent) captureEvidence(ctx context.Context, _ lager.Logger, st *journal.State) (steps.Outcome, error) {
	b, err := a.d.Evidence.Capture(ctx, fmt.Sprintf("%s-%s", safeName(a.d.CellID), safeName(st.Request.OperationID)))
	if err != nil {
		return steps.Outcome{}, err
	}
	st.Status.Evidence, st.Status.EvidenceBytes = b.Path, b.Bytes
	detail := fmt.Sprintf("%s (%d bytes, %d entries)", b.Path, b.Bytes, len(b.Entries))
	if len(b.Truncated) > 0 {
		detail += fmt.Sprintf("; size cap cut %d entries", len(b.Truncated))
	}
	return steps.Outcome{Detail: detail}, nil
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ' ' {
			return '_'
		}
		return r
	}, s)
}

// awaitReplacements waits until BBS runs each awaited instance (process
// guid and index) on another cell, as evacuation would have ensured,
// bounded by the timeout. Instances still without one are reported, not
// fatal: the cell must leave the platform either way.
func (a *Agent) awaitReplacements(ctx context.Context, logger lager.Logger, st *journal.State) (steps.Outcome, error) {
	if why := a.noReplacementWait(st.Request); why != "" {
		return steps.Outcome{Skipped: true, Detail: "did not wait for replacements: " + why}, nil
	}
	if len(st.Awaited) == 0 {
		return steps.Outcome{Skipped: true, Detail: "no LRP instance on this cell is pruned"}, nil
	}
	timeout := a.replacementTimeout(st.Request)
	pending := map[string]journal.LRPInstance{}
	for _, l := range st.Awaited {
		pending[l.String()] = l
	}
	err := poll.Until(ctx, clock.NewClock(), a.d.ReplacementPoll, timeout, func() (bool, error) {
		byGUID := map[string][]journal.LRPInstance{}
		for _, l := range pending {
			byGUID[l.ProcessGUID] = append(byGUID[l.ProcessGUID], l)
		}
		for pg, insts := range byGUID {
			lrps, err := a.d.BBS.ActualLRPs(logger, "", models.ActualLRPFilter{ProcessGuid: pg})
			if err != nil {
				logger.Debug("bbs-poll-failed", lager.Data{"process_guid": pg, "error": err.Error()})
				continue
			}
			for _, inst := range insts {
				for _, l := range lrps {
					if l.Index == inst.Index && l.CellId != a.d.CellID && l.CellId != "" && l.State == models.ActualLRPStateRunning {
						delete(pending, inst.String())
						logger.Info("replacement-running", lager.Data{"process_guid": pg, "index": inst.Index, "new_cell_id": l.CellId})
						break
					}
				}
			}
		}
		logger.Debug("awaiting-replacements", lager.Data{"pending": len(pending)})
		return len(pending) == 0, nil
	})
	if err != nil && !errors.Is(err, poll.ErrTimeout) {
		// The context ended; what is still pending is reported below
		// only when the time is up.
		return steps.Outcome{}, err
	}
	var missing []string
	for k := range pending {
		missing = append(missing, k)
	}
	sort.Strings(missing)
	st.Status.NoReplacement = missing
	replaced := len(st.Awaited) - len(missing)
	if len(missing) > 0 {
		logger.Info("no-replacement-in-time", lager.Data{"instances": missing, "timeout_seconds": timeout.Seconds()})
		return steps.Outcome{Detail: fmt.Sprintf("%d of %d instance(s) running elsewhere; no replacement within %s for %s", replaced, len(st.Awaited), timeout, strings.Join(missing, ", "))}, nil
	}
	return steps.Outcome{Detail: fmt.Sprintf("all %d instance(s) running on other cells", replaced)}, nil
}

func (a *Agent) pruneContainers(ctx context.Context, logger lager.Logger, st *journal.State) (steps.Outcome, error) {
	b, err := a.d.Backend(ctx)
	if err != nil {
		return steps.Outcome{}, err
	}
	kept := keep.Handles(st.Keep)
	// Everything not kept goes, including a container that appeared after
	// the plan (one the rep was creating when it was killed): a container
	// left behind is a worker nobody watches.
	targets := keep.Handles(st.Prune)
	late := lateContainers(ctx, b, st)
	if len(late) > 0 {
		logger.Info("containers-appeared-after-plan", lager.Data{"container_handles": late})
		targets = append(targets, late...)
	}
	res := prune.Run(ctx, logger, b, targets, prune.Options{Workers: a.d.PruneWorkers, Keep: kept, ObserveDestroy: a.d.ObserveDestroy})
	st.Status.Pruned = res.Pruned
	if st.Status.Pruned == nil {
		st.Status.Pruned = []string{}
	}
	st.Status.PruneFailures, st.Status.PruneLeftovers = pruneAccount(res)
	if st.Status.Durations == nil {
		st.Status.Durations = map[string]agentapi.DurationStats{}
	}
	st.Status.Durations["container_destroy"] = res.Durations
	detail := fmt.Sprintf("pruned %d of %d through %s in %s (destroy max %.3fs, p99 %.3fs)",
		len(res.Pruned), len(targets), b.Name(), res.Took.Round(time.Millisecond), res.Durations.MaxSeconds, res.Durations.P99Seconds)
	if len(late) > 0 {
		detail += fmt.Sprintf("; %d appeared after the plan", len(late))
	}
	if b.Name() == containers.BackendRunc {
		detail += "; runc fallback: networking, images and garden records are left behind"
	}
	if len(res.KeptProblems) > 0 {
		var ps []string
		for h, p := range res.KeptProblems {
			ps = append(ps, h+": "+p)
		}
		sort.Strings(ps)
		return steps.Outcome{Detail: detail}, fmt.Errorf("kept containers are not running: %s", strings.Join(ps, "; "))
	}
	if fb, ok := b.(containers.Fallbacks); ok {
		detail += fallbackDetail(fb.Fallbacks(), targets)
	}
	if len(res.Failures) > 0 {
		q := a.quarantine(ctx, logger, b, unprunable(res.Failures, kept), st)
		return steps.Outcome{Detail: detail}, fmt.Errorf("%d container(s) could not be pruned: %s; running the same sequestration again retries the prune", len(res.Failures), q)
	}
	st.Status.Quarantined = nil
	return steps.Outcome{Detail: detail}, nil
}

func (a *Agent) checkSSH(_ context.Context, _ lager.Logger, st *journal.State) (steps.Outcome, error) {
	ssh := a.d.SSH.Check()
	st.Status.SSH = ssh
	if ssh.Ready {
		return steps.Outcome{Detail: fmt.Sprintf("user %s can log in (%d key(s), sshd listening)", ssh.User, ssh.Keys)}, nil
	}
	if st.Request.AllowWithoutSSH {
		return steps.Outcome{Detail: "investigator SSH is not ready, going on as the request allows: " + ssh.Problem}, nil
	}
	return steps.Outcome{}, fmt.Errorf("investigator SSH is not ready (%s): not stopping the BOSH agent, the last way in; fix it and post the operation again", ssh.Problem)
}

func (a *Agent) stopBoshAgent(ctx context.Context, logger lager.Logger, st *journal.State) (steps.Outcome, error) {
	if !a.d.StopBoshAgent {
		return steps.Outcome{Skipped: true, Detail: "the agent config leaves the BOSH agent running"}, nil
	}
	if st.Request.SkipBoshAgentStop {
		return steps.Outcome{Skipped: true, Detail: "the request leaves the BOSH agent running"}, nil
	}
	// The step before checked investigator access, but a resumed operation
	// (this step failed, or the agent died here) may come back much later:
	// check again right before the other way in goes.
	if _, err := a.checkSSH(ctx, logger, st); err != nil {
		return steps.Outcome{}, err
	}
	d, err := a.d.BoshAgent.Stop(ctx)
	return steps.Outcome{Detail: d}, err
}

// markContained sets the status's ContainedAt once every contain step has
// finished: the moment the cell stopped taking traffic and work, which the
// director reports as the time to contain.
func markContained(s *journal.State, now time.Time) {
	if s.Status.ContainedAt != nil {
		return
	}
	for _, name := range agentapi.ContainSteps {
		if !s.Finished(name) {
			return
		}
	}
	t := now.UTC()
	s.Status.ContainedAt = &t
}

// summarizeSteps keeps count, total, max and p99 of the finished steps'
// durations in the status, next to the per-step times.
func summarizeSteps(s *journal.State) {
	var ds []time.Duration
	for _, st := range s.Status.Steps {
		if st.StartedAt != nil && st.FinishedAt != nil {
			ds = append(ds, st.FinishedAt.Sub(*st.StartedAt))
		}
	}
	if s.Status.Durations == nil {
		s.Status.Durations = map[string]agentapi.DurationStats{}
	}
	s.Status.Durations["steps"] = containers.SummarizeDurations(ds)
}

// lateContainers are listed now but were in neither set when the operation
// was planned. A listing error only means none are added: the journaled
// prune set still goes, and prune's own check reports what remains.
func lateContainers(ctx context.Context, b containers.Backend, st *journal.State) []string {
	cs, err := b.List(ctx)
	if err != nil {
		return nil
	}
	known := map[string]bool{}
	for _, c := range append(append([]agentapi.Container{}, st.Keep...), st.Prune...) {
		known[c.Handle] = true
	}
	var late []string
	for _, c := range cs {
		if !known[c.Handle] && containers.ValidateHandle(c.Handle) == nil {
			late = append(late, c.Handle)
		}
	}
	sort.Strings(late)
	return late
}
