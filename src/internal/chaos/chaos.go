// Package chaos runs seeded, repeatable sequestrations of the lab (package
// scenario) with faults injected at moments drawn from the seed, re-runs
// the same command after each faulted run as the report tells an
// operator to, and checks the safety invariants by reading the world
// with the lab's independent verification (package rehearsal), never the
// report.
package chaos

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/rehearsal"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/scenario"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

// Options of a chaos suite.
type Options struct {
	// Runs and Seed: run i (from 0) draws its faults from seed Seed+i, so
	// `--runs 1 --seed Seed+i` replays it.
	Runs int
	Seed int64
	// Dir holds one directory per run (logs, evidence).
	Dir string
	// Cells and Containers per cell of each run's lab.
	Cells, Containers int
	// Logger receives the flow's and the parts' logs.
	Logger lager.Logger
	// Progress hears one line per run.
	Progress io.Writer
	// Command is how the replay line names this suite ("scripts/chaos").
	Command string
}

// MaxReRuns is how often a faulted run's command is run again, each
// ReRunDelay after the last ended: the operator reads the report first. In
// the lab's time that is longer than the agent's suspect threshold, which
// an agent restarted by a fault needs to flag the suspect again.
const (
	MaxReRuns  = 3
	ReRunDelay = time.Duration(scenario.SuspectAfterSeconds+2) * time.Second
)

// setupTries: a lab whose setup fails (a port another lab on this machine
// took meanwhile) is set up again; that is not a run of the product.
const setupTries = 3

// Attempt is one run of the sequestration command.
type Attempt struct {
	Error   string `json:"error,omitempty"`
	Refused bool   `json:"refused"`
	// Killed: the errand-killed fault ended this attempt.
	Killed  bool    `json:"killed,omitempty"`
	State   string  `json:"state,omitempty"`
	Seconds float64 `json:"seconds"`
}

// Violation is an invariant the world broke, with what showed it.
type Violation struct {
	Invariant string `json:"invariant"`
	Evidence  string `json:"evidence"`
}

// Run is one seeded run.
type Run struct {
	Seed     int64     `json:"seed"`
	Dir      string    `json:"dir"`
	Faults   []Fault   `json:"faults"`
	Attempts []Attempt `json:"attempts"`
	// Converged: the last attempt completed; Refused: it was refused
	// (and nothing changed).
	Converged bool `json:"converged"`
	Refused   bool `json:"refused"`
	// TimeToContainSeconds runs from the first attempt's start to the
	// cell's contain phase done; TotalSeconds to the last attempt's end.
	TimeToContainSeconds float64 `json:"time_to_contain_seconds,omitempty"`
	TotalSeconds         float64 `json:"total_seconds"`
	// Checks are every invariant checked, Violations those that failed.
	Checks     []rehearsal.Check `json:"checks"`
	Violations []Violation       `json:"violations"`
	// SetupError: the lab could not be set up; the run did not happen.
	SetupError string `json:"setup_error,omitempty"`
	Replay     string `json:"replay"`
}

// Stats are the p99 and max of a duration over the runs (seconds).
type Stats struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Summary is the suite's --json document.
type Summary struct {
	Runs int       `json:"runs"`
	Seed int64     `json:"seed"`
	Date time.Time `json:"date"`
	// FaultsByKind counts the faults that struck; FaultsMissed those
	// drawn that the run ended before (a kill drawn after the run's end,
	// a burst on an endpoint the run no longer called).
	FaultsByKind map[string]int `json:"faults_by_kind"`
	FaultsMissed int            `json:"faults_missed"`
	Converged    int            `json:"converged"`
	Refused      int            `json:"refused"`
	// RefusedMidway: a re-run after a faulted attempt was refused, the
	// sequestration left part-done (the operator has to act).
	RefusedMidway int `json:"refused_midway"`
	// NotConverged: still failing after MaxReRuns re-runs; SetupFailed:
	// the lab could not be set up.
	NotConverged  int   `json:"not_converged"`
	SetupFailed   int   `json:"setup_failed"`
	Violations    int   `json:"invariant_violations"`
	TimeToContain Stats `json:"time_to_contain_seconds"`
	Total         Stats `json:"total_seconds"`
	RunResults    []Run `json:"run_results"`
}

