package releasetests

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/boshcli"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/jobrender"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/realpart"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := jobrender.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// boshCLI is the pinned bosh CLI (CI always has it: scripts/test builds it first).
func boshCLI(t *testing.T) string { return boshcli.Binary(t) }

func requireCommand(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		realpart.Require(t, name, fmt.Errorf("missing: scripts/test installs it"))
	}
}

func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func writeFile(path, content string, mode os.FileMode) error {
	return os.WriteFile(path, []byte(content), mode)
}
