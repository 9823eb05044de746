package containers_test

import (
	"context"
	"testing"

	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc/gardenrunctest"
)

// A prune deletes containers while operators ask for the plan: listing
// through runc must not fail because one vanished mid-list.
func TestRuncListsWhileContainersAreDeleted(t *testing.T) {
	f := gardenrunctest.Start(t, gardenrunc.Options{})
	hs, err := f.CreateN(16, gardenrunc.Spec{AppGUID: "app"})
	if err != nil {
		t.Fatal(err)
	}
	_, r := backends(t, f)
	ctx, stop := context.WithCancel(context.Background())
	deleted := make(chan error, 1)
	go func() {
		defer stop()
		for _, h := range hs {
			if _, err := r.Destroy(context.Background(), h); err != nil {
				deleted <- err
				return
			}
		}
		deleted <- nil
	}()
	lists := 0
	for ctx.Err() == nil {
		if _, err := r.States(context.Background()); err != nil {
			t.Fatalf("runc list failed while containers were deleted (after %d lists): %v", lists, err)
		}
		lists++
	}
	if err := <-deleted; err != nil {
		t.Fatal(err)
	}
	t.Logf("%d lists while %d containers were deleted", lists, len(hs))
}
