package prune_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/prune"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc/gardenrunctest"
)

// killOnly is garden whose destroy only kills the container's processes
// and says it succeeded: garden still lists the handle, stopped.
type killOnly struct {
	containers.Backend
	f *gardenrunc.Fixture
}

func (k killOnly) Destroy(_ context.Context, h string) ([]string, error) {
	if _, err := k.f.Runc("kill", "--", h, "KILL"); err != nil {
		return nil, err
	}
	for i := 0; i < 500; i++ {
		if out, err := k.f.Runc("state", "--", h); err == nil && strings.Contains(string(out), `"stopped"`) {
			return nil, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil, nil
}

// Pruned means gone: a container still listed, even stopped, keeps its
// record, its network and its image, and a restarted garden or rep may
// bring it back. It is a failure, not a pruned container.
func TestAContainerStillListedAsStoppedIsNotPruned(t *testing.T) {
	f := gardenrunctest.Start(t, gardenrunc.Options{})
	hs, err := f.CreateN(2, gardenrunc.Spec{AppGUID: "app"})
	if err != nil {
		t.Fatal(err)
	}
	logger := lager.NewLogger("test")
	g := containers.NewGarden(logger, containers.GardenConfig{Socket: f.Socket()})
	res := prune.Run(context.Background(), logger, killOnly{g, f}, hs[:1], prune.Options{Keep: hs[1:]})
	if len(res.Pruned) != 0 {
		t.Fatalf("pruned = %v; a container garden still lists is not gone", res.Pruned)
	}
	if why := res.Failures[hs[0]]; !strings.Contains(why, "still listed") || !strings.Contains(why, containers.StateStopped) {
		t.Fatalf("failures = %v; want %s named as still listed, stopped", res.Failures, hs[0])
	}
}
