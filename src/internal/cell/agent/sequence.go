package agent

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"code.cloudfoundry.org/bbs/models"
	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/journal"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/keep"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/prune"
)

// outcome of one step: done or skipped, with a detail for the status.
type outcome struct {
	skipped bool
	detail  string
}

type stepFunc func(ctx context.Context, logger lager.Logger, st *journal.State) (outcome, error)

func (a *Agent) stepFuncs() map[string]stepFunc {
	return map[string]stepFunc{
		agentapi.StepWithdrawRoutes:    a.withdrawRoutes,
		agentapi.StepStopRep:           a.stopRep,
		agentapi.StepIsolateKept:       a.isolateKept,
		agentapi.StepCaptureEvidence:   a.captureEvidence,
		agentapi.StepAwaitReplacements: a.awaitReplacements,
		agentapi.StepPruneContainers:   a.pruneContainers,
		agentapi.StepCheckSSH:          a.checkSSH,
		agentapi.StepStopBoshAgent:     a.stopBoshAgent,
	}
}

// run does every step not yet done, in order, journaling each start and
// end. A step found running (the agent died in it) runs again: each is
// idempotent. An interruption (Close) leaves the step journaled as
// running, as a crash would.
func (a *Agent) run(ctx context.Context) {
	st, _ := a.d.Journal.Current()
	logger := a.logger.Session("sequester", lager.Data{"operation_id": st.Request.OperationID})
	logger.Info("starting")
	funcs := a.stepFuncs()
	for _, name := range Steps {
		cur, _ := a.d.Journal.Current()
		if cur.Finished(name) {
			continue
		}
		cur, err := a.d.Journal.Update(a.d.Now(), func(s *journal.State) { s.StartStep(name, a.d.Now()) })
		if err != nil {
			logger.Error("failed-to-journal-step-start", err, lager.Data{"step": name})
			return
		}
		stepLogger := logger.Session(name)
		stepLogger.Info("starting")
		out, stepErr := funcs[name](ctx, stepLogger, &cur)
		if ctx.Err() != nil {
			logger.Info("interrupted", lager.Data{"step": name})
			return
		}
		state := agentapi.StepDone
		if out.skipped {
			state = agentapi.StepSkipped
		}
		if _, err := a.d.Journal.Update(a.d.Now(), func(s *journal.State) {
			*s = cur
			s.EndStep(name, state, out.detail, stepErr, a.d.Now())
			summarizeSteps(s)
		}); err != nil {
			logger.Error("failed-to-journal-step-end", err, lager.Data{"step": name})
			return
		}
		if stepErr != nil {
			stepLogger.Error("failed", stepErr)
			logger.Info("stopped-at-failed-step", lager.Data{"step": name})
			return
		}
		stepLogger.Info("finished", lager.Data{"state": state, "detail": out.detail})
	}
	if _, err := a.d.Journal.Update(a.d.Now(), func(s *journal.State) { s.Status.Phase = agentapi.PhaseDone }); err != nil {
		logger.Error("failed-to-journal-completion", err)
		return
	}
	logger.Info("finished")
}

func (a *Agent) withdrawRoutes(ctx context.Context, _ lager.Logger, _ *journal.State) (outcome, error) {
	d, err := a.d.RouteEmitter.Stop(ctx)
	return outcome{detail: d}, err
}

func (a *Agent) stopRep(ctx context.Context, _ lager.Logger, _ *journal.State) (outcome, error) {
	d, err := a.d.Rep.Stop(ctx)
	return outcome{detail: d}, err
}

func (a *Agent) isolateKept(ctx context.Context, logger lager.Logger, st *journal.State) (outcome, error) {
	if len(st.Keep) == 0 {
		return outcome{skipped: true, detail: "no container is kept"}, nil
	}
	if a.d.Isolator == nil {
		return outcome{}, errors.New("no isolation is configured")
	}
	opts := IsolationOptions{
		BlockEgress:  st.Request.BlockEgress || a.d.BlockEgress,
		Freeze:       st.Request.Freeze || a.d.Freeze,
		AllowSources: a.d.AllowSources,
	}
	detail, err := a.d.Isolator.Isolate(ctx, st.Keep, opts)
	if err != nil {
		return outcome{}, fmt.Errorf("isolate kept containers: %w", err)
	}
	return outcome{detail: detail}, nil
}

