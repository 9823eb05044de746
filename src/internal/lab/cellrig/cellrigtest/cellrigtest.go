// Package cellrigtest builds a cellrig cell for a test.
package cellrigtest

import (
	"testing"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/cellrig"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/realpart"
)

// Start builds a rig in a temp dir for the test and closes it at cleanup.
// It skips the test (fails it under CI) when the machine cannot host one.
func Start(t testing.TB, logger lager.Logger, opts cellrig.Options) *cellrig.Rig {
	t.Helper()
	realpart.Require(t, "a real cell", cellrig.Available())
	r, err := cellrig.New(t.TempDir(), logger, opts)
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
