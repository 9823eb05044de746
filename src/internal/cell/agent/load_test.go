package agent_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
)

// loadClients is how many status and plan clients (half each) hammer the
// agent while it sequesters. CI runs a few; scripts/bench sets
// SEQUESTER_LOAD_CLIENTS=50.
func loadClients(t *testing.T) int {
	n := 10
	if v := os.Getenv("SEQUESTER_LOAD_CLIENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 2 {
			t.Fatalf("SEQUESTER_LOAD_CLIENTS=%q: want a number of clients, 2 or more", v)
		}
	}
	return n
}

// The same sequestration runs twice on identical cells, first alone, then
// while clients ask for the status and the plan as fast as an impatient
// operator's loop: the outcome must be the same and every client answered
// within its deadline. The durations and the clients' p99 and max are
// reported side by side (scripts/bench turns them into ratios); there is
// no timing assertion.
func TestASequestrationUnderLoadEndsAsOneWithoutLoadAndTheAgentKeepsAnswering(t *testing.T) {
	n := loadClients(t)
	var alone, loaded loadRun
	t.Run("without load", func(t *testing.T) { alone = runSequestration(t, 0) })
	t.Run(fmt.Sprintf("with %d clients", n), func(t *testing.T) { loaded = runSequestration(t, n) })
	if t.Failed() {
		return
	}
	if alone.outcome != loaded.outcome {
		t.Errorf("outcome without load:\n%s\nwith load:\n%s", alone.outcome, loaded.outcome)
	}
	for kind, f := range loaded.failures {
		t.Errorf("%d %s calls failed or missed their %s deadline, e.g. %s", len(f), kind, loadDeadline, f[0])
	}
	status, plan := containers.SummarizeDurations(loaded.latencies["status"]), containers.SummarizeDurations(loaded.latencies["plan"])
	// One line for scripts/bench to read.
	t.Logf("load: clients=%d sequestration_alone_s=%.3f sequestration_loaded_s=%.3f ratio=%.2f status_n=%d status_p99_ms=%.1f status_max_ms=%.1f plan_n=%d plan_p99_ms=%.1f plan_max_ms=%.1f refused=%d",
		n, alone.duration.Seconds(), loaded.duration.Seconds(), loaded.duration.Seconds()/alone.duration.Seconds(),
		status.Count, status.P99Seconds*1000, status.MaxSeconds*1000, plan.Count, plan.P99Seconds*1000, plan.MaxSeconds*1000, loaded.refused)
}

const loadDeadline = 10 * time.Second

type loadRun struct {
	// outcome is what must not depend on load: phase, step states, how
	// many were kept and pruned, and the cell taken out as seen from
	// outside.
	outcome   string
	duration  time.Duration
	latencies map[string][]time.Duration
	failures  map[string][]string
	// refused counts plans the agent refused (4xx): answers, not failures.
	refused int
}

func runSequestration(t *testing.T, clients int) loadRun {
	c := newCell(t)
	hs := c.create(
		gardenrunc.Spec{AppGUID: "app-keep", AppVersion: "v1", Index: 0},
		gardenrunc.Spec{AppGUID: "app-a", AppVersion: "v1", Index: 0},
		gardenrunc.Spec{AppGUID: "app-a", AppVersion: "v1", Index: 1},
		gardenrunc.Spec{AppGUID: "app-b", AppVersion: "v1", Index: 0},
		gardenrunc.Spec{AppGUID: "task-x"},
	)
	cl := c.startAgent()
	req := agentapi.SequesterRequest{OperationID: "load-op", Keep: agentapi.Keep{Handles: []string{hs[0]}}, SkipReplacementWait: true}
	run := loadRun{latencies: map[string][]time.Duration{}, failures: map[string][]string{}}

	ctx, stop := context.WithCancel(context.Background())
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		kind := "status"
		if i%2 == 1 {
			kind = "plan"
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each client its own connection, as separate operators'
			// commands would have.
			own := c.client()
			for ctx.Err() == nil {
				callCtx, cancel := context.WithTimeout(ctx, loadDeadline)
				start := time.Now()
				var err error
				if kind == "status" {
					_, err = own.Status(callCtx)
				} else {
					_, err = own.Plan(callCtx, agentapi.SequesterRequest{Keep: req.Keep, SkipReplacementWait: true})
				}
				took := time.Since(start)
				cancel()
				mu.Lock()
				switch {
				case ctx.Err() != nil:
				case err == nil:
					run.latencies[kind] = append(run.latencies[kind], took)
				case agentapi.IsRefused(err):
					// Once the cell is out, a plan is refused: an
					// answer within the deadline all the same.
					run.latencies[kind] = append(run.latencies[kind], took)
					run.refused++
				default:
					run.failures[kind] = append(run.failures[kind], fmt.Sprintf("after %s: %v", took, err))
				}
				mu.Unlock()
				select {
				case <-ctx.Done():
				case <-time.After(20 * time.Millisecond):
				}
			}
		}()
	}
	if clients > 0 {
		// The load is on before the sequestration starts.
		time.Sleep(time.Second)
	}
	if _, err := cl.Sequester(context.Background(), req); err != nil {
		stop()
		wg.Wait()
		t.Fatal(err)
	}
	st := waitPhase(t, cl, 120*time.Second)
	stop()
	wg.Wait()

	first, last := st.Steps[0].StartedAt, st.Steps[len(st.Steps)-1].FinishedAt
	if st.Phase != agentapi.PhaseDone || first == nil || last == nil {
		t.Fatalf("the sequestration ended %s: %s", st.Phase, st.Error)
	}
	run.duration = last.Sub(*first)
	run.outcome = fmt.Sprintf("phase=%s kept=%d pruned=%d failures=%d", st.Phase, len(st.Kept), len(st.Pruned), len(st.PruneFailures))
	var steps []string
	for _, s := range st.Steps {
		run.outcome += fmt.Sprintf(" %s=%s", s.Name, s.State)
		if s.StartedAt != nil && s.FinishedAt != nil {
			steps = append(steps, fmt.Sprintf("%s %.2fs", s.Name, s.FinishedAt.Sub(*s.StartedAt).Seconds()))
		}
	}
	t.Logf("steps with %d clients: %s", clients, strings.Join(steps, ", "))
	for _, p := range c.rig.TakenOut(context.Background()) {
		run.outcome += "; " + p
	}
	have := c.gardenHandles()
	if !have[hs[0]] || !c.containerRunning(hs[0]) || len(have) != 1 {
		run.outcome += fmt.Sprintf("; garden lists %d containers, kept one running=%v", len(have), c.containerRunning(hs[0]))
	}
	t.Logf("sequestration with %d clients: %s in %.3f s", clients, run.outcome, run.duration.Seconds())
	if errors.Is(ctx.Err(), context.Canceled) && clients > 0 && len(run.latencies["status"])+len(run.latencies["plan"]) == 0 {
		t.Fatal("no client call was measured")
	}
	return run
}
