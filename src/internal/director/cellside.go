package director

import (
	"context"
	"errors"
	"fmt"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/poll"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
)

// containPoll bounds how often the contain step polls the agent: the
// contain phase takes seconds and the director side waits for it.
const containPoll = 500 * time.Millisecond

// contain asks the cell's sequester-agent to run its sequence under the
// record id as operation id (a resumed run joins the same operation) and
// waits for its contain phase: investigator SSH checked, the BOSH agent
// stopped, routes withdrawn, the rep dead, kept containers isolated. The
// agent goes on with its cleanup on its own.
func (f *Flow) contain(ctx context.Context, logger lager.Logger) error {
	agent := f.Agents(f.rec.OldIP)
	opID := f.rec.ID
	if st, err := agent.Status(ctx); err == nil && st.OperationID == opID && st.ContainedAt != nil {
		logger.Info("already-contained", lager.Data{"operation_id": opID, "contained_at": st.ContainedAt})
		return f.contained(st)
	}
	// From the first sequester request on, the BOSH agent may stop at any
	// moment: until the agent says otherwise, resurrection must stay off.
	if err := f.save(func(r *record.Record) { r.BoshAgent = BoshAgentUnknown }); err != nil {
		return err
	}
	deadline := f.now().Add(f.Opts.CellTimeout)
	st, err := f.postSequester(ctx, logger, agent, deadline)
	if err != nil {
		return err
	}
	every := min(f.Opts.PollInterval, containPoll)
	return f.pollAgent(ctx, logger, agent, st, deadline, every, func(st agentapi.Status) (bool, error) {
		switch {
		case st.ContainedAt != nil:
			logger.Info("contained", lager.Data{"contained_at": st.ContainedAt})
			return true, f.contained(st)
		case st.Phase == agentapi.PhaseFailed:
			state := agentStopState(st)
			_ = f.save(func(r *record.Record) {
				r.BoshAgent = state
				recordCellSide(r, st)
			})
			return true, fmt.Errorf("the cell could not contain: %s", st.Error)
		}
		return false, nil
	})
}

// postSequester posts the request until the agent accepts it or refuses
// it, or the deadline passes.
func (f *Flow) postSequester(ctx context.Context, logger lager.Logger, agent Agent, deadline time.Time) (agentapi.Status, error) {
	var (
		st      agentapi.Status
		lastErr error
	)
	err := poll.Until(ctx, f.Clock, f.Opts.PollInterval, deadline.Sub(f.now()), func() (bool, error) {
		var err error
		st, err = agent.Sequester(ctx, f.agentRequest(f.rec.ID))
		if err == nil {
			f.posted = true
			logger.Info("sequester-accepted", lager.Data{"operation_id": f.rec.ID, "phase": st.Phase})
			return true, nil
		}
		if agentapi.IsRefused(err) {
			// Refused: the agent changed nothing.
			_ = f.save(func(r *record.Record) { r.BoshAgent = BoshAgentRunning })
			return false, fmt.Errorf("sequester-agent refused: %w", err)
		}
		lastErr = err
		logger.Debug("sequester-request-retry", lager.Data{"error": err.Error()})
		return false, nil
	})
	if errors.Is(err, poll.ErrTimeout) {
		return st, fmt.Errorf("sequester-agent on %s unreachable: %w", f.rec.OldIP, lastErr)
	}
	return st, err
}

