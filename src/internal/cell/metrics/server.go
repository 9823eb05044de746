package metrics

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
)

// Path is where the metrics are served (prom_scraper's default path).
const Path = "/metrics"

// Server serves the registry over mTLS on a port of its own. The client
// CA is the metrics scraper's [loggregator-agent-release: prom_scraper,
// whose client certificate cf-deployment signs with the metric scraper
// CA], never the API's: a scraper must not be able to sequester a cell.
type Server struct {
	listener net.Listener
	http     *http.Server
	logger   lager.Logger
}

// Listen binds address; tlsConfig must require client certificates.
func (m *Metrics) Listen(logger lager.Logger, address string, tlsConfig *tls.Config) (*Server, error) {
	l, err := agentapi.ListenMTLS("metrics endpoint", address, tlsConfig)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+Path, m.Handler())
	logger = logger.Session("metrics-server", lager.Data{"address": l.Addr().String()})
	return &Server{
		listener: l,
		logger:   logger,
		http:     agentapi.HTTPServer(logger, mux, agentapi.DefaultServerLimits),
	}, nil
}

// Addr is the bound address.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// Serve blocks until Shutdown.
func (s *Server) Serve() error {
	s.logger.Info("serving")
	err := s.http.Serve(s.listener)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops the listener.
func (s *Server) Shutdown(ctx context.Context) error { return s.http.Shutdown(ctx) }
