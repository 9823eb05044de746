package releasetests

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// cleanCheckout copies what a clone of the work tree holds (tracked and
// new, unignored files) so the test runs scripts/create-release as a user
// with a fresh clone would, without touching this work tree's blobs.
func cleanCheckout(t *testing.T) string {
	t.Helper()
	root := repoRoot(t)
	dst := t.TempDir()
	files := run(t, root, nil, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	var existing []string
	for _, f := range strings.Split(strings.TrimRight(files, "\x00"), "\x00") {
		if _, err := os.Lstat(filepath.Join(root, f)); err == nil {
			existing = append(existing, f)
		}
	}
	list := filepath.Join(t.TempDir(), "files")
	if err := os.WriteFile(list, []byte(strings.Join(existing, "\x00")), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, root, nil, "bash", "-c", `tar --null -T "$1" -cf - | tar -C "$2" -xf -`, "copy", list, dst)
	return dst
}

type releaseManifest struct {
	Name    string `yaml:"name"`
	Version string `yaml:"version"`
	Jobs    []struct {
		Name     string   `yaml:"name"`
		Packages []string `yaml:"packages"`
	} `yaml:"jobs"`
	Packages []struct {
		Name         string   `yaml:"name"`
		Dependencies []string `yaml:"dependencies"`
	} `yaml:"packages"`
}

// untar extracts a .tgz (or one member of it) into dir.
func untar(t *testing.T, tgz io.Reader, dir string) {
	t.Helper()
	gz, err := gzip.NewReader(tgz)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(dir, h.Name)
		if !strings.HasPrefix(target, filepath.Clean(dir)+string(os.PathSeparator)) && target != filepath.Clean(dir) {
			t.Fatalf("tarball entry %q escapes %s", h.Name, dir)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode)&0o777)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(f, tr); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
}

func untarFile(t *testing.T, path, dir string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	untar(t, f, dir)
}

// TestReleaseBuildsAndItsPackagesCompile builds the dev release with the
// real bosh CLI from a clean checkout, then compiles its packages the way a
// compilation VM does: each package's own files from the tarball, packaging
// run in the compile dir with BOSH_INSTALL_TARGET and BOSH_PACKAGES_DIR.
// The binary reports the release's version.
func TestReleaseBuildsAndItsPackagesCompile(t *testing.T) {
	bosh := boshCLI(t)
	checkout := cleanCheckout(t)
	tarball := filepath.Join(t.TempDir(), "release.tgz")
	out := run(t, checkout, []string{"BOSH_BIN=" + bosh}, "scripts/create-release", tarball)
	if !strings.Contains(out, "added the local Go toolchain") {
		t.Errorf("create-release did not say it added the toolchain blob:\n%s", out)
	}

	extracted := t.TempDir()
	untarFile(t, tarball, extracted)
	raw, err := os.ReadFile(filepath.Join(extracted, "release.MF"))
	if err != nil {
		t.Fatal(err)
	}
	var mf releaseManifest
	if err := yaml.Unmarshal(raw, &mf); err != nil {
		t.Fatal(err)
	}
	var jobs, pkgs []string
	for _, j := range mf.Jobs {
		jobs = append(jobs, j.Name)
	}
	for _, p := range mf.Packages {
		pkgs = append(pkgs, p.Name)
	}
	sort.Strings(jobs)
	sort.Strings(pkgs)
	if mf.Name != "cell-sequestration" || strings.Join(jobs, ",") != "sequester-agent,sequester-cell" ||
		strings.Join(pkgs, ",") != "golang-1-linux,sequester" {
		t.Fatalf("release.MF: name %q jobs %v packages %v", mf.Name, jobs, pkgs)
	}

	packagesDir := t.TempDir()
	for _, name := range []string{"golang-1-linux", "sequester"} {
		compileDir := t.TempDir()
		untarFile(t, filepath.Join(extracted, "packages", name+".tgz"), compileDir)
		if name == "sequester" {
			if _, err := os.Stat(filepath.Join(compileDir, "internal", "releasetests", "jobs_test.go")); err == nil {
				t.Errorf("test files were packaged; the spec excludes them")
			}
		}
		install := filepath.Join(packagesDir, name)
		if err := os.MkdirAll(install, 0o755); err != nil {
			t.Fatal(err)
		}
		run(t, compileDir, []string{
			"BOSH_INSTALL_TARGET=" + install, "BOSH_COMPILE_TARGET=" + compileDir,
			"BOSH_PACKAGES_DIR=" + packagesDir, "GOFLAGS=", "GOPROXY=off",
		}, "bash", "-e", "packaging")
	}

	// BOSH gives packaging no release version: create-release hands it
	// over in the package's VERSION file and restores the file after.
	got := strings.TrimSpace(run(t, "", nil, filepath.Join(packagesDir, "sequester", "bin", "sequester"), "version"))
	if got != mf.Version || got == "dev" || !strings.HasPrefix(got, "0+dev.") {
		t.Errorf("the compiled sequester reports version %q; the release is %q", got, mf.Version)
	}
	if b, err := os.ReadFile(filepath.Join(checkout, "src", "VERSION")); err != nil || string(b) != "dev\n" {
		t.Errorf("create-release left src/VERSION as %q (%v); want it restored to dev", b, err)
	}

	help := run(t, "", nil, filepath.Join(packagesDir, "sequester", "bin", "sequester"), "--help")
	if !strings.Contains(help, "sequester withdraws a Diego cell's routes") {
		t.Errorf("compiled sequester --help:\n%s", help)
	}
	if _, err := exec.LookPath(filepath.Join(packagesDir, "golang-1-linux", "bin", "go")); err != nil {
		t.Errorf("golang-1-linux did not install go: %v", err)
	}
}
