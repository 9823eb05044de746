package containers_test

import (
	"context"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc/gardenrunctest"
	"testing"
)

// A handle comes from the network and runc accepts ids that start with a
// dash; without "--" before it, runc reads such a handle as a flag and the
// container can never be destroyed.
func TestRuncReachesAContainerWhoseHandleLooksLikeAFlag(t *testing.T) {
	f := gardenrunctest.Start(t, gardenrunc.Options{})
	for _, handle := range []string{"-f", "--force-" + gardenrunc.NewGUID()[:8], "-h"} {
		t.Run(handle, func(t *testing.T) {
			if _, err := f.Create(gardenrunc.Spec{Handle: handle, AppGUID: "app"}); err != nil {
				t.Fatal(err)
			}
			_, r := backends(t, f)
			ctx := context.Background()
			st, err := r.State(ctx, handle)
			if err != nil || st.ID != handle || st.Status != "running" {
				t.Fatalf("State = %+v, %v; want %s running", st, err, handle)
			}
			if err := r.Freeze(ctx, handle); err != nil {
				t.Fatalf("Freeze: %v", err)
			}
			if _, err := r.Destroy(ctx, handle); err != nil {
				t.Fatalf("Destroy: %v", err)
			}
			if _, err := f.Runc("state", "--", handle); err == nil {
				t.Fatalf("runc still knows %s after Destroy", handle)
			}
			cs, err := r.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, listed := byHandle(cs)[handle]; listed {
				t.Fatalf("runc still lists %s after Destroy", handle)
			}
			if _, err := r.Destroy(ctx, handle); err != nil {
				t.Fatalf("destroying a gone %s again: %v", handle, err)
			}
		})
	}
}

func TestGardenDestroysAContainerWhoseHandleLooksLikeAFlag(t *testing.T) {
	f := gardenrunctest.Start(t, gardenrunc.Options{})
	handle := "-" + gardenrunc.NewGUID()
	if _, err := f.Create(gardenrunc.Spec{Handle: handle}); err != nil {
		t.Fatal(err)
	}
	g, _ := backends(t, f)
	ctx := context.Background()
	if _, err := g.Destroy(ctx, handle); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	cs, err := g.List(ctx)
	if err != nil || len(cs) != 0 {
		t.Fatalf("garden lists %+v, %v after Destroy; want nothing", cs, err)
	}
	if _, err := f.Runc("state", "--", handle); err == nil {
		t.Fatalf("runc still knows %s after garden's Destroy", handle)
	}
}
