// Package boshcli finds the pinned bosh CLI binary for tests that drive the
// real CLI: $BOSH_BIN, else .cache/bin/bosh at the repository root, where
// scripts/install-bosh-cli builds it.
package boshcli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/jobrender"
)

// Binary is the bosh CLI's path. Without one the test skips, or fails when
// CI is set (CI builds the CLI before the tests).
func Binary(t testing.TB) string {
	t.Helper()
	p := os.Getenv("BOSH_BIN")
	if p == "" {
		root, err := jobrender.RepoRoot()
		if err != nil {
			t.Fatal(err)
		}
		p = filepath.Join(root, ".cache", "bin", "bosh")
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("bosh CLI missing at %s: scripts/install-bosh-cli builds it (or set BOSH_BIN)", p)
		}
		t.Skipf("bosh CLI missing at %s: run scripts/install-bosh-cli or set BOSH_BIN", p)
	}
	return p
}
