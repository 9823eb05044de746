package agent

import (
	"context"
	"fmt"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
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
	srv, err := agentapi.Listen(logger, cfg.ListenAddress, tlsCfg, limitReads(a))
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
