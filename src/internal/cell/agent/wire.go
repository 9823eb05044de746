package agent

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"code.cloudfoundry.org/bbs"
	"code.cloudfoundry.org/bbs/models"
	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/dstate"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/evidence"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/hungtask"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/isolation"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/journal"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/metrics"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/monit"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/sshaccess"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/stopper"
	"github.com/cloudfoundry-community/cell-sequestration/internal/config"
)

// Wired is the agent's parts built from its config, with the D-state
// scanner the caller polls on its interval.
type Wired struct {
	Deps         Deps
	Scanner      *dstate.Scanner
	PollInterval time.Duration
	// Monit is the monit client the stoppers use.
	Monit *monit.Client
	// Watch is the always-on D-state watch (also Deps.Watch).
	Watch *Watch
	// Metrics is nil when metrics are off.
	Metrics *metrics.Metrics
}

// FromConfig builds every part from the rendered agent config. It contacts
// nothing: garden, monit and BBS are reached when a request needs them.
func FromConfig(logger lager.Logger, cfg config.Agent) (Wired, error) {
	var w Wired
	if cfg.CellID == "" {
		return w, fmt.Errorf("config: cell_id is empty")
	}
	if re, rep := orDefault(cfg.Monit.RouteEmitterService, "route_emitter"), orDefault(cfg.Monit.RepService, "rep"); re == rep {
		// Withdrawing routes is a monit stop, and a stopped rep deletes
		// every container on its way out.
		return w, fmt.Errorf("config: monit.route_emitter_service and monit.rep_service are both %q: stopping the route emitter would stop the rep through monit, whose shutdown deletes every container", re)
	}
	j, err := journal.Open(cfg.StateDir)
	if err != nil {
		return w, err
	}
	mc, err := monit.NewClient(logger, cfg.Monit.Address, cfg.Monit.CredentialsFile)
	if err != nil {
		return w, err
	}
	monitDeadline := time.Duration(cfg.Monit.TimeoutSeconds) * time.Second
	selector, backend, err := backendSelector(logger, cfg)
	if err != nil {
		return w, err
	}
	suspectAfter := time.Duration(cfg.DState.SuspectAfterSeconds) * time.Second
	if suspectAfter <= 0 {
		suspectAfter = dstate.DefaultSuspectAfter
	}
	w.Scanner = dstate.New(logger, dstate.Config{
		CgroupRoot:   cfg.Runc.CgroupRoot,
		SuspectAfter: suspectAfter,
		// Per thread: a multi-threaded app's stuck worker does not show
		// in its process's own state.
		Threads: true,
	})
	w.PollInterval = time.Duration(cfg.DState.PollIntervalSeconds) * time.Second
	index := &containers.Index{Backend: backend, Logger: logger}
	w.Watch = &Watch{Scanner: w.Scanner, PollInterval: w.PollInterval, SuspectAfter: suspectAfter, Index: index, Logger: logger.Session("watch")}
	if cfg.DState.KmsgPath != "-" {
		w.Watch.HungTasks = &hungtask.Watcher{Path: cfg.DState.KmsgPath, Logger: logger.Session("hung-tasks")}
	}
	if cfg.FirstResponder.Enabled {
		dir, err := firstResponderDir(cfg)
		if err != nil {
			return w, err
		}
		w.Watch.FirstResponder = &evidence.FirstResponder{
			Dir: dir, MaxPerHour: cfg.FirstResponder.MaxPerHour,
			MaxTotalBytes: cfg.FirstResponder.MaxTotalBytes, MaxBundleBytes: cfg.FirstResponder.MaxBundleBytes,
			Container: index.Get, Logger: logger,
		}
	}
	var bbsClient bbs.Client
	if cfg.BBS.URL != "" {
		u, err := url.Parse(cfg.BBS.URL)
		if err != nil {
			return w, fmt.Errorf("config: bbs.url: %w", err)
		}
		bbsClient, err = bbs.NewClientWithConfig(bbs.ClientConfig{
			URL: cfg.BBS.URL, IsTLS: u.Scheme == "https",
			CAFile: cfg.BBS.CAFile, CertFile: cfg.BBS.CertFile, KeyFile: cfg.BBS.KeyFile,
			RequestTimeout: 10 * time.Second, Retries: 2,
		})
		if err != nil {
			return w, fmt.Errorf("config: bbs client: %w", err)
		}
	}
	evidenceDir := cfg.Evidence.Dir
	if evidenceDir == "" {
		evidenceDir = filepath.Join(cfg.StateDir, "evidence")
	}
	ev := evidence.Collector{
		Dir:      evidenceDir,
		MaxBytes: cfg.Evidence.MaxBytes,
		LogFiles: cfg.Evidence.LogFiles,
		Logger:   logger,
		Containers: func(ctx context.Context) (any, error) {
			b, err := backend(ctx)
			if err != nil {
				return nil, err
			}
			return b.List(ctx)
		},
		DStateReport: func() any { return w.Scanner.Last() },
	}
	if fr := w.Watch.FirstResponder; fr != nil {
		ev.FirstResponder = func() any { return fr.Bundles() }
	}
	if bbsClient != nil {
		ev.ActualLRPs = func(context.Context) (any, error) {
			return bbsClient.ActualLRPs(logger, "", bbsFilterForCell(cfg.CellID))
		}
	}
	w.Deps = Deps{
		CellID:       cfg.CellID,
		Logger:       logger,
		Journal:      j,
		Backend:      backend,
		DState:       w.Scanner,
		RouteEmitter: stopper.RouteEmitter{Monit: mc, Service: orDefault(cfg.Monit.RouteEmitterService, "route_emitter"), PidFile: cfg.Monit.RouteEmitterPidFile, Logger: logger, MonitDeadline: monitDeadline},
		Rep:          stopper.Rep{Monit: mc, Service: orDefault(cfg.Monit.RepService, "rep"), PidFile: cfg.Monit.RepPidFile, Logger: logger, MonitDeadline: monitDeadline},
		BoshAgent: stopper.BoshAgent{
			Supervisor: orDefault(cfg.BoshAgent.Supervisor, stopper.SupervisorAuto), RunitService: cfg.BoshAgent.RunitService,
			SvBinary: cfg.BoshAgent.SvBinary, SystemdUnit: cfg.BoshAgent.SystemdUnit, Logger: logger,
		},
		Isolator:           NetworkIsolator{Logger: logger, Backend: backend},
		Evidence:           ev,
		SSH:                sshaccess.Checker{User: cfg.SSH.User, Sudo: cfg.SSH.Sudo, Port: cfg.SSH.Port, PublicKeys: cfg.SSH.PublicKeys},
		ReplacementTimeout: time.Duration(cfg.BBS.ReplacementTimeoutSeconds) * time.Second,
		PruneWorkers:       cfg.Prune.Workers,
		Freeze:             cfg.Isolation.Freeze,
		BlockEgress:        cfg.Isolation.BlockEgress,
		AllowSources:       cfg.SSH.SourceCIDRs,
		StopBoshAgent:      cfg.BoshAgent.Stop,
		RuncByDesign:       selector.RuncByDesign(),
		Watch:              w.Watch,
	}
	if cfg.Metrics.Enabled {
		w.Metrics = metrics.New(metrics.Sources{
			DState: w.Scanner.Last,
			AppOf:  index.AppOf,
			Status: func() agentapi.Status {
				st, ok := j.Current()
				if !ok {
					return agentapi.Status{Phase: agentapi.PhaseIdle}
				}
				return st.Status
			},
		})
		w.Watch.Metrics = w.Metrics
		w.Deps.ObserveDestroy = w.Metrics.ObserveDestroy
		if w.Watch.HungTasks != nil {
			w.Watch.HungTasks.OnReport = w.Watch.HungTask
		}
	}
	if bbsClient != nil {
		w.Deps.BBS = bbsClient
	}
	if cfg.Runc.Root == "" {
		w.Deps.FreezeUnavailable = "garden's API has no freeze and runc.root is not configured"
	}
	w.Monit = mc
	w.Deps.Preflight = preflight(logger, mc, cfg, w.Deps.BoshAgent.(stopper.BoshAgent), backend)
	return w, nil
}

