package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/metrics"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/monit"
	"github.com/cloudfoundry-community/cell-sequestration/internal/config"
)

// Serve runs the agent until ctx ends: the mTLS API, the D-state poller on
// its interval, and the resumption of a journaled operation that was
// running when the agent last stopped. tweak, if set, may replace parts
// before the agent starts (tests use it).
func Serve(ctx context.Context, logger lager.Logger, cfg config.Agent, tweak func(*Wired)) error {
	logger = logger.Session("serve")
	w, err := FromConfig(logger, cfg)
	if err != nil {
		return err
	}
	if tweak != nil {
		tweak(&w)
	}
	a, err := New(w.Deps)
	if err != nil {
		return err
	}
	defer a.Close()
	if w.Scanner != nil {
		w.Scanner.SetFrozenByAgent(a.FrozeItself)
	}
	var metricsSrv *metrics.Server
	if w.Metrics != nil {
		// Metrics on means mTLS with the scraper's CA; a missing or wrong
		// certificate stops the agent rather than serving plaintext.
		mtls, err := agentapi.ServerTLSConfig(cfg.Metrics.TLS.CAFile, cfg.Metrics.TLS.CertFile, cfg.Metrics.TLS.KeyFile)
		if err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
		if metricsSrv, err = w.Metrics.Listen(logger, cfg.Metrics.ListenAddress, mtls); err != nil {
			return err
		}
	}
	tlsCfg, err := agentapi.ServerTLSConfig(cfg.TLS.CAFile, cfg.TLS.CertFile, cfg.TLS.KeyFile)
	if err != nil {
		return err
	}
	srv, err := agentapi.Listen(logger, cfg.ListenAddress, tlsCfg, limitReads(a))
	if err != nil {
		return err
	}
	pollCtx, stopPolling := context.WithCancel(ctx)
	defer stopPolling()
	watchDone := make(chan struct{})
	if w.Watch != nil && w.Watch.Scanner != nil {
		// One poll before serving, so the first inventory knows suspects.
		w.Watch.PollOnce(pollCtx)
		go func() {
			defer close(watchDone)
			w.Watch.Run(pollCtx)
		}()
	} else {
		close(watchDone)
	}
	defer func() { stopPolling(); <-watchDone }()
	served := make(chan error, 2)
	go func() { served <- srv.Serve() }()
	data := lager.Data{"address": srv.Addr(), "cell_id": cfg.CellID, "metrics": "off"}
	if metricsSrv != nil {
		go func() {
			if err := metricsSrv.Serve(); err != nil {
				served <- fmt.Errorf("metrics endpoint: %w", err)
			}
		}()
		defer metricsSrv.Shutdown(context.Background())
		data["metrics"] = metricsSrv.Addr()
	}
	logger.Info("started", data)
	rearmRestartGuards(ctx, logger, w.Deps)
	if w.Monit != nil {
		// Said once at start, in the job's log: whether monit answers this
		// process through the stemcell's firewall, and if not, why.
		go logMonitReach(pollCtx, logger, w.Monit)
	}
	if a.Resume() {
		logger.Info("resumed-journaled-operation")
	}
	select {
	case err := <-served:
		return fmt.Errorf("agent API stopped: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		logger.Error("shutdown-failed", err)
	}
	logger.Info("stopped")
	return nil
}

// rearmRestartGuards re-takes, after an agent restart, what keeps a
// stopped route emitter and rep from being started again (bpm's locks of
// their jobs and the retries of monit's unmonitor): the locks died with
// the agent process that held them, and a monit that recovers would start
// the rep, whose start deletes every container.
func rearmRestartGuards(ctx context.Context, logger lager.Logger, d Deps) {
	st, ok := d.Journal.Current()
	if !ok {
		return
	}
	type rearmer interface{ Rearm(context.Context) string }
	for _, s := range []struct {
		step    string
		stopper Stopper
	}{{agentapi.StepWithdrawRoutes, d.RouteEmitter}, {agentapi.StepStopRep, d.Rep}} {
		r, ok := s.stopper.(rearmer)
		if !ok || !st.Finished(s.step) {
			continue
		}
		if detail := r.Rearm(ctx); detail != "" {
			logger.Info("rearmed-restart-guard", lager.Data{"step": s.step, "detail": detail})
		}
	}
}

func logMonitReach(ctx context.Context, logger lager.Logger, mc *monit.Client) {
	r := mc.Probe(ctx)
	if r.OK() {
		logger.Info("monit-reachable", lager.Data{"address": r.Address, "monit_version": r.Version})
		return
	}
	logger.Error("monit-unreachable", errors.New(r.Explanation), lager.Data{"address": r.Address, "kind": r.Kind})
}
