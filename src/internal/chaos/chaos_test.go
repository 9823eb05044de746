package chaos_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/chaos"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/scenario"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/standins"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/realpart"
)

func TestMain(m *testing.M) {
	// The lab's stand-ins (rep, route emitter, BOSH agent) run as this
	// test binary (standins.Command); without this every stand-in would
	// run the tests again.
	standins.RunIfRequested()
	os.Exit(m.Run())
}

// Two seeded runs on real labs: the seeds are fixed, so the faults are
// the same on every machine; every invariant holds, each run converges or
// is refused before it changed anything, and the table and --json carry
// the figures.
func TestTwoSeededFaultedRunsKeepEveryInvariant(t *testing.T) {
	if err := scenario.Available(); err != nil {
		realpart.Require(t, "chaos runs on the lab", fmt.Errorf("needs %w", err))
	}
	dir, err := os.MkdirTemp("", "chaos-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// A bound against a hang, not a timing assertion.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var progress bytes.Buffer
	// Seeds 15 and 16: an errand killed with an agent restarted, and a
	// Garden destroy that never returns.
	s := chaos.Suite(ctx, chaos.Options{Runs: 2, Seed: 15, Dir: dir, Progress: &progress})
	t.Log(progress.String())
	var text bytes.Buffer
	s.WriteText(&text)
	t.Log(text.String())
	if !s.OK() {
		t.Errorf("the suite is not OK: %d violation(s), %d not converged, %d refused mid-way, %d setup(s) failed", s.Violations, s.NotConverged, s.RefusedMidway, s.SetupFailed)
	}
	if len(s.RunResults) != 2 {
		t.Fatalf("%d runs; want 2", len(s.RunResults))
	}
	struck := 0
	for _, r := range s.RunResults {
		if len(r.Faults) == 0 {
			t.Errorf("seed %d drew no fault", r.Seed)
		}
		for _, f := range r.Faults {
			if f.Struck {
				struck++
			}
		}
		if len(r.Checks) < 10 {
			t.Errorf("seed %d: only %d checks", r.Seed, len(r.Checks))
		}
		if r.Replay != fmt.Sprintf("scripts/chaos --runs 1 --seed %d", r.Seed) {
			t.Errorf("replay line %q", r.Replay)
		}
	}
	if struck == 0 {
		t.Error("no fault struck: the runs proved nothing")
	}
	for _, want := range []string{"INVARIANT VIOLATIONS (goal 0)", "time to contain", "p99", "max"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the table lacks %q", want)
		}
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil || doc["invariant_violations"] == nil || doc["run_results"] == nil {
		t.Errorf("--json document: %v %s", err, b)
	}
}

// The same seed draws the same faults: a replay is the same run.
func TestASeedDrawsTheSameFaultsEveryTime(t *testing.T) {
	for seed := int64(1); seed <= 50; seed++ {
		a, b := chaos.Plan(seed), chaos.Plan(seed)
		if fmt.Sprint(a) != fmt.Sprint(b) || len(a) == 0 || len(a) > 2 {
			t.Fatalf("seed %d: %v then %v", seed, a, b)
		}
	}
}
