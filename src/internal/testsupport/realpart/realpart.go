// Package realpart decides, in one place, what a test does when a real part
// it drives (root, runc, monit, runit, iptables, the bosh CLI, ...) is
// missing: on a developer's machine it skips, saying what is missing; when
// the environment variable CI is set it fails, because there a skip would
// hide that nothing ran.
package realpart

import (
	"os"
	"testing"
)

// Require skips (or, under CI, fails) t when missing is not nil; what
// names the test's need, e.g. "real runc containers".
func Require(t testing.TB, what string, missing error) {
	t.Helper()
	if missing == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s: %v (CI is set: a real-part test must run, not skip)", what, missing)
		return
	}
	t.Skipf("%s: %v", what, missing)
}
