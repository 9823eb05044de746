// Package suspectstest runs real agent API servers (mTLS, the agentapi
// server) that answer health questions with given figures, and hung ones
// that accept connections and never answer, on loopback addresses: the
// fleet `sequester suspects` asks, for its tests and its benchmark.
package suspectstest

import (
	"context"
	"crypto/tls"
	"net"
	"sync"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/certs"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
	"github.com/cloudfoundry-community/cell-sequestration/internal/suspects"
)

// healthOnly serves the given health; the other endpoints refuse.
type healthOnly struct{ h agentapi.Health }

var errHealthOnly = refusal.Errorf("this test agent answers health only")

func (s healthOnly) Inventory(context.Context) (agentapi.Inventory, error) {
	return agentapi.Inventory{}, errHealthOnly
}
func (s healthOnly) Plan(context.Context, agentapi.SequesterRequest) (agentapi.Plan, error) {
	return agentapi.Plan{}, errHealthOnly
}
func (s healthOnly) Sequester(context.Context, agentapi.SequesterRequest) (agentapi.Status, error) {
	return agentapi.Status{}, errHealthOnly
}
func (s healthOnly) Status(context.Context) (agentapi.Status, error) {
	return agentapi.Status{}, errHealthOnly
}
func (s healthOnly) Health(context.Context) (agentapi.Health, error) { return s.h, nil }

// Fleet is agents by IP.
type Fleet struct {
	mu        sync.Mutex
	clientTLS *tls.Config
	serverTLS *tls.Config
	addrs     map[string]string
	closers   []func()
}

// New makes the fleet's CA and certificates under dir.
func New(dir string) (*Fleet, error) {
	ca, caFile, err := certs.NewCA(dir, "suspects-agents")
	if err != nil {
		return nil, err
	}
	server, err := ca.Issue(dir, "sequester-agent")
	if err != nil {
		return nil, err
	}
	client, err := ca.Issue(dir, "operator")
	if err != nil {
		return nil, err
	}
	f := &Fleet{addrs: map[string]string{}}
	if f.serverTLS, err = agentapi.ServerTLSConfig(caFile, server.CertFile, server.KeyFile); err != nil {
		return nil, err
	}
	if f.clientTLS, err = agentapi.ClientTLSConfig(caFile, client.CertFile, client.KeyFile); err != nil {
		return nil, err
	}
	return f, nil
}

// ClientTLS is an operator's client material for the fleet.
func (f *Fleet) ClientTLS() *tls.Config { return f.clientTLS }

// Add serves h at listen (host:port; port 0 picks one) as the cell ip.
func (f *Fleet) Add(ip, listen string, h agentapi.Health) error {
	srv, err := agentapi.Listen(lager.NewLogger("agent"), listen, f.serverTLS, healthOnly{h})
	if err != nil {
		return err
	}
	go srv.Serve()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addrs[ip] = srv.Addr()
	f.closers = append(f.closers, func() { _ = srv.Shutdown(context.Background()) })
	return nil
}

// AddHung accepts connections as the cell ip and never answers: an agent
// stuck like the rest of its cell.
func (f *Fleet) AddHung(ip, listen string) error {
	l, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addrs[ip] = l.Addr().String()
	f.closers = append(f.closers, func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return nil
}

// Addr is where the cell ip's agent listens.
func (f *Fleet) Addr(ip string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.addrs[ip]
}

// Dialer reaches each cell's agent where it listens.
func (f *Fleet) Dialer() suspects.Dialer {
	return func(ip string) suspects.HealthAgent {
		addr := f.Addr(ip)
		if addr == "" {
			addr = "127.0.0.1:1" // connection refused, as for a stopped agent
		}
		return agentapi.NewClient("https://"+addr, f.clientTLS)
	}
}

// Close stops every agent.
func (f *Fleet) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.closers {
		c()
	}
	f.closers = nil
}
