package director

import (
	"context"
	"errors"
	"fmt"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
)

// cellSide asks the cell's sequester-agent to run its sequence (withdraw
// routes, stop the rep, isolate kept containers, evidence, wait for
// replacements, prune, check SSH, stop the BOSH agent last) under the
// record id as operation id, so a resumed run joins the same operation, and
// polls its status until it is done or failed.
func (f *Flow) cellSide(ctx context.Context, logger lager.Logger) error {
	agent := f.Agents(f.rec.OldIP)
	opID := f.rec.ID
	if st, err := agent.Status(ctx); err == nil && st.OperationID == opID && st.Phase == agentapi.PhaseDone {
		logger.Info("already-done", lager.Data{"operation_id": opID})
		return f.cellDone(st)
	}
	// From the first sequester request on, the BOSH agent may stop at any
	// moment: until the agent says otherwise, resurrection must stay off.
	if err := f.save(func(r *record.Record) { r.BoshAgent = BoshAgentUnknown }); err != nil {
		return err
	}
	deadline := f.now().Add(f.Opts.CellTimeout)
	var st agentapi.Status
	var err error
	for {
		st, err = agent.Sequester(ctx, f.agentRequest(opID))
		if err == nil {
			break
		}
		if agentapi.IsRefused(err) {
			// Refused: the agent changed nothing.
			_ = f.save(func(r *record.Record) { r.BoshAgent = BoshAgentRunning })
			return fmt.Errorf("sequester-agent refused: %w", err)
		}
		if f.now().After(deadline) {
			return fmt.Errorf("sequester-agent on %s unreachable: %w", f.rec.OldIP, err)
		}
		logger.Debug("sequester-request-retry", lager.Data{"error": err.Error()})
		if err := f.Sleep(ctx, f.Opts.PollInterval); err != nil {
			return err
		}
	}
	logger.Info("sequester-accepted", lager.Data{"operation_id": opID, "phase": st.Phase})
	var lastErr error
	for {
		if st.OperationID != "" && st.OperationID != opID {
			return fmt.Errorf("sequester-agent runs another operation %s", st.OperationID)
		}
		switch st.Phase {
		case agentapi.PhaseDone:
			logger.Info("cell-side-done", lager.Data{"kept": len(st.Kept), "pruned": len(st.Pruned)})
			return f.cellDone(st)
		case agentapi.PhaseFailed:
			// The agent journals a resumed operation running before it
			// answers the POST (the e2e tests hold it to that), so a
			// failure read here is this attempt's.
			state := agentStopState(st)
			_ = f.save(func(r *record.Record) {
				r.BoshAgent = state
				recordCellSide(r, st)
			})
			return fmt.Errorf("cell side failed: %s", st.Error)
		}
		if f.now().After(deadline) {
			if lastErr != nil {
				return fmt.Errorf("sequester-agent on %s: no answer before the timeout (%s): %w", f.rec.OldIP, f.Opts.CellTimeout, lastErr)
			}
			return fmt.Errorf("cell side not done after %s (phase %s)", f.Opts.CellTimeout, st.Phase)
		}
		if err := f.Sleep(ctx, f.Opts.PollInterval); err != nil {
			return err
		}
		next, err := agent.Status(ctx)
		if err != nil {
			// The agent may restart or the network blip; it resumes its
			// operation from disk, so keep polling until the deadline.
			lastErr = err
			logger.Debug("status-poll-failed", lager.Data{"error": err.Error()})
			continue
		}
		lastErr = nil
		logger.Debug("status", lager.Data{"phase": next.Phase})
		st = next
	}
}

// agentStopState reads from the agent's steps whether the BOSH agent was
// (possibly) stopped.
func agentStopState(st agentapi.Status) string {
	for _, s := range st.Steps {
		if s.Name != agentapi.StepStopBoshAgent {
			continue
		}
		switch s.State {
		case agentapi.StepDone:
			return BoshAgentStopped
		case agentapi.StepPending, agentapi.StepSkipped:
			return BoshAgentRunning
		default:
			return BoshAgentUnknown
		}
	}
	return BoshAgentRunning
}

func (f *Flow) cellDone(st agentapi.Status) error {
	state := agentStopState(st)
	ssh := st.SSH
	err := f.save(func(r *record.Record) {
		r.BoshAgent = state
		r.Kept, r.Pruned, r.Evidence, r.SSH = st.Kept, st.Pruned, st.Evidence, &ssh
		recordCellSide(r, st)
	})
	if err != nil {
		return err
	}
	if state != BoshAgentStopped {
		return errors.New("the cell side finished without stopping the BOSH agent (bosh_agent.stop is off?); the director would never see it unresponsive")
	}
	return nil
}

// recordCellSide keeps the agent's account of the cell side in the record.
func recordCellSide(r *record.Record, st agentapi.Status) {
	r.CellSteps = st.Steps
	r.NoReplacement = st.NoReplacement
	r.PruneFailures = st.PruneFailures
	r.PruneLeftovers = st.PruneLeftovers
	r.Quarantined = st.Quarantined
}
