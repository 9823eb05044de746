package realpart_test

import (
	"errors"
	"testing"

	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/realpart"
)

// recorder is a testing.TB that records whether it skipped or failed.
type recorder struct {
	testing.TB
	skipped, failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Skipf(string, ...any)  { r.skipped = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }

func TestAMissingPartSkipsOnADeveloperMachineAndFailsUnderCI(t *testing.T) {
	cases := []struct {
		name          string
		ci            string
		missing       error
		skip, failure bool
	}{
		{name: "nothing missing: the test runs", ci: "true", missing: nil},
		{name: "missing on a developer machine: skip", ci: "", missing: errors.New("runc is not installed"), skip: true},
		{name: "missing under CI: fail", ci: "true", missing: errors.New("runc is not installed"), failure: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("CI", c.ci)
			r := &recorder{TB: t}
			realpart.Require(r, "real containers", c.missing)
			if r.skipped != c.skip || r.failed != c.failure {
				t.Fatalf("skipped %v failed %v; want %v %v", r.skipped, r.failed, c.skip, c.failure)
			}
		})
	}
}
