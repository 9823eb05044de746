package chaos

import (
	"fmt"
	"io"
)

// WriteText prints the suite's table, then every violation with its
// seed and the line that replays its run.
func (s *Summary) WriteText(w io.Writer) {
	fmt.Fprintf(w, "\nChaos runs: %d, seed %d (run i uses seed %d+i), %s\n\n", s.Runs, s.Seed, s.Seed, s.Date.Format("2006-01-02 15:04 UTC"))
	row := func(k string, v any) { fmt.Fprintf(w, "  %-44s %v\n", k, v) }
	row("runs", len(s.RunResults))
	for _, k := range Kinds {
		row("faults struck: "+k, s.FaultsByKind[k])
	}
	row("faults drawn that did not strike", s.FaultsMissed)
	row("converged (completed, re-runs included)", s.Converged)
	row("refused (nothing changed)", s.Refused)
	row("re-run refused after a faulted attempt", s.RefusedMidway)
	row("not converged after 3 re-runs", s.NotConverged)
	if s.SetupFailed > 0 {
		row("lab setup failed (no run)", s.SetupFailed)
	}
	row("INVARIANT VIOLATIONS (goal 0)", s.Violations)
	fmt.Fprintf(w, "  %-44s p50 %.1fs  p99 %.1fs  max %.1fs  (n=%d)\n", "time to contain", s.TimeToContain.P50, s.TimeToContain.P99, s.TimeToContain.Max, s.TimeToContain.N)
	fmt.Fprintf(w, "  %-44s p50 %.1fs  p99 %.1fs  max %.1fs  (n=%d)\n", "total time (all attempts)", s.Total.P50, s.Total.P99, s.Total.Max, s.Total.N)
	for _, r := range s.RunResults {
		if len(r.Violations) == 0 && (r.Converged || r.Refused && len(r.Attempts) == 1) {
			continue
		}
		fmt.Fprintf(w, "\nseed %d (%s): %s\n", r.Seed, r.Dir, r.line())
		for _, v := range r.Violations {
			fmt.Fprintf(w, "  VIOLATED %s: %s\n", v.Invariant, v.Evidence)
		}
		fmt.Fprintf(w, "  replay: %s\n", r.Replay)
	}
}
