package cellrig

import (
	"testing"

	"code.cloudfoundry.org/lager/v3"
)

// Start builds a rig in a temp dir for the test and closes it at cleanup.
// It skips the test when the machine cannot host a rig.
func Start(t testing.TB, logger lager.Logger, opts Options) *Rig {
	t.Helper()
	if err := Available(); err != nil {
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
