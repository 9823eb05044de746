package agent

import (
	"context"
	"fmt"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
)

// readLimit is how many inventories and plans the API computes at once.
// Each one lists the containers (garden or runc processes), walks /proc,
// asks BBS and monit: on two cores, twenty-five plan loops at once made the
// sequestration's CPU-bound steps (isolation, evidence, prune) two to
// seven times slower in the load test, and the whole of it up to 1.6 times
// slower on a busy machine. A sick cell's cores go to the sequestration
// first: past the limit a read waits its turn, bounded by its client's
// deadline. Status is read from the journal in memory and a sequester
// never waits behind a plan.
const readLimit = 1

// limitReads wraps svc so that Inventory and Plan take turns.
func limitReads(svc agentapi.Service) agentapi.Service {
	return &readLimited{Service: svc, turns: make(chan struct{}, readLimit)}
}

type readLimited struct {
	agentapi.Service
	turns chan struct{}
}

func (r *readLimited) turn(ctx context.Context) (func(), error) {
	select {
	case r.turns <- struct{}{}:
		return func() { <-r.turns }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waited for other inventories and plans until the request ended: %w", ctx.Err())
	}
}

func (r *readLimited) Inventory(ctx context.Context) (agentapi.Inventory, error) {
	done, err := r.turn(ctx)
	if err != nil {
		return agentapi.Inventory{}, err
	}
	defer done()
	return r.Service.Inventory(ctx)
}

func (r *readLimited) Plan(ctx context.Context, req agentapi.SequesterRequest) (agentapi.Plan, error) {
	done, err := r.turn(ctx)
	if err != nil {
		return agentapi.Plan{}, err
	}
	defer done()
	return r.Service.Plan(ctx, req)
}
