package cellrig

import (
	"os"
	"testing"

	"code.cloudfoundry.org/lager/v3"
)

// Start builds a rig in a temp dir for the test and closes it at cleanup.
// It skips the test when the machine cannot host a rig, and fails it
// instead when CI is set.
func Start(t testing.TB, logger lager.Logger, opts Options) *Rig {
	t.Helper()
	if err := Available(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v (CI is set: not skipping)", err)
		}
		t.Skip(err)
	}
	r, err := New(t.TempDir(), logger, opts)
	if err != nil {
		t.Fatalf("build the cell: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("tear down the cell: %v", err)
		}
	})
	return r
}
