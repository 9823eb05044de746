package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
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
	tlsCfg, err := agentapi.ServerTLSConfig(cfg.TLS.CAFile, cfg.TLS.CertFile, cfg.TLS.KeyFile)
	if err != nil {
		return err
	}
	srv, err := agentapi.Listen(logger, cfg.ListenAddress, tlsCfg, a)
	if err != nil {
		return err
	}
	pollCtx, stopPolling := context.WithCancel(ctx)
	defer stopPolling()
	if w.Scanner != nil {
		// One poll before serving, so the first inventory knows suspects.
		if _, err := w.Scanner.Poll(); err != nil {
			logger.Error("first-dstate-poll-failed", err)
		}
		go w.Scanner.Run(pollCtx, w.PollInterval)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	logger.Info("started", lager.Data{"address": srv.Addr(), "cell_id": cfg.CellID})
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
