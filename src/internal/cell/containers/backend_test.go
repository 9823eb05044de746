package containers_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc/gardenrunctest"
)

func byHandle(cs []agentapi.Container) map[string]agentapi.Container {
	m := map[string]agentapi.Container{}
	for _, c := range cs {
		m[c.Handle] = c
	}
	return m
}

func backends(t *testing.T, f *gardenrunc.Fixture) (*containers.Garden, *containers.Runc) {
	logger := testLogger(t, nil)
	r := containers.NewRunc(logger, containers.RuncConfig{Root: f.RuncRoot(), DepotPath: f.DepotPath()})
	g := containers.NewGarden(logger, containers.GardenConfig{Socket: f.Socket(), PingTimeout: time.Second, Freezer: r})
	return g, r
}

func TestBackendsListTheSameContainersWithTheirApps(t *testing.T) {
	f := gardenrunctest.Start(t, gardenrunc.Options{})
	hs, err := f.Create(
		gardenrunc.Spec{AppGUID: "app-a", AppVersion: "v1", Index: 1, Ports: []int{8080, 2222}, IP: "10.255.0.2"},
		gardenrunc.Spec{},
	)
	if err != nil {
		t.Fatal(err)
	}
	g, r := backends(t, f)
	ctx := context.Background()

	for _, b := range []containers.Backend{g, r} {
		t.Run(b.Name(), func(t *testing.T) {
			cs, err := b.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			m := byHandle(cs)
			if len(m) != 2 {
				t.Fatalf("listed %d containers, want 2: %+v", len(m), cs)
			}
			app := m[hs[0]]
			if app.Source != b.Name() || app.State != containers.StateRunning {
				t.Fatalf("source/state = %s/%s", app.Source, app.State)
			}
			if app.AppGUID != "app-a" || app.ProcessGUID != "app-a-v1" || app.InstanceGUID != hs[0] || app.Index == nil || *app.Index != 1 {
				t.Fatalf("app fields = %+v", app)
			}
			if len(app.Pids) != 1 || app.Pids[0] != f.Pid(hs[0]) {
				t.Fatalf("pids = %v, want [%d]", app.Pids, f.Pid(hs[0]))
			}
			if b.Name() == containers.BackendGarden {
				if app.IP != "10.255.0.2" || len(app.Ports) != 2 || app.Properties[containers.PropertyOwner] != "executor" {
					t.Fatalf("garden fields = %+v", app)
				}
			}
			if plain := m[hs[1]]; plain.AppGUID != "" || len(plain.Pids) != 1 {
				t.Fatalf("container without an app = %+v", plain)
			}
		})
	}
}

func TestGardenDestroyRemovesTheContainerAndIsSafeToRepeat(t *testing.T) {
	f := gardenrunctest.Start(t, gardenrunc.Options{})
	hs, err := f.CreateN(2, gardenrunc.Spec{AppGUID: "app"})
	if err != nil {
		t.Fatal(err)
	}
	g, _ := backends(t, f)
	ctx := context.Background()
	pid := f.Pid(hs[0])
	left, err := g.Destroy(ctx, hs[0])
	if err != nil || len(left) != 0 {
		t.Fatalf("Destroy = %v, %v", left, err)
	}
	if alive(pid) {
		t.Fatalf("process %d of destroyed container still runs", pid)
	}
	if _, err := g.Destroy(ctx, hs[0]); err != nil {
		t.Fatalf("destroying a gone container again: %v", err)
	}
	cs, err := g.List(ctx)
	if err != nil || len(cs) != 1 || cs[0].Handle != hs[1] {
		t.Fatalf("after destroy List = %+v, %v", cs, err)
	}
	if _, err := g.Destroy(ctx, "../etc"); err == nil {
		t.Fatal("Destroy accepted a path as a handle")
	}
}

