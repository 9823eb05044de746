package containers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"code.cloudfoundry.org/garden"
	"code.cloudfoundry.org/garden/client"
	"code.cloudfoundry.org/garden/client/connection"
	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
)

// BackendGarden and BackendRunc are the values of Name() and of
// agentapi.Container.Source.
const (
	BackendGarden = "garden"
	BackendRunc   = "runc"
)

// GardenConfig says how to reach garden.
type GardenConfig struct {
	// Socket is garden's unix socket (/var/vcap/data/garden/garden.sock).
	Socket string
	// PingTimeout bounds the health check that picks the backend (default 5s).
	PingTimeout time.Duration
	// RequestTimeout bounds every other call (default 2m): a destroy that
	// unmounts an image can take a while, a wedged garden never answers.
	RequestTimeout time.Duration
	ProcRoot       string
	CgroupRoot     string
	// Freezer pauses containers: garden's API has no freeze.
	Freezer Freezer
}

// Garden reaches containers through garden's API, the preferred way: its
// Destroy also frees networking, the image and the containerd record.
type Garden struct {
	logger lager.Logger
	cfg    GardenConfig
	client client.Client
	ping   client.Client
}

var _ Backend = (*Garden)(nil)

// NewGarden builds the backend; it does not contact garden.
func NewGarden(logger lager.Logger, cfg GardenConfig) *Garden {
	if cfg.PingTimeout == 0 {
		cfg.PingTimeout = 5 * time.Second
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 2 * time.Minute
	}
	if cfg.ProcRoot == "" {
		cfg.ProcRoot = DefaultProcRoot
	}
	if cfg.CgroupRoot == "" {
		cfg.CgroupRoot = DefaultCgroupRoot
	}
	logger = logger.Session("garden-backend", lager.Data{"socket": cfg.Socket})
	return &Garden{
		logger: logger,
		cfg:    cfg,
		client: client.New(connection.NewWithDialerAndLogger(deadlineDialer(cfg.Socket, cfg.RequestTimeout), logger)),
		ping:   client.New(connection.NewWithDialerAndLogger(deadlineDialer(cfg.Socket, cfg.PingTimeout), logger)),
	}
}

// deadlineDialer puts a deadline on every connection. The garden client
// has no request timeout and opens one connection per request, so a
// deadline at dial time bounds the whole request: a wedged garden that
// accepts and never answers cannot hang the agent.
func deadlineDialer(socket string, timeout time.Duration) connection.DialerFunc {
	return func(string, string) (net.Conn, error) {
		conn, err := net.DialTimeout("unix", socket, timeout)
		if err != nil {
			return nil, err
		}
		if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
			conn.Close()
			return nil, err
		}
		return conn, nil
	}
}

func (g *Garden) Name() string { return BackendGarden }

// Ping tells whether garden answers within the ping timeout.
func (g *Garden) Ping(ctx context.Context) error {
	if g.cfg.Socket == "" {
		return errors.New("no garden socket configured")
	}
	return withContext(ctx, g.ping.Ping)
}

// List returns garden's containers with their properties and the pids
// found in their cgroups.
func (g *Garden) List(ctx context.Context) ([]agentapi.Container, error) {
	var handles []string
	err := withContext(ctx, func() error {
		cs, err := g.client.Containers(nil)
		for _, c := range cs {
			handles = append(handles, c.Handle())
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list garden containers: %w", err)
	}
	out := make([]agentapi.Container, 0, len(handles))
	if len(handles) == 0 {
		return out, nil
	}
	var infos map[string]garden.ContainerInfoEntry
	err = withContext(ctx, func() error {
		var err error
		infos, err = g.client.BulkInfo(handles)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get info of %d garden containers: %w", len(handles), err)
	}
	pids, err := PidsByHandle(g.cfg.ProcRoot)
	if err != nil {
		return nil, fmt.Errorf("map processes to containers: %w", err)
	}
	for _, h := range handles {
		c := agentapi.Container{Handle: h, Source: BackendGarden, State: StateUnknown, Pids: pids[h]}
		if e, ok := infos[h]; ok && e.Err == nil {
			c.Properties = map[string]string(e.Info.Properties)
			c.IP = e.Info.ContainerIP
			switch e.Info.State {
			case "active":
				c.State = StateRunning
			case "stopped":
				c.State = StateStopped
			}
		} else if ok && e.Err != nil {
			g.logger.Error("container-info-failed", e.Err, lager.Data{"container_handle": h})
		}
		describe(&c, g.cfg.ProcRoot)
		applyFrozen(&c, g.cfg.ProcRoot, g.cfg.CgroupRoot)
		out = append(out, c)
	}
	sortContainers(out)
	return out, nil
}

// Destroy asks garden to destroy the container. A container garden no
// longer knows counts as destroyed: prune must be safe to run again.
func (g *Garden) Destroy(ctx context.Context, handle string) ([]string, error) {
	if err := ValidateHandle(handle); err != nil {
		return nil, err
	}
	err := withContext(ctx, func() error { return g.client.Destroy(handle) })
	var notFound garden.ContainerNotFoundError
	if errors.As(err, &notFound) {
		g.logger.Info("container-already-gone", lager.Data{"container_handle": handle})
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("garden destroy %s: %w", handle, err)
	}
	return nil, nil
}

// Freeze pauses the container through the configured freezer.
func (g *Garden) Freeze(ctx context.Context, handle string) error {
	if err := ValidateHandle(handle); err != nil {
		return err
	}
	if g.cfg.Freezer == nil {
		return errors.New("garden has no freeze call and no runc freezer is configured")
	}
	return g.cfg.Freezer.Freeze(ctx, handle)
}

// withContext runs a call that takes no context and returns when either it
// or ctx is done. The connection deadline ends the abandoned call later.
func withContext(ctx context.Context, call func() error) error {
	done := make(chan error, 1)
	go func() { done <- call() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
