// Package steps runs the steps of a sequestration, on the director's side
// and on the cell's alike: skip a finished step, journal its start, run
// it, record its end, stop at a failure. One Step type records a step
// wherever it is kept (the agent's journal and status, the director's
// record) and one Def says what a step does, so that a plan prints the
// same description the run carries out.
package steps

import (
	"context"
	"errors"
	"fmt"
	"time"

	"code.cloudfoundry.org/lager/v3"
)

// Step states.
const (
	Pending = "pending"
	Running = "running"
	Done    = "done"
	Failed  = "failed"
	Skipped = "skipped"
)

// Step is one step as recorded: its state, times, error and what it found.
type Step struct {
	Name       string     `json:"name"`
	State      string     `json:"state"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Error      string     `json:"error,omitempty"`
	Detail     string     `json:"detail,omitempty"`
}

// Finished tells whether the step needs no (re)run.
func (s *Step) Finished() bool { return s.State == Done || s.State == Skipped }

// Start marks the step running (again, on a resume).
func (s *Step) Start(now time.Time) {
	t := now.UTC()
	s.State, s.Error = Running, ""
	s.StartedAt, s.FinishedAt = &t, nil
}

// Finish records the step's end: done, skipped, or failed with err.
func (s *Step) Finish(now time.Time, out Outcome, err error) {
	t := now.UTC()
	if s.StartedAt == nil {
		s.StartedAt = &t
	}
	s.FinishedAt, s.Detail = &t, out.Detail
	switch {
	case err != nil:
		s.State, s.Error = Failed, err.Error()
	case out.Skipped:
		s.State, s.Error = Skipped, ""
	default:
		s.State, s.Error = Done, ""
	}
}

// Outcome is what a step that did not fail reports: done or skipped, and
// what it found or did.
type Outcome struct {
	Skipped bool
	Detail  string
}

// Def is one step: its name, what it will do (for plans) and how.
type Def struct {
	Name        string
	Description string
	Run         func(ctx context.Context, logger lager.Logger) (Outcome, error)
}

// Hooks load and save the steps where the caller keeps them.
type Hooks struct {
	// Finished says the step needs no run (done or skipped before).
	Finished func(name string) bool
	// Started journals the start before the step runs.
	Started func(name string, at time.Time) error
	// Ended records the end; err is the step's failure.
	Ended func(name string, at time.Time, out Outcome, err error) error
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// ErrInterrupted wraps the context's error when the step failed because
// it was cut short: its end is not recorded, so it stays journaled as
// running, as after a crash, and runs again on resume.
var ErrInterrupted = errors.New("interrupted")

// RunOne runs one step unless it is finished: it journals the start, runs
// it and records the end. A failure is recorded and returned; a save
// error is returned.
func RunOne(ctx context.Context, logger lager.Logger, h Hooks, d Def) error {
	now := h.Now
	if now == nil {
		now = time.Now
	}
	if h.Finished != nil && h.Finished(d.Name) {
		logger.Debug("step-already-done", lager.Data{"step": d.Name})
		return nil
	}
	slog := logger.Session(d.Name)
	slog.Info("starting")
	start := now()
	if err := h.Started(d.Name, start); err != nil {
		slog.Error("failed-to-journal-start", err)
		return err
	}
	out, err := d.Run(ctx, slog)
	if err != nil && ctx.Err() != nil {
		slog.Info("interrupted")
		return fmt.Errorf("%w: %w", ErrInterrupted, ctx.Err())
	}
	end := now()
	if serr := h.Ended(d.Name, end, out, err); serr != nil {
		slog.Error("failed-to-journal-end", serr)
		if err == nil {
			return serr
		}
	}
	if err != nil {
		slog.Error("failed", err)
		return err
	}
	slog.Info("finished", lager.Data{"skipped": out.Skipped, "detail": out.Detail, "duration_seconds": end.Sub(start).Seconds()})
	return nil
}

// Run runs the steps in order and stops at the first that fails, returning
// its name with the error.
func Run(ctx context.Context, logger lager.Logger, h Hooks, defs []Def) (string, error) {
	for _, d := range defs {
		if err := RunOne(ctx, logger, h, d); err != nil {
			return d.Name, err
		}
	}
	return "", nil
}

// Names lists the definitions' names, in order.
func Names(defs []Def) []string {
	out := make([]string, len(defs))
	for i, d := range defs {
		out[i] = d.Name
	}
	return out
}
