package steps_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/steps"
)

// journal keeps steps in memory, as the agent's journal and the
// director's record do on disk and in the director.
type journal struct {
	steps      map[string]*steps.Step
	events     []string
	failStart  string
	failEnding string
}

func newJournal(finished ...string) *journal {
	j := &journal{steps: map[string]*steps.Step{}}
	for _, name := range finished {
		j.steps[name] = &steps.Step{Name: name, State: steps.Done}
	}
	return j
}

func (j *journal) step(name string) *steps.Step {
	if j.steps[name] == nil {
		j.steps[name] = &steps.Step{Name: name, State: steps.Pending}
	}
	return j.steps[name]
}

func (j *journal) hooks() steps.Hooks {
	return steps.Hooks{
		Finished: func(name string) bool { return j.step(name).Finished() },
		Started: func(name string, at time.Time) error {
			if name == j.failStart {
				return errors.New("disk full")
			}
			j.events = append(j.events, "start "+name)
			j.step(name).Start(at)
			return nil
		},
		Ended: func(name string, at time.Time, out steps.Outcome, err error) error {
			j.events = append(j.events, "end "+name)
			j.step(name).Finish(at, out, err)
			if name == j.failEnding {
				return errors.New("disk full")
			}
			return nil
		},
	}
}

func def(name string, run func(context.Context) (steps.Outcome, error)) steps.Def {
	return steps.Def{Name: name, Description: "does " + name, Run: func(ctx context.Context, _ lager.Logger) (steps.Outcome, error) { return run(ctx) }}
}

func ok(context.Context) (steps.Outcome, error) { return steps.Outcome{Detail: "fine"}, nil }

func TestTheRunnerSkipsFinishedStepsJournalsEachAndStopsAtAFailure(t *testing.T) {
	boom := errors.New("boom")
	ran := map[string]int{}
	count := func(name string, f func(context.Context) (steps.Outcome, error)) steps.Def {
		return def(name, func(ctx context.Context) (steps.Outcome, error) { ran[name]++; return f(ctx) })
	}
	for _, tc := range []struct {
		name       string
		finished   []string
		defs       func(cancel context.CancelFunc) []steps.Def
		failStart  string
		failEnding string
		wantFailed string
		wantErr    string
		wantEvents string
		wantStates map[string]string
	}{
		{
			name: "every step runs in order, a skipped one says why",
			defs: func(context.CancelFunc) []steps.Def {
				return []steps.Def{count("a", ok), count("b", func(context.Context) (steps.Outcome, error) {
					return steps.Outcome{Skipped: true, Detail: "not needed"}, nil
				})}
			},
			wantEvents: "start a,end a,start b,end b",
			wantStates: map[string]string{"a": steps.Done, "b": steps.Skipped},
		},
		{
			name:       "a finished step does not run again",
			finished:   []string{"a"},
			defs:       func(context.CancelFunc) []steps.Def { return []steps.Def{count("a", ok), count("b", ok)} },
			wantEvents: "start b,end b",
			wantStates: map[string]string{"a": steps.Done, "b": steps.Done},
		},
		{
			name: "a failing step is recorded failed and the rest do not run",
			defs: func(context.CancelFunc) []steps.Def {
				return []steps.Def{count("a", func(context.Context) (steps.Outcome, error) { return steps.Outcome{}, boom }), count("b", ok)}
			},
			wantFailed: "a", wantErr: "boom",
			wantEvents: "start a,end a",
			wantStates: map[string]string{"a": steps.Failed, "b": steps.Pending},
		},
		{
			name: "a step cut short by its context stays running, as after a crash",
			defs: func(cancel context.CancelFunc) []steps.Def {
				return []steps.Def{count("a", func(ctx context.Context) (steps.Outcome, error) { cancel(); return steps.Outcome{}, ctx.Err() }), count("b", ok)}
			},
			wantFailed: "a", wantErr: "interrupted: context canceled",
			wantEvents: "start a",
			wantStates: map[string]string{"a": steps.Running, "b": steps.Pending},
		},
		{
			name:       "a start that cannot be journaled does not run the step",
			failStart:  "a",
			defs:       func(context.CancelFunc) []steps.Def { return []steps.Def{count("a", ok)} },
			wantFailed: "a", wantErr: "disk full",
			wantStates: map[string]string{"a": steps.Pending},
		},
		{
			name:       "an end that cannot be journaled stops the run",
			failEnding: "a",
			defs:       func(context.CancelFunc) []steps.Def { return []steps.Def{count("a", ok), count("b", ok)} },
			wantFailed: "a", wantErr: "disk full",
			wantEvents: "start a,end a",
			wantStates: map[string]string{"b": steps.Pending},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clear(ran)
			j := newJournal(tc.finished...)
			j.failStart, j.failEnding = tc.failStart, tc.failEnding
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			failed, err := steps.Run(ctx, lager.NewLogger("test"), j.hooks(), tc.defs(cancel))
			if failed != tc.wantFailed || (err == nil) != (tc.wantErr == "") || (err != nil && err.Error() != tc.wantErr) {
				t.Fatalf("Run = %q, %v; want %q, %q", failed, err, tc.wantFailed, tc.wantErr)
			}
			if got := strings.Join(j.events, ","); got != tc.wantEvents {
				t.Errorf("journal events %q; want %q", got, tc.wantEvents)
			}
			for name, want := range tc.wantStates {
				if got := j.step(name).State; got != want {
					t.Errorf("step %s is %s; want %s", name, got, want)
				}
			}
			for _, name := range tc.finished {
				if ran[name] != 0 {
					t.Errorf("finished step %s ran again", name)
				}
			}
		})
	}
}

func TestAFinishedStepKeepsItsTimesDetailAndError(t *testing.T) {
	start := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	var s steps.Step
	s.Start(start)
	s.Finish(start.Add(2*time.Second), steps.Outcome{Detail: "rep killed"}, errors.New("came back"))
	if s.State != steps.Failed || s.Error != "came back" || s.Detail != "rep killed" || s.FinishedAt.Sub(*s.StartedAt) != 2*time.Second || s.Finished() {
		t.Fatalf("failed step = %+v", s)
	}
	s.Start(start.Add(time.Minute))
	if s.State != steps.Running || s.Error != "" || s.FinishedAt != nil {
		t.Fatalf("restarted step = %+v", s)
	}
	s.Finish(start.Add(2*time.Minute), steps.Outcome{}, nil)
	if !s.Finished() || s.State != steps.Done {
		t.Fatalf("done step = %+v", s)
	}
	if got := steps.Names([]steps.Def{{Name: "a"}, {Name: "b"}}); strings.Join(got, ",") != "a,b" {
		t.Fatalf("names = %v", got)
	}
}