func (a *Agent) captureEvidence(ctx context.Context, _ lager.Logger, st *journal.State) (outcome, error) {
	b, err := a.d.Evidence.Capture(ctx, fmt.Sprintf("%s-%s", safeName(a.d.CellID), safeName(st.Request.OperationID)))
	if err != nil {
		return outcome{}, err
	}
	st.Status.Evidence, st.Status.EvidenceBytes = b.Path, b.Bytes
	detail := fmt.Sprintf("%s (%d bytes, %d entries)", b.Path, b.Bytes, len(b.Entries))
	if len(b.Truncated) > 0 {
		detail += fmt.Sprintf("; size cap cut %d entries", len(b.Truncated))
	}
	return outcome{detail: detail}, nil
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
func (a *Agent) awaitReplacements(ctx context.Context, logger lager.Logger, st *journal.State) (outcome, error) {
	if st.Request.SkipReplacementWait {
		return outcome{skipped: true, detail: "skipped by the request"}, nil
	}
	if a.d.BBS == nil {
		return outcome{skipped: true, detail: "BBS is not configured: did not wait for replacements"}, nil
	}
	if len(st.Awaited) == 0 {
		return outcome{skipped: true, detail: "no LRP instance on this cell is pruned"}, nil
	}
	timeout := a.replacementTimeout(st.Request)
	deadline := time.Now().Add(timeout)
	pending := map[string]journal.LRPInstance{}
	for _, l := range st.Awaited {
		pending[l.String()] = l
	}
	for {
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
		if len(pending) == 0 || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return outcome{}, ctx.Err()
		case <-time.After(a.d.ReplacementPoll):
		}
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
		return outcome{detail: fmt.Sprintf("%d of %d instance(s) running elsewhere; no replacement within %s for %s", replaced, len(st.Awaited), timeout, strings.Join(missing, ", "))}, nil
	}
	return outcome{detail: fmt.Sprintf("all %d instance(s) running on other cells", replaced)}, nil
}

func (a *Agent) pruneContainers(ctx context.Context, logger lager.Logger, st *journal.State) (outcome, error) {
	b, err := a.d.Backend(ctx)
	if err != nil {
		return outcome{}, err
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
	failures := map[string]string{}
	for h, f := range res.Failures {
		failures[h] = f
	}
	for h, left := range res.Leftovers {
		if _, failed := failures[h]; !failed {
			failures[h] = "destroyed through " + b.Name() + "; left behind: " + strings.Join(left, ", ")
		}
	}
	if len(failures) > 0 {
		st.Status.PruneFailures = failures
	} else {
		st.Status.PruneFailures = nil
	}
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
		return outcome{detail: detail}, fmt.Errorf("kept containers are not running: %s", strings.Join(ps, "; "))
	}
	if len(res.Failures) > 0 {
		return outcome{detail: detail}, fmt.Errorf("%d container(s) could not be pruned and may still take work; posting the same operation again retries", len(res.Failures))
	}
	return outcome{detail: detail}, nil
}

func (a *Agent) checkSSH(_ context.Context, _ lager.Logger, st *journal.State) (outcome, error) {
	ssh := a.d.SSH.Check()
	st.Status.SSH = ssh
	if ssh.Ready {
		return outcome{detail: fmt.Sprintf("user %s can log in (%d key(s), sshd listening)", ssh.User, ssh.Keys)}, nil
	}
	if st.Request.AllowWithoutSSH {
		return outcome{detail: "investigator SSH is not ready, going on as the request allows: " + ssh.Problem}, nil
	}
	return outcome{}, fmt.Errorf("investigator SSH is not ready (%s): not stopping the BOSH agent, the last way in; fix it and post the operation again", ssh.Problem)
}

func (a *Agent) stopBoshAgent(ctx context.Context, logger lager.Logger, st *journal.State) (outcome, error) {
	if !a.d.StopBoshAgent {
		return outcome{skipped: true, detail: "the agent config leaves the BOSH agent running"}, nil
	}
	if st.Request.SkipBoshAgentStop {
		return outcome{skipped: true, detail: "the request leaves the BOSH agent running"}, nil
	}
	// The step before checked investigator access, but a resumed operation
	// (this step failed, or the agent died here) may come back much later:
	// check again right before the last way in goes.
	if _, err := a.checkSSH(ctx, logger, st); err != nil {
		return outcome{}, err
	}
	d, err := a.d.BoshAgent.Stop(ctx)
	return outcome{detail: d}, err
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