// OK: no invariant broken, every run converged or was refused (a re-run
// refused mid-way is the operator's to finish: it is reported, with its
// invariants checked), and every lab came up.
func (s *Summary) OK() bool {
	return s.Violations == 0 && s.NotConverged == 0 && s.SetupFailed == 0
}

// Suite runs the seeded runs one after the other.
func Suite(ctx context.Context, opts Options) *Summary {
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	if opts.Logger == nil {
		opts.Logger = lager.NewLogger("chaos")
	}
	if opts.Command == "" {
		opts.Command = "scripts/chaos"
	}
	s := &Summary{Runs: opts.Runs, Seed: opts.Seed, Date: time.Now().UTC(), FaultsByKind: map[string]int{}, RunResults: []Run{}}
	for _, k := range Kinds {
		s.FaultsByKind[k] = 0
	}
	for i := 0; i < opts.Runs && ctx.Err() == nil; i++ {
		seed := opts.Seed + int64(i)
		r := One(ctx, opts, seed)
		fmt.Fprintf(opts.Progress, "chaos: run %d/%d seed %d: %s\n", i+1, opts.Runs, seed, r.line())
		s.add(r)
	}
	s.stats()
	return s
}

func (s *Summary) add(r Run) {
	for _, f := range r.Faults {
		if f.Struck {
			s.FaultsByKind[f.Kind]++
		} else {
			s.FaultsMissed++
		}
	}
	switch {
	case r.SetupError != "":
		s.SetupFailed++
	case r.Converged:
		s.Converged++
	case r.Refused && len(r.Attempts) == 1:
		s.Refused++
	case r.Refused:
		s.RefusedMidway++
	default:
		s.NotConverged++
	}
	s.Violations += len(r.Violations)
	s.RunResults = append(s.RunResults, r)
}

func (s *Summary) stats() {
	var ttc, total []float64
	for _, r := range s.RunResults {
		if r.SetupError != "" {
			continue
		}
		if r.TimeToContainSeconds > 0 {
			ttc = append(ttc, r.TimeToContainSeconds)
		}
		total = append(total, r.TotalSeconds)
	}
	s.TimeToContain, s.Total = stats(ttc), stats(total)
}

// stats: nearest-rank percentiles.
func stats(v []float64) Stats {
	if len(v) == 0 {
		return Stats{}
	}
	sort.Float64s(v)
	rank := func(p float64) float64 {
		i := int(p*float64(len(v))+0.999999) - 1
		if i < 0 {
			i = 0
		}
		return v[i]
	}
	return Stats{N: len(v), P50: rank(0.50), P99: rank(0.99), Max: v[len(v)-1]}
}

func (r Run) line() string {
	kinds := ""
	for i, f := range r.Faults {
		if i > 0 {
			kinds += "+"
		}
		kinds += f.Kind
	}
	switch {
	case r.SetupError != "":
		return "lab setup failed: " + r.SetupError
	case len(r.Violations) > 0:
		return fmt.Sprintf("%s: %d INVARIANT VIOLATION(S), first: %s: %s; replay: %s", kinds, len(r.Violations), r.Violations[0].Invariant, r.Violations[0].Evidence, r.Replay)
	case r.Converged:
		return fmt.Sprintf("%s: converged after %d attempt(s), contained in %.1fs, total %.1fs, %d checks passed", kinds, len(r.Attempts), r.TimeToContainSeconds, r.TotalSeconds, len(r.Checks))
	case r.Refused && len(r.Attempts) == 1:
		return fmt.Sprintf("%s: refused, nothing changed (%d checks passed)", kinds, len(r.Checks))
	case r.Refused:
		return fmt.Sprintf("%s: re-run %d REFUSED after a faulted attempt, left mid-way (%d checks passed): %s", kinds, len(r.Attempts)-1, len(r.Checks), r.Attempts[len(r.Attempts)-1].Error)
	}
	return fmt.Sprintf("%s: NOT CONVERGED after %d attempt(s): %s", kinds, len(r.Attempts), r.Attempts[len(r.Attempts)-1].Error)
}

