package prune_test

import (
	"context"
	"strings"
	"testing"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/dstate"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/isolation"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/keep"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/prune"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc/gardenrunctest"
)

// The container half of a sequestration as the agent runs it: inventory,
// keep, isolate and freeze the kept, prune the rest.
func TestKeptAppSurvivesIsolatedAndFrozenWhileTheRestIsPruned(t *testing.T) {
	f := gardenrunctest.Start(t, gardenrunc.Options{})
	_, err := f.Create(
		gardenrunc.Spec{AppGUID: "app-a", AppVersion: "v1", Index: 0, Ports: []int{8080}},
		gardenrunc.Spec{AppGUID: "app-a", AppVersion: "v1", Index: 1, Ports: []int{8080}},
		gardenrunc.Spec{AppGUID: "app-b", Index: 0},
		gardenrunc.Spec{AppGUID: "app-b", Index: 1},
		gardenrunc.Spec{},
	)
	if err != nil {
		t.Fatal(err)
	}
	logger := lager.NewLogger("test")
	ctx := context.Background()
	r := containers.NewRunc(logger, containers.RuncConfig{Root: f.RuncRoot(), DepotPath: f.DepotPath()})
	g := containers.NewGarden(logger, containers.GardenConfig{Socket: f.Socket(), Freezer: r})
	b, err := containers.Select(ctx, logger, g, r)
	if err != nil || b.Name() != containers.BackendGarden {
		t.Fatalf("Select = %v, %v", b, err)
	}

	inventory, err := b.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The agent froze what it keeps (isolation below), and says so.
	frozeKept := map[string]bool{}
	scanner := dstate.New(logger, dstate.Config{FrozenByAgent: func(h string) bool { return frozeKept[h] }})
	defer scanner.Close()
	report, err := scanner.Poll()
	if err != nil {
		t.Fatal(err)
	}
	report.Annotate(inventory)

	sel, err := keep.Resolve(agentapi.Keep{AppGUIDs: []string{"app-a"}}, inventory)
	if err != nil {
		t.Fatal(err)
	}
	if len(sel.Keep) != 2 || len(sel.Prune) != 3 {
		t.Fatalf("keep %v prune %v", sel.KeepHandles(), sel.PruneHandles())
	}

	iso, err := isolation.New(logger, b, isolation.Options{AllowCIDRs: []string{"10.0.0.0/8"}, Freeze: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range sel.Keep {
		frozeKept[c.Handle] = true
		if _, err := iso.Isolate(ctx, c); err != nil {
			t.Fatal(err)
		}
	}

	res := prune.Run(ctx, logger, b, sel.PruneHandles(), prune.Options{Keep: sel.KeepHandles()})
	if len(res.Failures) != 0 || len(res.KeptProblems) != 0 || strings.Join(res.Pruned, ",") != strings.Join(sel.PruneHandles(), ",") {
		t.Fatalf("prune = %+v", res)
	}

	after, err := b.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != 2 {
		t.Fatalf("after prune garden lists %d containers, want the 2 kept", len(after))
	}
	for _, c := range after {
		if c.AppGUID != "app-a" || c.State != containers.StatePaused {
			t.Fatalf("survivor %+v; want app-a, paused", c)
		}
		if err := iso.Verify(ctx, c); err != nil {
			t.Fatalf("isolation of %s not in force: %v", c.Handle, err)
		}
	}
	// Their frozen processes read D, and still accuse nobody.
	report, err = scanner.Poll()
	if err != nil {
		t.Fatal(err)
	}
	report.Annotate(after)
	for _, c := range after {
		if c.Suspect || !c.FrozenByUs || len(c.DState) == 0 {
			t.Fatalf("frozen survivor %s: suspect %v frozen %v d-state %v", c.Handle, c.Suspect, c.FrozenByUs, c.DState)
		}
	}
}
