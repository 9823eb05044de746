package monitd

import (
	"os"
	"os/exec"
	"path/filepath"
)

// EnvStemcellMonit names the monit 5.2.5 binary scripts/install-monit-525
// builds, the monit BOSH stemcells run (bosh-linux-stemcell-builder:
// stemcell_builder/stages/bosh_monit).
const EnvStemcellMonit = "MONIT_525_BIN"

// StemcellVersion is the monit version of every BOSH stemcell, Jammy and
// Noble alike.
const StemcellVersion = "5.2.5"

// StemcellBinary finds the stemcell's monit: $MONIT_525_BIN, else
// .cache/monit-5.2.5/bin/monit in the working directory or one above it
// (where scripts/install-monit-525 caches it). Empty when it is not built.
func StemcellBinary() string {
	if p := os.Getenv(EnvStemcellMonit); p != "" {
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, ".cache", "monit-5.2.5", "bin", "monit")
		if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// DefaultBinary is the monit a lab cell runs: the stemcell's when it is
// built, else Debian's from PATH. Empty when there is neither.
func DefaultBinary() string {
	if p := StemcellBinary(); p != "" {
		return p
	}
	if p, err := exec.LookPath("monit"); err == nil {
		return p
	}
	return ""
}
