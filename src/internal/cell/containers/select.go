package containers

import (
	"context"
	"errors"

	"code.cloudfoundry.org/lager/v3"
)

// Select picks the backend for this run: garden when it answers Ping,
// runc otherwise. It logs which one and why, because the runc fallback
// leaves things behind and the operator must know it was used.
func Select(ctx context.Context, logger lager.Logger, g *Garden, r *Runc) (Backend, error) {
	logger = logger.Session("select-backend")
	if g == nil && r == nil {
		return nil, errors.New("no container backend configured: set garden.socket or runc.root in the agent config")
	}
	if g != nil {
		err := g.Ping(ctx)
		if err == nil {
			// The normal case, asked on every inventory: Debug keeps the
			// agent's log for what changes. A runc fallback stays Info.
			logger.Debug("backend-selected", lager.Data{"backend": BackendGarden, "socket": g.cfg.Socket})
			return g, nil
		}
		if r == nil {
			logger.Error("garden-unreachable", err)
			return nil, errors.New("garden does not answer (" + err.Error() + ") and no runc fallback is configured: set runc.root in the agent config")
		}
		logger.Info("backend-selected", lager.Data{"backend": BackendRunc, "runc_root": r.cfg.Root, "reason": "garden did not answer ping: " + err.Error()})
		return r, nil
	}
	logger.Info("backend-selected", lager.Data{"backend": BackendRunc, "runc_root": r.cfg.Root, "reason": "no garden socket configured"})
	return r, nil
}