// runner is one run's state.
type runner struct {
	w       *scenario.World
	deploys int
	// armErrs: restarting the agent with the faults' settings failed.
	armErrs []string
}

// One sets up a lab, runs the sequestration with the faults seed draws,
// re-runs it, checks the invariants and tears the lab down.
func One(ctx context.Context, opts Options, seed int64) Run {
	r := Run{Seed: seed, Faults: Plan(seed), Attempts: []Attempt{}, Checks: []rehearsal.Check{}, Violations: []Violation{},
		Replay: fmt.Sprintf("%s --runs 1 --seed %d", opts.Command, seed)}
	if opts.Cells == 0 {
		opts.Cells = 2
	}
	if opts.Containers == 0 {
		opts.Containers = 3
	}
	var w *scenario.World
	var err error
	for try := 1; try <= setupTries; try++ {
		r.Dir = filepath.Join(opts.Dir, fmt.Sprintf("seed-%d-%d", seed, try))
		if err = os.MkdirAll(r.Dir, 0o700); err != nil {
			break
		}
		w, err = setUp(ctx, opts, r.Dir)
		if err == nil || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		r.SetupError = err.Error()
		return r
	}
	lab := rehearsal.Lab{Dir: w.Dir, ID: w.ID, NetNSPrefix: w.NetNSPrefix(), Investigator: w.Investigator, Containers: map[string][]scenario.Container{}}
	for _, c := range w.Cells {
		lab.Containers[c.Instance.ID] = c.Containers
	}
	ru := &runner{w: w}
	func() {
		defer func() {
			if p := recover(); p != nil {
				r.Violations = append(r.Violations, Violation{Invariant: "the run completes without a panic", Evidence: fmt.Sprint(p)})
			}
		}()
		ru.run(ctx, &r)
	}()
	if err := w.Close(); err != nil {
		r.Violations = append(r.Violations, Violation{Invariant: "the lab tears down", Evidence: err.Error()})
	}
	// Processes killed by the teardown may take a moment to be reaped.
	left := rehearsal.Leftovers(lab)
	for i := 0; i < 20 && len(left) > 0; i++ {
		time.Sleep(250 * time.Millisecond)
		left = rehearsal.Leftovers(lab)
	}
	r.check("teardown: nothing left on this machine", len(left) == 0, "%d leftover(s) %v", len(left), left)
	return r
}

func setUp(ctx context.Context, opts Options, dir string) (*scenario.World, error) {
	w, err := scenario.New(ctx, scenario.Options{Dir: dir, Cells: opts.Cells, Containers: opts.Containers, Suspect: true, Logger: opts.Logger})
	if err != nil {
		return nil, err
	}
	if err := w.WaitForRoutes(ctx); err != nil {
		_ = w.Close()
		return nil, err
	}
	if _, err := w.WaitForSuspect(ctx); err != nil {
		_ = w.Close()
		return nil, err
	}
	return w, nil
}

func (r *Run) check(name string, ok bool, format string, args ...any) {
	c := rehearsal.Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)}
	r.Checks = append(r.Checks, c)
	if !ok {
		r.Violations = append(r.Violations, Violation{Invariant: name, Evidence: c.Detail})
	}
}

