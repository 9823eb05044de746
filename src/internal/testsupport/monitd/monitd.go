// Package monitd is the testing.TB side of internal/lab/monitd: it starts
// a real monit for a test, tears it down at cleanup, and runs a test
// against every monit the agent meets (the stemcell's 5.2.5 and Debian's
// 5.33). A missing monit skips the test, and fails it when CI is set.
package monitd

import (
	"os"
	"os/exec"
	"testing"

	lab "github.com/cloudfoundry-community/cell-sequestration/internal/lab/monitd"
)

// The lab package's types and helpers, so a test needs one import.
type (
	Service = lab.Service
	Daemon  = lab.Daemon
)

var (
	Background  = lab.Background
	KillTERM    = lab.KillTERM
	PidFromFile = lab.PidFromFile
	Alive       = lab.Alive
	// BinaryVersion is what `monit -V` says a binary is.
	BinaryVersion = lab.BinaryVersion
)

// Version is one monit the agent meets on a cell.
type Version struct {
	// Name reads well in a subtest name.
	Name string
	// Binary is its executable; empty when it is not on this machine.
	Binary string
	// Missing says how to get it.
	Missing string
}

// Stemcell is the monit of BOSH stemcells, built by scripts/install-monit-525.
func Stemcell() Version {
	return Version{Name: "monit-5.2.5-stemcell", Binary: lab.StemcellBinary(),
		Missing: "monit 5.2.5 is not built: run scripts/install-monit-525 (scripts/test does) or set " + lab.EnvStemcellMonit}
}

// Debian is Debian's packaged monit (5.33).
func Debian() Version {
	p, _ := exec.LookPath("monit")
	return Version{Name: "monit-5.33-debian", Binary: p, Missing: "monit is not installed: scripts/install-test-deps installs it"}
}

// Versions are every monit the tests run against.
func Versions() []Version { return []Version{Stemcell(), Debian()} }

// Require skips the test when v is missing, or fails it when CI is set.
func (v Version) Require(t testing.TB) {
	t.Helper()
	if v.Binary != "" {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal(v.Missing)
	}
	t.Skip(v.Missing)
}

// ForEachVersion runs f as one subtest per monit version.
func ForEachVersion(t *testing.T, f func(t *testing.T, v Version)) {
	t.Helper()
	for _, v := range Versions() {
		v := v
		t.Run(v.Name, func(t *testing.T) {
			v.Require(t)
			f(t, v)
		})
	}
}

// Start runs Debian's monit for the test (see StartVersion).
func Start(t testing.TB, services ...Service) *Daemon {
	t.Helper()
	return StartVersion(t, Debian(), services...)
}

// StartVersion writes a monitrc for services, starts monit v and waits
// until its HTTP interface answers and every service runs. Cleanup stops
// monit and SIGKILLs the services' processes.
func StartVersion(t testing.TB, v Version, services ...Service) *Daemon {
	t.Helper()
	v.Require(t)
	d, err := lab.NewWith(t.TempDir(), lab.Options{Binary: v.Binary}, services...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}