// firstResponderDir refuses a directory inside garden's depot: the
// container store is what hangs on a sick cell, and pruning deletes it.
func firstResponderDir(cfg config.Agent) (string, error) {
	dir := cfg.FirstResponder.Dir
	if dir == "" {
		dir = filepath.Join(cfg.StateDir, "first-responder")
	}
	dir = filepath.Clean(dir)
	if !filepath.IsAbs(dir) {
		return "", fmt.Errorf("config: first_responder.dir %q is not an absolute path", dir)
	}
	if d := cfg.Garden.DepotPath; d != "" {
		if rel, err := filepath.Rel(filepath.Clean(d), dir); err == nil && !strings.HasPrefix(rel, "..") {
			return "", fmt.Errorf("config: first_responder.dir %s is inside garden's depot %s: put it outside the container store", dir, d)
		}
	}
	return dir, nil
}

// backendSelector prefers garden and falls back to runc when garden does
// not answer, deciding on every call: garden may wedge mid-operation.
func backendSelector(logger lager.Logger, cfg config.Agent) (*containers.Selector, func(context.Context) (containers.Backend, error), error) {
	var g *containers.Garden
	var r *containers.Runc
	if cfg.Runc.Root != "" {
		r = containers.NewRunc(logger, containers.RuncConfig{
			Binary: cfg.Runc.Binary, Root: cfg.Runc.Root, DepotPath: cfg.Garden.DepotPath, CgroupRoot: cfg.Runc.CgroupRoot,
		})
	}
	if cfg.Garden.Socket != "" {
		gc := containers.GardenConfig{Socket: cfg.Garden.Socket, CgroupRoot: cfg.Runc.CgroupRoot}
		if r != nil {
			gc.Freezer = r
		}
		g = containers.NewGarden(logger, gc)
	}
	if g == nil && r == nil {
		return nil, nil, fmt.Errorf("config: neither garden.socket nor runc.root is set")
	}
	selector := containers.NewSelector(logger, g, r)
	// Every destroy and freeze gets a deadline: garden hanging on a delete
	// hands that one container to runc, and a runc blocked in the kernel
	// is abandoned, never waited for.
	var fallback *containers.GardenWithRuncFallback
	var bounded *containers.BoundedRunc
	if r != nil {
		runcDeadline := time.Duration(cfg.Runc.TimeoutSeconds) * time.Second
		bounded = containers.NewBoundedRunc(r, runcDeadline)
		if g != nil {
			fallback = containers.NewGardenWithRuncFallback(logger, g, r, time.Duration(cfg.Garden.DestroyTimeoutSeconds)*time.Second, runcDeadline)
		}
	}
	return selector, func(ctx context.Context) (containers.Backend, error) {
		b, err := selector.Select(ctx)
		switch {
		case err != nil:
			return nil, err
		case b == containers.Backend(g) && fallback != nil:
			return fallback, nil
		case b == containers.Backend(r):
			return bounded, nil
		}
		return b, nil
	}, nil
}

