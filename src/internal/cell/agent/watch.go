package agent

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/dstate"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/evidence"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/hungtask"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/metrics"
)

// Watch is the always-on part of the agent: the D-state poller, the
// kernel's hung-task reports, first-responder evidence for each new
// suspect and the metrics fed from them. Any part may be nil.
type Watch struct {
	Scanner        *dstate.Scanner
	PollInterval   time.Duration
	SuspectAfter   time.Duration
	HungTasks      *hungtask.Watcher
	FirstResponder *evidence.FirstResponder
	Metrics        *metrics.Metrics
	Index          *containers.Index
	Logger         lager.Logger

	captures sync.WaitGroup
	// kmsgErr is why the kernel log cannot be followed, for the health.
	kmsgErr atomic.Value
}

// Run polls until ctx ends; first-responder captures run beside the
// poller so a slow one never delays the next poll.
func (w *Watch) Run(ctx context.Context) {
	if w.Scanner == nil {
		return
	}
	interval := w.PollInterval
	if interval <= 0 {
		interval = dstate.DefaultPollInterval
	}
	if w.HungTasks != nil {
		go func() {
			if err := w.HungTasks.Run(ctx); err != nil {
				w.kmsgErr.Store(err.Error())
				w.Logger.Error("hung-task-reports-unavailable", err)
			}
		}()
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		w.PollOnce(ctx)
		select {
		case <-ctx.Done():
			w.captures.Wait()
			return
		case <-t.C:
		}
	}
}

// PollOnce scans once and reacts to what changed.
func (w *Watch) PollOnce(ctx context.Context) dstate.Report {
	r, err := w.Scanner.Poll()
	if err != nil {
		return r
	}
	if w.Metrics != nil {
		w.Metrics.Polled(r)
	}
	for _, h := range r.NewSuspects {
		var threads []agentapi.DProcess
		for _, d := range r.D {
			if d.Container == h {
				threads = append(threads, d)
			}
		}
		// Every other thread in D goes in too: a stuck host process (a
		// hung mount, the XFS store) often holds the container's.
		for _, d := range r.D {
			if d.Container != h {
				threads = append(threads, d)
			}
		}
		w.captures.Add(1)
		go func(h string) {
			defer w.captures.Done()
			if w.FirstResponder == nil {
				if w.Metrics != nil {
					w.Metrics.Episode(h, w.appOf(ctx, h))
				}
				return
			}
			// The bundle first: the moment is what it is for.
			rec, err := w.FirstResponder.Capture(ctx, h, threads)
			if w.Metrics == nil {
				return
			}
			app := rec.AppGUID
			if err != nil {
				app = w.appOf(ctx, h)
			}
			w.Metrics.Episode(h, app)
			switch {
			case err == nil:
				w.Metrics.Bundle(metrics.BundleCaptured)
			case errors.Is(err, evidence.ErrRateLimited):
				w.Metrics.Bundle(metrics.BundleRateLimited)
			case errors.Is(err, evidence.ErrDiskCap):
				w.Metrics.Bundle(metrics.BundleDiskCap)
			default:
				w.Metrics.Bundle(metrics.BundleFailed)
			}
		}(h)
	}
	return r
}

// appOf names the app of a container, listing the containers (bounded)
// when it is not known yet: a new suspect often is not.
func (w *Watch) appOf(ctx context.Context, handle string) string {
	if w.Index == nil || handle == "" {
		return ""
	}
	c, err := w.Index.Get(ctx, handle)
	if err != nil {
		return ""
	}
	return c.AppGUID
}

// HungTask counts a kernel report for its container and app.
func (w *Watch) HungTask(r hungtask.Report) {
	if w.Metrics != nil {
		w.Metrics.HungTask(r.Container, w.appOf(context.Background(), r.Container))
	}
}

// Wait blocks until the captures under way are written (tests).
func (w *Watch) Wait() { w.captures.Wait() }

// Health is the watch's figures with the sequestration phase.
// healthLookupTimeout bounds naming a suspect's app when the health
// figures are asked for.
const healthLookupTimeout = 2 * time.Second

func (w *Watch) Health(ctx context.Context, cellID, phase string) agentapi.Health {
	h := agentapi.Health{CellID: cellID, Phase: phase, Suspects: []agentapi.Suspect{}, FirstResponder: []agentapi.FirstResponderBundle{}}
	if w == nil || w.Scanner == nil {
		h.Warnings = append(h.Warnings, "no D-state poller")
		return h
	}
	h.SuspectAfterSeconds = w.SuspectAfter.Seconds()
	r := w.Scanner.Last()
	h.ScannedAt, h.Scanned, h.Episodes, h.ScanSeconds = r.At, r.Scanned, r.Episodes, r.Took.Seconds()
	ours := map[string]bool{}
	for _, c := range r.Frozen {
		ours[c] = true
	}
	per := map[string]*agentapi.Suspect{}
	for _, d := range r.D {
		if d.Container != "" && ours[d.Container] {
			continue
		}
		h.DThreads++
		if d.Seconds > h.OldestDSeconds {
			h.OldestDSeconds = d.Seconds
		}
		if s := per[d.Container]; s != nil {
			s.DThreads++
			if d.Seconds > s.OldestSeconds {
				s.OldestSeconds = d.Seconds
			}
		} else {
			per[d.Container] = &agentapi.Suspect{Container: d.Container, DThreads: 1, OldestSeconds: d.Seconds}
		}
	}
	var unlisted []string
	for _, c := range r.Suspects {
		s := per[c]
		if s == nil {
			s = &agentapi.Suspect{Container: c}
		}
		if w.Index != nil {
			// Bounded: listing asks garden, which a sick cell can hang.
			lctx, cancel := context.WithTimeout(ctx, healthLookupTimeout)
			ct, err := w.Index.Get(lctx, c)
			cancel()
			switch {
			case err == nil:
				s.AppGUID, s.Index = ct.AppGUID, ct.Index
			case errors.Is(err, containers.ErrNotListed):
				// Its threads still count as this host's D state, but a
				// container this cell's garden does not run is not this
				// cell's suspect (on one machine running several cells,
				// as the lab does, every cell sees every cgroup).
				unlisted = append(unlisted, c)
				continue
			}
		}
		h.Suspects = append(h.Suspects, *s)
	}
	if len(unlisted) > 0 {
		sort.Strings(unlisted)
		h.Warnings = append(h.Warnings, fmt.Sprintf("threads in D state in %d container cgroup(s) this cell's garden does not list: %s", len(unlisted), strings.Join(unlisted, ", ")))
	}
	sort.Slice(h.Suspects, func(i, j int) bool { return h.Suspects[i].OldestSeconds > h.Suspects[j].OldestSeconds })
	if msg, _ := w.kmsgErr.Load().(string); msg != "" {
		h.Warnings = append(h.Warnings, "the kernel's hung-task reports are no longer followed: "+msg)
	}
	if w.HungTasks != nil {
		h.HungTaskReports = w.HungTasks.Total()
		for _, rep := range w.HungTasks.Recent() {
			h.RecentHungTasks = append(h.RecentHungTasks, agentapi.HungTask{At: rep.At, Comm: rep.Comm, Pid: rep.Pid, Seconds: rep.Seconds, Container: rep.Container})
		}
	} else {
		h.Warnings = append(h.Warnings, "the kernel's hung-task reports are not followed")
	}
	if w.FirstResponder != nil {
		h.FirstResponder = w.FirstResponder.Bundles()
	}
	return h
}
