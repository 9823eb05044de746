// Package gardenrunctest starts a gardenrunc fixture for a test.
package gardenrunctest

import (
	"testing"

	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/realpart"
)

// Start starts garden on a socket in a temp dir and removes everything at
// cleanup. Without root, runc or busybox-static it skips the test (fails
// it under CI); it fails it on other errors.
func Start(t testing.TB, opts gardenrunc.Options) *gardenrunc.Fixture {
	t.Helper()
	realpart.Require(t, "gardenrunc fixture", gardenrunc.Available())
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	f, err := gardenrunc.New(opts.Dir, opts)
	if err != nil {
		t.Fatalf("start gardenrunc fixture: %v", err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Errorf("clean up gardenrunc fixture: %v", err)
		}
	})
	return f
}
