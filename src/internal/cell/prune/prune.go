// Package prune destroys every container that is not kept, in parallel,
// and then checks that the kept ones still run. Stray containers are what
// keep pulling work on a sequestered cell; the kept ones are the evidence,
// so a kept handle is never destroyed even when asked to.
package prune

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"code.cloudfoundry.org/lager/v3"
	"golang.org/x/sync/errgroup"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
)

// DefaultWorkers is how many destroys run at once. Garden serialises
// parts of a destroy, so more workers mostly add contention.
const DefaultWorkers = 16

// Options of a prune.
type Options struct {
	// Workers bounds concurrent destroys (default DefaultWorkers).
	Workers int
	// Keep lists handles that must survive; they are refused if they
	// appear in the prune list.
	Keep []string
	// ObserveDestroy, if set, is told the duration of every destroy (the
	// agent's histogram of destroy durations).
	ObserveDestroy func(time.Duration)
}

// Result says what happened to every handle asked for.
type Result struct {
	Pruned []string `json:"pruned"`
	// Failures maps handle to why it may still exist.
	Failures map[string]string `json:"failures,omitempty"`
	// Leftovers maps handle to what the backend could not clean.
	Leftovers map[string][]string `json:"leftovers,omitempty"`
	// KeptProblems maps a kept handle to what is wrong with it afterwards.
	KeptProblems map[string]string      `json:"kept_problems,omitempty"`
	Durations    agentapi.DurationStats `json:"durations"`
	Took         time.Duration          `json:"took"`
}

// Run destroys handles through b. It never returns early: every handle
// ends up in Pruned or Failures.
func Run(ctx context.Context, logger lager.Logger, b containers.Backend, handles []string, opts Options) Result {
	logger = logger.Session("prune-containers", lager.Data{"backend": b.Name()})
	start := time.Now()
	workers := opts.Workers
	if workers <= 0 {
		workers = DefaultWorkers
	}
	kept := map[string]bool{}
	for _, h := range opts.Keep {
		kept[h] = true
	}
	res := Result{Failures: map[string]string{}, Leftovers: map[string][]string{}, KeptProblems: map[string]string{}}

	var todo []string
	seen := map[string]bool{}
	for _, h := range handles {
		if seen[h] {
			continue
		}
		seen[h] = true
		if err := containers.ValidateHandle(h); err != nil {
			res.Failures[h] = "not destroyed: " + err.Error()
			continue
		}
		if kept[h] {
			logger.Error("refused-to-prune-kept-container", fmt.Errorf("handle is kept"), lager.Data{"container_handle": h})
			res.Failures[h] = "not destroyed: the container is kept"
			continue
		}
		todo = append(todo, h)
	}
	logger.Info("starting", lager.Data{"count": len(todo), "workers": workers, "kept": len(kept)})

	var (
		mu        sync.Mutex
		durations []time.Duration
		// Each destroy's failure is recorded, never returned: one
		// container that cannot go must not stop the others.
		g errgroup.Group
	)
	g.SetLimit(workers)
	for _, h := range todo {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				mu.Lock()
				res.Failures[h] = "not attempted: " + err.Error()
				mu.Unlock()
				return nil
			}
			t0 := time.Now()
			left, err := b.Destroy(ctx, h)
			d := time.Since(t0)
			if opts.ObserveDestroy != nil {
				opts.ObserveDestroy(d)
			}
			mu.Lock()
			durations = append(durations, d)
			if len(left) > 0 {
				res.Leftovers[h] = left
			}
			if err != nil {
				res.Failures[h] = err.Error()
			} else {
				res.Pruned = append(res.Pruned, h)
			}
			mu.Unlock()
			if err != nil {
				logger.Error("destroy-failed", err, lager.Data{"container_handle": h, "duration_ms": d.Milliseconds()})
			} else {
				logger.Info("container-destroyed", lager.Data{"container_handle": h, "duration_ms": d.Milliseconds(), "leftovers": left})
			}
			return nil
		})
	}
	_ = g.Wait()

	verify(ctx, logger, b, opts.Keep, &res)
	sort.Strings(res.Pruned)
	res.Durations = containers.SummarizeDurations(durations)
	res.Took = time.Since(start)
	logger.Info("finished", lager.Data{
		"pruned": len(res.Pruned), "failed": len(res.Failures), "kept_problems": len(res.KeptProblems),
		"count": res.Durations.Count, "max_seconds": res.Durations.MaxSeconds, "p99_seconds": res.Durations.P99Seconds,
		"took_ms": res.Took.Milliseconds(),
	})
	return res
}

// verify lists the containers again: a pruned handle still listed, in any
// state, failed after all, and a kept handle must be there and running (or frozen).
func verify(ctx context.Context, logger lager.Logger, b containers.Backend, keep []string, res *Result) {
	cs, err := b.List(ctx)
	if err != nil {
		logger.Error("verify-list-failed", err)
		for _, h := range keep {
			res.KeptProblems[h] = "could not verify: " + err.Error()
		}
		return
	}
	listed := map[string]agentapi.Container{}
	for _, c := range cs {
		listed[c.Handle] = c
	}
	// Pruned means gone from the backend's list. A stopped container
	// still holds its record, network and image, and whatever restarts
	// it (a rep, garden) finds it there.
	pruned := res.Pruned[:0]
	for _, h := range res.Pruned {
		if c, ok := listed[h]; ok {
			res.Failures[h] = "destroy reported success but the container is still listed as " + c.State
			continue
		}
		pruned = append(pruned, h)
	}
	res.Pruned = pruned
	for _, h := range keep {
		c, ok := listed[h]
		switch {
		case !ok:
			res.KeptProblems[h] = "the kept container is gone"
		case c.State != containers.StateRunning && c.State != containers.StatePaused:
			res.KeptProblems[h] = "the kept container is " + c.State
		}
	}
	for h, p := range res.KeptProblems {
		logger.Error("kept-container-not-running", fmt.Errorf("%s", p), lager.Data{"container_handle": h})
	}
}
