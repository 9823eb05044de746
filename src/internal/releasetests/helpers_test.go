package releasetests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

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

// boshCLI finds the pinned bosh CLI scripts/install-bosh-cli builds. CI
// always has it (scripts/test builds it first), so there a missing CLI fails
// instead of skipping.
func boshCLI(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("BOSH_BIN"); p != "" {
		return p
	}
	p := filepath.Join(repoRoot(t), ".cache", "bin", "bosh")
	if _, err := os.Stat(p); err != nil {
		realpart.Require(t, "the bosh CLI", fmt.Errorf("missing at %s: scripts/install-bosh-cli builds it", p))
	}
	return p
}

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
