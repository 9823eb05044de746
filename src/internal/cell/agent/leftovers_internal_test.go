package agent

import (
	"context"
	"strings"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/journal"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc/gardenrunctest"
)

// A container pruned through runc is gone, with leftovers garden must
// free; it is not a prune failure, which means a container that may still
// take work.
func TestAContainerPrunedWithLeftoversIsPrunedNotAFailure(t *testing.T) {
	f := gardenrunctest.Start(t, gardenrunc.Options{})
	hs, err := f.CreateN(2, gardenrunc.Spec{AppGUID: "app"})
	if err != nil {
		t.Fatal(err)
	}
	logger := lager.NewLogger("test")
	r := containers.NewRunc(logger, containers.RuncConfig{Root: f.RuncRoot(), DepotPath: f.DepotPath()})
	j, err := journal.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Deps{
		CellID:       "cell-1",
		Logger:       logger,
		Journal:      j,
		Backend:      func(context.Context) (containers.Backend, error) { return r, nil },
		RouteEmitter: stopperFunc(func(context.Context) (string, error) { return "", nil }),
		Rep:          stopperFunc(func(context.Context) (string, error) { return "", nil }),
		BoshAgent:    stopperFunc(func(context.Context) (string, error) { return "", nil }),
		Isolator: isolatorFunc(func(context.Context, []agentapi.Container, IsolationOptions) (string, error) {
			return "", nil
		}),
		Evidence: noEvidence{},
		SSH:      sshReady{},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	cs, err := r.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byH := map[string]agentapi.Container{}
	for _, c := range cs {
		byH[c.Handle] = c
	}
	st := journal.NewState("cell-1", agentapi.SequesterRequest{OperationID: "op-1"}, nil, time.Now())
	st.Keep = []agentapi.Container{byH[hs[1]]}
	st.Prune = []agentapi.Container{byH[hs[0]]}
	if _, err := a.pruneContainers(ctx, logger, &st); err != nil {
		t.Fatalf("prune: %v", err)
	}
	if len(st.Status.Pruned) != 1 || st.Status.Pruned[0] != hs[0] {
		t.Fatalf("pruned = %v, want [%s]", st.Status.Pruned, hs[0])
	}
	if len(st.Status.PruneFailures) != 0 {
		t.Fatalf("prune_failures = %v; a pruned container is not a failure", st.Status.PruneFailures)
	}
	if left := strings.Join(st.Status.PruneLeftovers[hs[0]], "; "); !strings.Contains(left, "garden") {
		t.Fatalf("prune_leftovers = %v; want what garden must still free for %s", st.Status.PruneLeftovers, hs[0])
	}
}