// run runs the faulted attempt and the re-runs, then checks.
func (ru *runner) run(ctx context.Context, r *Run) {
	w := ru.w
	t := w.Target()
	var suspect string
	for _, c := range t.Containers {
		if c.Suspect {
			suspect = c.Handle
		}
	}
	keep := agentapi.Keep{Suspects: true}
	kept := []string{suspect}
	keptPid := t.Rig.Garden.Pid(suspect)

	a, timed := ru.arm(ctx, r.Faults)
	watch := newWatcher(w, suspect, keptPid)
	wctx, stopWatch := context.WithCancel(ctx)
	watchDone := make(chan struct{})
	go func() { defer close(watchDone); watch.loop(wctx) }()

	start := time.Now()
	sctx, stopStrikes := context.WithCancel(ctx)
	var strikes sync.WaitGroup
	for _, i := range timed {
		strikes.Add(1)
		go func(f *Fault) { defer strikes.Done(); ru.strike(sctx, start, f) }(&r.Faults[i])
	}

	var rep *director.Report
	var err error
	for attempt := 0; attempt <= MaxReRuns && ctx.Err() == nil; attempt++ {
		actx, cancel := context.WithCancel(ctx)
		var kills []*time.Timer
		if attempt == 0 {
			for _, f := range a.kills {
				kills = append(kills, time.AfterFunc(time.Duration(f.AtSeconds*float64(time.Second)), cancel))
			}
		} else {
			// The faults struck during the first attempt; a re-run meets
			// what they left, as the operator's re-run does, after the
			// moment it takes to read the report.
			stopStrikes()
			strikes.Wait()
			select {
			case <-ctx.Done():
			case <-time.After(ReRunDelay):
			}
		}
		at := time.Now()
		f := w.Flow(keep, "chaos")
		_, err = f.Plan(actx)
		rep = nil
		if err == nil {
			rep, err = f.Run(actx)
		}
		for _, k := range kills {
			k.Stop()
		}
		killed := attempt == 0 && len(a.kills) > 0 && actx.Err() != nil && ctx.Err() == nil
		if killed {
			for _, f := range a.kills {
				f.Struck = true
				f.Injected = fmt.Sprintf("the flow's context cancelled %.1fs into the first attempt", f.AtSeconds)
			}
		}
		cancel()
		att := Attempt{Seconds: time.Since(at).Seconds(), Killed: killed}
		if rep != nil {
			att.State = rep.State
		}
		if err != nil {
			att.Error = err.Error()
			// A killed errand leaves no answer: whatever it was saying
			// when it died, the operator runs the command again.
			att.Refused = !killed && refusal.Is(err)
		}
		r.Attempts = append(r.Attempts, att)
		if err == nil || att.Refused {
			break
		}
	}
	stopStrikes()
	strikes.Wait()
	r.TotalSeconds = time.Since(start).Seconds()
	stopWatch()
	<-watchDone
	ru.settle(r.Faults)
	if rep != nil && rep.ContainedAt != nil {
		r.TimeToContainSeconds = rep.ContainedAt.Sub(start).Seconds()
	}
	for _, c := range watch.checks() {
		r.check(c.Name, c.OK, "%s", c.Detail)
	}
	last := r.Attempts[len(r.Attempts)-1]
	switch {
	case last.Error == "":
		r.Converged = true
		for _, c := range rehearsal.Verify(ctx, w, rep, kept) {
			r.check(c.Name, c.OK, "%s", c.Detail)
		}
		r.check("time to contain measured", r.TimeToContainSeconds > 0, "contained %.1fs after the first attempt's start", r.TimeToContainSeconds)
	case last.Refused && len(r.Attempts) == 1:
		r.Refused = true
		for _, c := range rehearsal.VerifyUnchanged(ctx, w) {
			r.check(c.Name, c.OK, "%s", c.Detail)
		}
	default:
		// Refused only after a faulted attempt changed things, or still
		// failing: the invariants that hold at every moment.
		r.Refused = last.Refused
		ru.afterFailure(r, suspect)
	}
}
