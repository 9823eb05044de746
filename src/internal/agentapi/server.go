package agentapi

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"time"

	"code.cloudfoundry.org/lager/v3"
	"code.cloudfoundry.org/tlsconfig"

	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

// Errors a Service wraps so the server answers with the right code. They
// and a refusal (package refusal: the request is well formed but unsafe or
// impossible, as a keep selector that matches nothing or no investigator
// SSH; 422, its text after "refused: ") all mean nothing changed on the
// cell.
var (
	// ErrInvalidRequest: the request is malformed (400).
	ErrInvalidRequest = errors.New("invalid request")
	// ErrConflict: another operation owns the cell (409).
	ErrConflict = errors.New("conflict")
)

// Service is what the server exposes; the cell agent implements it.
type Service interface {
	Inventory(ctx context.Context) (Inventory, error)
	Plan(ctx context.Context, req SequesterRequest) (Plan, error)
	Sequester(ctx context.Context, req SequesterRequest) (Status, error)
	Status(ctx context.Context) (Status, error)
	Health(ctx context.Context) (Health, error)
}

// ServerTLSConfig builds the agent's server side of mTLS: its identity and
// the CA every client certificate must chain to. Clients without a
// certificate, or with one from another CA, fail the handshake.
func ServerTLSConfig(caFile, certFile, keyFile string) (*tls.Config, error) {
	cfg, err := tlsconfig.Build(
		tlsconfig.WithExternalServiceDefaults(),
		tlsconfig.WithIdentityFromFile(certFile, keyFile),
	).Server(tlsconfig.WithClientAuthenticationFromFile(caFile))
	if err != nil {
		return nil, fmt.Errorf("agent server tls: %w", err)
	}
	return cfg, nil
}

// Handler routes /v1/ to svc, logging each request.
func Handler(logger lager.Logger, svc Service) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/inventory", func(w http.ResponseWriter, r *http.Request) {
		inv, err := svc.Inventory(r.Context())
		reply(w, http.StatusOK, inv, err)
	})
	mux.HandleFunc("POST /v1/plan", func(w http.ResponseWriter, r *http.Request) {
		req, ok := decode(w, r)
		if !ok {
			return
		}
		p, err := svc.Plan(r.Context(), req)
		reply(w, http.StatusOK, p, err)
	})
	mux.HandleFunc("POST /v1/sequester", func(w http.ResponseWriter, r *http.Request) {
		req, ok := decode(w, r)
		if !ok {
			return
		}
		st, err := svc.Sequester(r.Context(), req)
		reply(w, http.StatusAccepted, st, err)
	})
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) {
		st, err := svc.Status(r.Context())
		reply(w, http.StatusOK, st, err)
	})
	mux.HandleFunc("GET /v1/health", func(w http.ResponseWriter, r *http.Request) {
		h, err := svc.Health(r.Context())
		reply(w, http.StatusOK, h, err)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, ErrorResponse{Error: fmt.Sprintf("no such endpoint: %s %s", r.Method, r.URL.Path)})
	})
	return logRequests(logger.Session("api"), mux)
}

// MaxRequestBody bounds a request body; a sequester request is a few
// hundred bytes.
const MaxRequestBody = 1 << 20

func decode(w http.ResponseWriter, r *http.Request) (SequesterRequest, bool) {
	var req SequesterRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxRequestBody))
	// An unknown field is most likely a misspelt keep selector; ignoring
	// it could prune what the operator meant to keep.
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, ErrorResponse{Error: "request body is not a sequester request: " + err.Error()})
		return req, false
	}
	// One document only: whatever follows was not meant for this request
	// (a second request pasted after the first, a truncated concatenation),
	// and acting on the first half of it is a guess.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		writeJSON(w, http.StatusBadRequest, ErrorResponse{Error: "request body has data after the sequester request: send exactly one JSON document"})
		return req, false
	}
	return req, true
}

func reply(w http.ResponseWriter, okCode int, body any, err error) {
	if err == nil {
		writeJSON(w, okCode, body)
		return
	}
	code, msg := http.StatusInternalServerError, err.Error()
	switch {
	case errors.Is(err, ErrInvalidRequest):
		code = http.StatusBadRequest
	case errors.Is(err, ErrConflict):
		code = http.StatusConflict
	case refusal.Is(err):
		code, msg = http.StatusUnprocessableEntity, "refused: "+msg
	}
	writeJSON(w, code, ErrorResponse{Error: msg})
}