// NetworkIsolator adapts package isolation to the agent: it re-reads the
// kept containers (their pids may have changed since the operation was
// journaled), isolates each and checks the rules are in force.
type NetworkIsolator struct {
	Logger  lager.Logger
	Backend func(context.Context) (containers.Backend, error)
}

func (n NetworkIsolator) Isolate(ctx context.Context, kept []agentapi.Container, opts IsolationOptions) (string, error) {
	b, err := n.Backend(ctx)
	if err != nil {
		return "", err
	}
	iso, err := isolation.New(n.Logger, b, isolation.Options{AllowCIDRs: opts.AllowSources, BlockEgress: opts.BlockEgress, Freeze: opts.Freeze})
	if err != nil {
		return "", err
	}
	current, err := b.List(ctx)
	if err != nil {
		return "", fmt.Errorf("list containers: %w", err)
	}
	byHandle := map[string]agentapi.Container{}
	for _, c := range current {
		byHandle[c.Handle] = c
	}
	rules, frozen := 0, 0
	var idle, unfrozen []string
	for _, k := range kept {
		c, ok := byHandle[k.Handle]
		if !ok {
			return "", fmt.Errorf("kept container %s is gone", k.Handle)
		}
		if c.State == containers.StateStopped {
			// No process, nothing listening: no traffic to refuse.
			idle = append(idle, c.Handle)
			continue
		}
		if len(c.Pids) == 0 {
			// Running, but its processes cannot be found: skipping it would
			// leave a listener that gorouter keeps sending traffic to.
			return "", fmt.Errorf("kept container %s is %s but none of its processes was found: cannot enter its network namespace to isolate it", c.Handle, c.State)
		}
		res, err := iso.Isolate(ctx, c)
		if errors.Is(err, isolation.ErrFreeze) {
			// The network is cut, which is what protects traffic; a
			// failed freeze must not stop the sequence here, with the rep
			// dead and every other container still running unwatched, and
			// a re-post of the same operation would only fail again.
			unfrozen = append(unfrozen, fmt.Sprintf("%s (%v)", c.Handle, err))
		} else if err != nil {
			return "", err
		}
		if err := iso.Verify(ctx, c); err != nil {
			return "", fmt.Errorf("isolation of %s not in force: %w", c.Handle, err)
		}
		rules += len(res.Rules)
		if res.Frozen {
			frozen++
		}
	}
	detail := fmt.Sprintf("%d container(s) reset new TCP connections (%d rules)", len(kept)-len(idle), rules)
	if len(idle) > 0 {
		detail += fmt.Sprintf("; %d without processes left as they are (%s)", len(idle), strings.Join(idle, ", "))
	}
	if len(opts.AllowSources) > 0 {
		detail += " except from " + strings.Join(opts.AllowSources, ", ")
	}
	if opts.BlockEgress {
		detail += "; egress blocked"
	}
	if frozen > 0 {
		detail += fmt.Sprintf("; %d frozen", frozen)
	}
	if len(unfrozen) > 0 {
		detail += fmt.Sprintf("; %d could not be frozen and still run: %s", len(unfrozen), strings.Join(unfrozen, "; "))
	}
	return detail, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func bbsFilterForCell(cellID string) models.ActualLRPFilter {
	return models.ActualLRPFilter{CellID: cellID}
}