func TestRuncDestroyCleansDepotAndCgroupsAndNamesLeftovers(t *testing.T) {
	f := gardenrunctest.Start(t, gardenrunc.Options{})
	hs, err := f.Create(gardenrunc.Spec{AppGUID: "app"})
	if err != nil {
		t.Fatal(err)
	}
	_, r := backends(t, f)
	ctx := context.Background()
	h := hs[0]
	freezerDir := "/sys/fs/cgroup/freezer/garden/" + h
	if _, err := os.Stat(freezerDir); err != nil {
		t.Fatalf("container has no freezer cgroup %s: %v", freezerDir, err)
	}
	left, err := r.Destroy(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Runc("state", h); err == nil {
		t.Fatal("runc still knows the container")
	}
	if _, err := os.Stat(filepath.Join(f.DepotPath(), h)); !os.IsNotExist(err) {
		t.Fatalf("depot directory remains: %v", err)
	}
	if _, err := os.Stat(freezerDir); !os.IsNotExist(err) {
		t.Fatalf("cgroup remains: %v", err)
	}
	joined := strings.Join(left, "\n")
	if !strings.Contains(joined, "network") || !strings.Contains(joined, "garden") {
		t.Fatalf("leftovers do not name networking and garden's record: %q", left)
	}
	// Garden never heard of it: its record is one of the leftovers.
	g, _ := backends(t, f)
	cs, err := g.List(ctx)
	if err != nil || len(cs) != 1 || cs[0].State != containers.StateStopped {
		t.Fatalf("garden after a runc delete lists %+v, %v; want the handle, stopped", cs, err)
	}
	if _, err := r.Destroy(ctx, h); err != nil {
		t.Fatalf("destroying a gone container again: %v", err)
	}
}

func TestFreezeMakesTheContainerPausedAndFrozen(t *testing.T) {
	f := gardenrunctest.Start(t, gardenrunc.Options{})
	hs, err := f.Create(gardenrunc.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	g, r := backends(t, f)
	ctx := context.Background()
	if err := g.Freeze(ctx, hs[0]); err != nil {
		t.Fatal(err)
	}
	frozen, err := containers.Frozen("", "", f.Pid(hs[0]))
	if err != nil || !frozen {
		t.Fatalf("Frozen = %v, %v", frozen, err)
	}
	for _, b := range []containers.Backend{g, r} {
		cs, err := b.List(ctx)
		if err != nil || len(cs) != 1 || cs[0].State != containers.StatePaused || !cs[0].FrozenByUs {
			t.Fatalf("%s lists %+v, %v; want paused", b.Name(), cs, err)
		}
	}
	if err := r.Freeze(ctx, hs[0]); err != nil {
		t.Fatalf("freezing a frozen container again: %v", err)
	}
	// A frozen container must still be destroyable.
	if _, err := r.Destroy(ctx, hs[0]); err != nil {
		t.Fatalf("destroy frozen container: %v", err)
	}
}

func TestSelectPrefersGardenAndFallsBackToRuncWhenWedged(t *testing.T) {
	f := gardenrunctest.Start(t, gardenrunc.Options{})
	if _, err := f.Create(gardenrunc.Spec{}); err != nil {
		t.Fatal(err)
	}
	g, r := backends(t, f)
	var logs syncBuffer
	logger := testLogger(t, &logs)
	ctx := context.Background()

	b, err := containers.Select(ctx, logger, g, r)
	if err != nil || b.Name() != containers.BackendGarden {
		t.Fatalf("Select with garden answering = %v, %v", b, err)
	}
	if err := f.Wedge(); err != nil {
		t.Fatal(err)
	}
	b, err = containers.Select(ctx, logger, g, r)
	if err != nil || b.Name() != containers.BackendRunc {
		t.Fatalf("Select with garden wedged = %v, %v", b, err)
	}
	if !strings.Contains(logs.String(), `"backend":"runc"`) {
		t.Fatalf("the selection of runc was not logged: %s", logs.String())
	}
	cs, err := b.List(ctx)
	if err != nil || len(cs) != 1 {
		t.Fatalf("runc fallback lists %+v, %v", cs, err)
	}
	if _, err := containers.Select(ctx, logger, g, nil); err == nil {
		t.Fatal("Select without a fallback accepted a wedged garden")
	}
	if err := f.Unwedge(); err != nil {
		t.Fatal(err)
	}
	b, err = containers.Select(ctx, logger, g, r)
	if err != nil || b.Name() != containers.BackendGarden {
		t.Fatalf("Select after unwedge = %v, %v", b, err)
	}
}

func TestGardenListGivesUpOnAWedgedGardenWhenTheContextEnds(t *testing.T) {
	f := gardenrunctest.Start(t, gardenrunc.Options{Wedged: true})
	g, _ := backends(t, f)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := g.List(ctx); err == nil {
		t.Fatal("List on a wedged garden succeeded")
	}
}

// syncBuffer collects log lines written from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testLogger(t *testing.T, w io.Writer) lager.Logger {
	l := lager.NewLogger("test")
	if w != nil {
		l.RegisterSink(lager.NewWriterSink(w, lager.DEBUG))
	}
	return l
}

// alive tells a running process from a gone or zombie one; pid 1 here
// reaps orphans lazily, so a killed container's init may linger as Z.
func alive(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i > 0 && i+2 < len(b) && b[i+2] != 'Z' && b[i+2] != 'X'
}
