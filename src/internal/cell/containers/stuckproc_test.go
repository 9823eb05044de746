package containers_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/procfs"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc/gardenrunctest"
)

// A process whose environ read blocks (as one stuck in D state with its
// memory lock held does; here a FIFO nobody writes to, in a proc root of
// the test's own) must not stall the listing of real runc containers: the
// read is abandoned at its deadline and the container is listed without
// what its environment would have told.
func TestListingIsNotStalledByAProcessWhoseEnvironReadBlocks(t *testing.T) {
	f := gardenrunctest.Start(t, gardenrunc.Options{})
	hs, err := f.Create(gardenrunc.Spec{AppGUID: "app-stuck"})
	if err != nil {
		t.Fatal(err)
	}
	procRoot := t.TempDir()
	dir := filepath.Join(procRoot, "4242")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cgroup"), []byte("7:pids:/garden/"+hs[0]+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	environ := filepath.Join(dir, "environ")
	if err := syscall.Mkfifo(environ, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Let the abandoned read go.
		if w, err := os.OpenFile(environ, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
	})
	r := containers.NewRunc(testLogger(t, nil), containers.RuncConfig{Root: f.RuncRoot(), ProcRoot: procRoot})
	// A bound against a hanging test, not a timing assertion.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, attempt := range []string{"first listing waits for the deadline", "second listing skips the stuck process"} {
		t.Run(attempt, func(t *testing.T) {
			cs, err := r.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) != 1 || cs[0].Handle != hs[0] || len(cs[0].Pids) != 1 || cs[0].Pids[0] != 4242 {
				t.Fatalf("listed %+v", cs)
			}
			if cs[0].ProcessGUID != "" {
				t.Fatalf("an environment that could not be read named process guid %q", cs[0].ProcessGUID)
			}
			stuck := false
			for _, d := range procfs.DefaultBoundedReader.Stuck() {
				stuck = stuck || d == dir
			}
			if !stuck {
				t.Fatalf("%s is not marked stuck: %v", dir, procfs.DefaultBoundedReader.Stuck())
			}
		})
	}
}
