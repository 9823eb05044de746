package containers

import (
	"context"
	"errors"
	"sync"

	"code.cloudfoundry.org/lager/v3"
)

// Selector picks the backend for each call: garden when it answers Ping,
// runc otherwise. The agent asks on every request (garden may wedge
// mid-operation), so the choice is logged at Info when it changes, since
// the runc fallback leaves things behind and the operator must know it
// was used, and at Debug when it stays the same.
type Selector struct {
	logger lager.Logger
	garden *Garden
	runc   *Runc

	mu   sync.Mutex
	last string
}

// NewSelector builds a selector; g or r may be nil, not both.
func NewSelector(logger lager.Logger, g *Garden, r *Runc) *Selector {
	return &Selector{logger: logger.Session("select-backend"), garden: g, runc: r}
}

// RuncByDesign tells that garden is not configured at all, so runc is the
// backend on purpose rather than a fallback.
func (s *Selector) RuncByDesign() bool { return s.garden == nil && s.runc != nil }

// Select returns the backend to use now.
func (s *Selector) Select(ctx context.Context) (Backend, error) {
	g, r := s.garden, s.runc
	if g == nil && r == nil {
		return nil, errors.New("no container backend configured: set garden.socket or runc.root in the agent config")
	}
	if g != nil {
		err := g.Ping(ctx)
		if err == nil {
			s.chose(lager.Data{"backend": BackendGarden, "socket": g.cfg.Socket})
			return g, nil
		}
		if r == nil {
			s.chose(nil)
			s.logger.Error("garden-unreachable", err)
			return nil, errors.New("garden does not answer (" + err.Error() + ") and no runc fallback is configured: set runc.root in the agent config")
		}
		s.chose(lager.Data{"backend": BackendRunc, "runc_root": r.cfg.Root, "reason": "garden did not answer ping: " + err.Error()})
		return r, nil
	}
	s.chose(lager.Data{"backend": BackendRunc, "runc_root": r.cfg.Root, "reason": "no garden socket configured"})
	return r, nil
}

// chose logs a choice at Info when the backend differs from the last
// one, at Debug otherwise; nil records that no backend was chosen.
func (s *Selector) chose(data lager.Data) {
	backend := ""
	if data != nil {
		backend, _ = data["backend"].(string)
	}
	s.mu.Lock()
	changed := backend != s.last
	s.last = backend
	s.mu.Unlock()
	switch {
	case data == nil:
	case changed:
		s.logger.Info("backend-selected", data)
	default:
		s.logger.Debug("backend-selected", data)
	}
}

// Select picks a backend once, logging the choice.
func Select(ctx context.Context, logger lager.Logger, g *Garden, r *Runc) (Backend, error) {
	return NewSelector(logger, g, r).Select(ctx)
}