func writeJSON(w http.ResponseWriter, code int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

func logRequests(logger lager.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(rec, r)
		data := lager.Data{"method": r.Method, "path": r.URL.Path, "status": rec.code,
			"duration_ms": time.Since(start).Milliseconds(), "remote_addr": r.RemoteAddr}
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			data["client_cn"] = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		switch {
		case rec.code >= 500:
			logger.Error("request-failed", fmt.Errorf("status %d", rec.code), data)
		case r.Method == http.MethodGet:
			// Status is polled; keep the polling out of the info log.
			logger.Debug("request-served", data)
		default:
			logger.Info("request-served", data)
		}
	})
}

// ServerLimits bound what one client can hold: a slow or stalled client
// (or a half-open connection from a dead errand VM) must not keep
// goroutines and file descriptors on a cell forever.
type ServerLimits struct {
	// ReadHeaderTimeout bounds the TLS handshake and the request headers.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included.
	ReadTimeout time.Duration
	// IdleTimeout closes a keep-alive connection with no request.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds the request headers; the API needs a few
	// hundred bytes.
	MaxHeaderBytes int
}

// DefaultServerLimits are the agent's limits.
var DefaultServerLimits = ServerLimits{
	ReadHeaderTimeout: 10 * time.Second,
	ReadTimeout:       30 * time.Second,
	IdleTimeout:       2 * time.Minute,
	MaxHeaderBytes:    64 << 10,
}

// ListenOption changes how Listen serves.
type ListenOption func(*ServerLimits)

// WithLimits replaces DefaultServerLimits.
func WithLimits(l ServerLimits) ListenOption {
	return func(dst *ServerLimits) { *dst = l }
}

// Server is the agent's mTLS listener.
type Server struct {
	logger   lager.Logger
	listener net.Listener
	http     *http.Server
}

// Listen binds address with tlsConfig, which must require client
// certificates: the agent has no plaintext listener.
func Listen(logger lager.Logger, address string, tlsConfig *tls.Config, svc Service, opts ...ListenOption) (*Server, error) {
	l, err := ListenMTLS("agent API", address, tlsConfig)
	if err != nil {
		return nil, err
	}
	s := &Server{
		logger:   logger.Session("api-server", lager.Data{"address": l.Addr().String()}),
		listener: l,
	}
	limits := DefaultServerLimits
	for _, o := range opts {
		o(&limits)
	}
	s.http = HTTPServer(s.logger, Handler(logger, svc), limits)
	return s, nil
}

// HTTPServer is net/http's server with limits on what one client can hold
// and its errors in lager: every listener of the agent (the API, the
// metrics) serves through one.
func HTTPServer(logger lager.Logger, h http.Handler, limits ServerLimits) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: limits.ReadHeaderTimeout,
		ReadTimeout:       limits.ReadTimeout,
		IdleTimeout:       limits.IdleTimeout,
		MaxHeaderBytes:    limits.MaxHeaderBytes,
		// net/http reports TLS handshake failures and panics through
		// ErrorLog, by default Go's standard logger on stderr, which the
		// job's lager log never sees.
		ErrorLog: log.New(serverErrorLog{logger}, "", 0),
	}
}

// ListenMTLS binds address behind TLS that requires and verifies client
// certificates; anything less is refused, so no listener of the agent
// (the API, the metrics) can ever serve plaintext or anonymous clients.
func ListenMTLS(what, address string, tlsConfig *tls.Config) (net.Listener, error) {
	if tlsConfig == nil || tlsConfig.ClientAuth != tls.RequireAndVerifyClientCert || tlsConfig.ClientCAs == nil {
		return nil, fmt.Errorf("%s refuses to listen without mTLS (client certificates verified against a CA)", what)
	}
	if tlsConfig.MinVersion < tls.VersionTLS12 {
		tlsConfig = tlsConfig.Clone()
		tlsConfig.MinVersion = tls.VersionTLS12
	}
	l, err := net.Listen("tcp", address)
	if err != nil {
		return nil, fmt.Errorf("%s listen %s: %w", what, address, err)
	}
	return tls.NewListener(l, tlsConfig), nil
}

// Addr is the bound address (useful with port 0).
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

// Shutdown stops accepting and waits for requests in flight.
func (s *Server) Shutdown(ctx context.Context) error {
	s.logger.Info("shutting-down")
	return s.http.Shutdown(ctx)
}
