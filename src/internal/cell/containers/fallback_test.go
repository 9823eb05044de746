package containers_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc/gardenrunctest"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/hangs"
)

// Each case makes garden (and maybe runc) hang or fail on one container,
// destroys it and a healthy one through the fallback backend, and checks
// which path each took and that every call came back.
func TestGardenWithRuncFallbackTakesRuncWhenGardenHangs(t *testing.T) {
	cases := []struct {
		name string
		// setup breaks things for the sick container h.
		setup func(t *testing.T, f *gardenrunc.Fixture, h string) (runcBinary string)
		// gone says whether the sick container must be gone afterwards.
		gone     bool
		wantErr  error
		errText  string
		fallback string
	}{
		{
			name: "garden's destroy never returns: runc destroys the container",
			setup: func(t *testing.T, f *gardenrunc.Fixture, h string) string {
				f.HangDestroy(h)
				return "runc"
			},
			gone:     true,
			fallback: "garden's destroy did not return within 5s; destroyed through runc",
		},
		{
			name: "garden's destroy never returns and runc hangs on the frozen container: abandoned at runc's deadline",
			setup: func(t *testing.T, f *gardenrunc.Fixture, h string) string {
				f.HangDestroy(h)
				// A frozen container is left to runc to kill, and runc
				// blocks on it as on a freezer stuck in FREEZING.
				if err := f.Pause(h); err != nil {
					t.Fatal(err)
				}
				w, err := hangs.RuncWrapper(t.TempDir(), "runc", h, hangs.RuncHang)
				if err != nil {
					t.Fatal(err)
				}
				return w
			},
			wantErr:  containers.ErrAbandoned,
			fallback: "runc failed too",
		},
		{
			name: "garden's destroy never returns and runc fails on the container: the error says both",
			setup: func(t *testing.T, f *gardenrunc.Fixture, h string) string {
				f.HangDestroy(h)
				if err := f.Pause(h); err != nil {
					t.Fatal(err)
				}
				w, err := hangs.RuncWrapper(t.TempDir(), "runc", h, hangs.RuncFail)
				if err != nil {
					t.Fatal(err)
				}
				return w
			},
			errText:  "operation failed (stand-in)",
			fallback: "runc failed too",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := gardenrunctest.Start(t, gardenrunc.Options{})
			hs, err := f.Create(gardenrunc.Spec{AppGUID: "sick"}, gardenrunc.Spec{AppGUID: "healthy"})
			if err != nil {
				t.Fatal(err)
			}
			sick, healthy := hs[0], hs[1]
			runc := tc.setup(t, f, sick)
			logger := testLogger(t, nil)
			r := containers.NewRunc(logger, containers.RuncConfig{Binary: runc, Root: f.RuncRoot(), DepotPath: f.DepotPath()})
			g := containers.NewGarden(logger, containers.GardenConfig{Socket: f.Socket(), PingTimeout: time.Second})
			// Garden's deadline leaves a healthy destroy room on a loaded
			// machine; the sick container's destroy never returns at all.
			b := containers.NewGardenWithRuncFallback(logger, g, r, 5*time.Second, 2*time.Second)
			// A bound against a hanging test, not a timing assertion.
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()

			if _, err := b.Destroy(ctx, healthy); err != nil {
				t.Fatalf("healthy container: %v", err)
			}
			left, err := b.Destroy(ctx, sick)
			switch {
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Fatalf("sick container: err = %v, want %v", err, tc.wantErr)
			case tc.errText != "" && (err == nil || !strings.Contains(err.Error(), tc.errText)):
				t.Fatalf("sick container: err = %v, want it to say %q", err, tc.errText)
			case tc.gone && err != nil:
				t.Fatalf("sick container: %v", err)
			}
			if tc.gone && !strings.Contains(strings.Join(left, "\n"), "garden: its own record") {
				t.Errorf("leftovers of the runc fallback do not name garden's record: %v", left)
			}
			fb := b.Fallbacks()
			if !strings.Contains(fb[sick], tc.fallback) {
				t.Errorf("fallback of the sick container = %q, want it to say %q", fb[sick], tc.fallback)
			}
			if _, ok := fb[healthy]; ok {
				t.Errorf("the healthy container went through the fallback: %q", fb[healthy])
			}
			states, err := containers.NewRunc(logger, containers.RuncConfig{Root: f.RuncRoot()}).States(ctx)
			if err != nil {
				t.Fatal(err)
			}
			listed := map[string]bool{}
			for _, s := range states {
				listed[s.ID] = true
			}
			if listed[healthy] {
				t.Error("the healthy container is still in runc's list")
			}
			if listed[sick] == tc.gone {
				t.Errorf("sick container in runc's list = %v, want %v", listed[sick], !tc.gone)
			}
		})
	}
}

// Garden wedges after the backend was chosen: the listing a prune needs
// comes from runc once garden's deadline passes.
func TestGardenWithRuncFallbackListsThroughRuncWhenGardenWedges(t *testing.T) {
	f := gardenrunctest.Start(t, gardenrunc.Options{})
	hs, err := f.Create(gardenrunc.Spec{AppGUID: "app-a"})
	if err != nil {
		t.Fatal(err)
	}
	logger := testLogger(t, nil)
	r := containers.NewRunc(logger, containers.RuncConfig{Root: f.RuncRoot(), DepotPath: f.DepotPath()})
	g := containers.NewGarden(logger, containers.GardenConfig{Socket: f.Socket(), PingTimeout: time.Second})
	b := containers.NewGardenWithRuncFallback(logger, g, r, time.Second, 5*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, tc := range []struct {
		name   string
		wedge  bool
		source string
	}{
		{"garden answers: garden lists", false, containers.BackendGarden},
		{"garden wedged: runc lists", true, containers.BackendRunc},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.wedge {
				if err := f.Wedge(); err != nil {
					t.Fatal(err)
				}
			}
			cs, err := b.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) != 1 || cs[0].Handle != hs[0] || cs[0].Source != tc.source {
				t.Fatalf("listed %+v, want %s from %s", cs, hs[0], tc.source)
			}
		})
	}
}

// runc hangs on (or fails for) a running container: the freeze goes to the
// kernel's freezer through the container's cgroup and the container is
// frozen all the same.
func TestBoundedRuncFreezesThroughTheCgroupWhenRuncDoesNot(t *testing.T) {
	for _, mode := range []string{hangs.RuncHang, hangs.RuncFail} {
		t.Run("runc "+mode+"s", func(t *testing.T) {
			f := gardenrunctest.Start(t, gardenrunc.Options{})
			hs, err := f.Create(gardenrunc.Spec{AppGUID: "app-a"})
			if err != nil {
				t.Fatal(err)
			}
			w, err := hangs.RuncWrapper(t.TempDir(), "runc", hs[0], mode)
			if err != nil {
				t.Fatal(err)
			}
			r := containers.NewRunc(testLogger(t, nil), containers.RuncConfig{Binary: w, Root: f.RuncRoot()})
			b := containers.NewBoundedRunc(r, 2*time.Second)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := b.Freeze(ctx, hs[0]); err != nil {
				t.Fatal(err)
			}
			frozen, err := containers.Frozen("", "", f.Pid(hs[0]))
			if err != nil || !frozen {
				t.Fatalf("frozen = %v, %v", frozen, err)
			}
		})
	}
}