// pollAgent reads the agent's status until until says it is finished (and
// with what error), the operation turns out to be another's, or the
// deadline passes. A status read that fails is retried: the agent resumes
// its operation from disk after a restart.
func (f *Flow) pollAgent(ctx context.Context, logger lager.Logger, agent Agent, st agentapi.Status, deadline time.Time, every time.Duration,
	until func(agentapi.Status) (bool, error)) error {
	var lastErr error
	first := true
	err := poll.Until(ctx, f.Clock, every, deadline.Sub(f.now()), func() (bool, error) {
		if !first {
			next, err := agent.Status(ctx)
			if err != nil {
				lastErr = err
				logger.Debug("status-poll-failed", lager.Data{"error": err.Error()})
				return false, nil
			}
			lastErr = nil
			logger.Debug("status", lager.Data{"phase": next.Phase})
			st = next
		}
		first = false
		if st.OperationID != "" && st.OperationID != f.rec.ID {
			return false, fmt.Errorf("sequester-agent runs another operation %s", st.OperationID)
		}
		done, err := until(st)
		if done {
			return true, err
		}
		return false, nil
	})
	if errors.Is(err, poll.ErrTimeout) {
		if lastErr != nil {
			return fmt.Errorf("sequester-agent on %s: no answer before the timeout (%s): %w", f.rec.OldIP, f.Opts.CellTimeout, lastErr)
		}
		return fmt.Errorf("cell side not done after %s (phase %s)", f.Opts.CellTimeout, st.Phase)
	}
	return err
}

// contained records the end of the contain phase.
func (f *Flow) contained(st agentapi.Status) error {
	state := agentStopState(st)
	at := st.ContainedAt
	ssh := st.SSH
	err := f.save(func(r *record.Record) {
		r.BoshAgent, r.ContainedAt, r.SSH = state, at, &ssh
		recordCellSide(r, st)
	})
	if err != nil {
		return err
	}
	if state != BoshAgentStopped {
		return errors.New("the cell contained without stopping the BOSH agent (bosh_agent.stop is off?); the director would never see it unresponsive")
	}
	return nil
}

// cellCleanup waits for the agent's cleanup phase (evidence, replacements,
// prune) while the director switches the VM. A run that did not post the
// request itself (resumed after the contain step) posts it again, which
// resumes a failed or interrupted operation.
func (f *Flow) cellCleanup(ctx context.Context, logger lager.Logger) error {
	agent := f.Agents(f.rec.OldIP)
	deadline := f.now().Add(f.Opts.CellTimeout)
	var st agentapi.Status
	var err error
	if f.posted {
		st, err = agent.Status(ctx)
		if err != nil {
			st = agentapi.Status{OperationID: f.rec.ID, Phase: agentapi.PhaseRunning}
		}
	} else {
		if cur, err := agent.Status(ctx); err == nil && cur.OperationID == f.rec.ID && cur.Phase == agentapi.PhaseDone {
			return f.cellDone(cur)
		}
		if st, err = f.postSequester(ctx, logger, agent, deadline); err != nil {
			return err
		}
	}
	return f.pollAgent(ctx, logger, agent, st, deadline, f.Opts.PollInterval, func(st agentapi.Status) (bool, error) {
		switch st.Phase {
		case agentapi.PhaseDone:
			logger.Info("cell-cleanup-done", lager.Data{"kept": len(st.Kept), "pruned": len(st.Pruned)})
			return true, f.cellDone(st)
		case agentapi.PhaseFailed:
			// The agent journals a resumed operation running before it
			// answers the POST, so a failure read here is this attempt's.
			_ = f.save(func(r *record.Record) { recordCellSide(r, st) })
			return true, fmt.Errorf("cell cleanup failed: %s", st.Error)
		}
		return false, nil
	})
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
	ssh := st.SSH
	return f.save(func(r *record.Record) {
		r.Kept, r.Pruned, r.Evidence, r.SSH = st.Kept, st.Pruned, st.Evidence, &ssh
		if r.ContainedAt == nil {
			r.ContainedAt = st.ContainedAt
		}
		recordCellSide(r, st)
	})
}

// recordCellSide keeps the agent's account of the cell side in the record.
func recordCellSide(r *record.Record, st agentapi.Status) {
	r.CellSteps = st.Steps
	r.NoReplacement = st.NoReplacement
	r.PruneFailures = st.PruneFailures
	r.PruneLeftovers = st.PruneLeftovers
	r.Quarantined = st.Quarantined
}
