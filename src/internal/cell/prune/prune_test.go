package prune_test

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/prune"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc/gardenrunctest"
)

func TestPruneDestroysAllButTheKeptOnRealContainers(t *testing.T) {
	f := gardenrunctest.Start(t, gardenrunc.Options{})
	hs, err := f.CreateN(8, gardenrunc.Spec{AppGUID: "app"})
	if err != nil {
		t.Fatal(err)
	}
	logger := lager.NewLogger("test")
	r := containers.NewRunc(logger, containers.RuncConfig{Root: f.RuncRoot(), DepotPath: f.DepotPath()})
	g := containers.NewGarden(logger, containers.GardenConfig{Socket: f.Socket()})
	ctx := context.Background()

	for _, tc := range []struct {
		name    string
		backend containers.Backend
		keep    []string
		prune   []string
	}{
		// The kept handle is also in the prune list: it must be refused.
		{"garden", g, hs[:1], hs[:4]},
		{"runc", r, hs[4:5], hs[4:]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			asked := append(append([]string{}, tc.prune...), "../escape")
			res := prune.Run(ctx, logger, tc.backend, asked, prune.Options{Workers: 2, Keep: tc.keep})
			want := tc.prune[1:]
			if strings.Join(res.Pruned, ",") != strings.Join(sorted(want), ",") {
				t.Fatalf("pruned %v, want %v (failures %v)", res.Pruned, want, res.Failures)
			}
			if !strings.Contains(res.Failures[tc.keep[0]], "kept") || !strings.Contains(res.Failures["../escape"], "slash") || len(res.Failures) != 2 {
				t.Fatalf("failures = %v; want the kept handle and the path refused", res.Failures)
			}
			if len(res.KeptProblems) != 0 {
				t.Fatalf("kept problems: %v", res.KeptProblems)
			}
			if res.Durations.Count != len(want) || res.Durations.MaxSeconds <= 0 || res.Durations.P99Seconds > res.Durations.MaxSeconds {
				t.Fatalf("durations = %+v", res.Durations)
			}
			for _, h := range want {
				if _, err := f.Runc("state", h); err == nil {
					t.Fatalf("pruned %s still known to runc", h)
				}
			}
			if out, err := f.Runc("state", tc.keep[0]); err != nil || !strings.Contains(string(out), `"running"`) {
				t.Fatalf("kept %s: %s %v", tc.keep[0], out, err)
			}
			if tc.name == "runc" && len(res.Leftovers) != len(want) {
				t.Fatalf("runc prune reports leftovers for %d containers, want %d", len(res.Leftovers), len(want))
			}
		})
	}
}

func TestPruneReportsAKeptContainerThatDidNotSurvive(t *testing.T) {
	f := gardenrunctest.Start(t, gardenrunc.Options{})
	hs, err := f.CreateN(2, gardenrunc.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	logger := lager.NewLogger("test")
	r := containers.NewRunc(logger, containers.RuncConfig{Root: f.RuncRoot()})
	// Something else (a rep's cleanup) kills the kept container meanwhile.
	if _, err := f.Runc("delete", "--force", hs[0]); err != nil {
		t.Fatal(err)
	}
	res := prune.Run(context.Background(), logger, r, hs[1:], prune.Options{Keep: hs[:1]})
	if !strings.Contains(res.KeptProblems[hs[0]], "gone") {
		t.Fatalf("kept problems = %v; want %s reported gone", res.KeptProblems, hs[0])
	}
}

// countingBackend records how many destroys run at once.
type countingBackend struct {
	mu          sync.Mutex
	inFlight    int
	maxInFlight int
	destroyed   map[string]bool
	fail        map[string]error
	release     chan struct{}
	listed      []agentapi.Container
}

func (c *countingBackend) Name() string { return "counting" }
func (c *countingBackend) List(context.Context) ([]agentapi.Container, error) {
	return c.listed, nil
}
func (c *countingBackend) Freeze(context.Context, string) error { return nil }
func (c *countingBackend) Destroy(ctx context.Context, h string) ([]string, error) {
	c.mu.Lock()
	c.inFlight++
	if c.inFlight > c.maxInFlight {
		c.maxInFlight = c.inFlight
	}
	c.mu.Unlock()
	<-c.release
	c.mu.Lock()
	c.inFlight--
	c.destroyed[h] = true
	c.mu.Unlock()
	if err := c.fail[h]; err != nil {
		return nil, err
	}
	return nil, nil
}

func TestPruneRunsNoMoreDestroysAtOnceThanWorkers(t *testing.T) {
	for _, workers := range []int{1, 3, 16} {
		b := &countingBackend{destroyed: map[string]bool{}, release: make(chan struct{}), fail: map[string]error{"h7": errors.New("device busy")}}
		var hs []string
		for i := 0; i < 20; i++ {
			hs = append(hs, "h"+string(rune('a'+i)))
		}
		hs[7] = "h7"
		done := make(chan prune.Result)
		go func() {
			done <- prune.Run(context.Background(), lager.NewLogger("t"), b, hs, prune.Options{Workers: workers})
		}()
		// Release destroys one at a time: the pool must never exceed its bound.
		go func() {
			for range hs {
				b.release <- struct{}{}
			}
		}()
		var res prune.Result
		select {
		case res = <-done:
		case <-time.After(time.Minute):
			t.Fatal("prune did not finish")
		}
		if b.maxInFlight > workers || len(b.destroyed) != len(hs) {
			t.Fatalf("workers=%d: max in flight %d, destroyed %d of %d", workers, b.maxInFlight, len(b.destroyed), len(hs))
		}
		if len(res.Pruned) != 19 || res.Failures["h7"] != "device busy" {
			t.Fatalf("workers=%d: pruned %d, failures %v", workers, len(res.Pruned), res.Failures)
		}
	}
}

func TestPruneGivesUpOnHandlesNotStartedWhenCancelled(t *testing.T) {
	b := &countingBackend{destroyed: map[string]bool{}, release: make(chan struct{})}
	close(b.release)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := prune.Run(ctx, lager.NewLogger("t"), b, []string{"a", "b"}, prune.Options{Workers: 1})
	if len(res.Pruned) != 0 || !strings.Contains(res.Failures["a"], "not attempted") || !strings.Contains(res.Failures["b"], "not attempted") {
		t.Fatalf("cancelled prune = %+v", res)
	}
}

func sorted(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}
