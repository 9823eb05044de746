// Package runitd is the testing.TB side of internal/lab/runitd: it starts
// a real runsvdir for a test and tears it down at cleanup. Missing runit
// skips the test, and fails it when CI is set.
package runitd

import (
	"os"
	"os/exec"
	"testing"

	lab "github.com/cloudfoundry-community/cell-sequestration/internal/lab/runitd"
)

// Daemon is the lab package's running runsvdir.
type Daemon = lab.Daemon

// Start creates the service with the given run script body (a /bin/sh
// script; exec the program so runsv supervises it directly), starts
// runsvdir and waits until `sv status` reports the service up.
func Start(t testing.TB, name, runScript string) *Daemon {
	t.Helper()
	for _, bin := range []string{"runsvdir", "sv"} {
		if _, err := exec.LookPath(bin); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed: scripts/install-test-deps installs runit", bin)
			}
			t.Skipf("%s is not installed", bin)
		}
	}
	d, err := lab.New(t.TempDir(), name, runScript)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}
