package confined_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/confined"
)

// outside is a directory beside the confined one, holding a secret and a
// tree that must survive.
func outside(t *testing.T) (dir, secret string) {
	t.Helper()
	dir = t.TempDir()
	secret = filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("outside-secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, secret
}

func TestNothingIsReadThroughASymbolicLink(t *testing.T) {
	out, secret := outside(t)
	in := t.TempDir()
	must(t, os.Symlink(secret, filepath.Join(in, "log")))
	must(t, os.Symlink(out, filepath.Join(in, "handle")))
	must(t, os.Symlink("../"+filepath.Base(out)+"/secret", filepath.Join(in, "relative")))
	must(t, syscall.Mkfifo(filepath.Join(in, "fifo"), 0o600))
	must(t, os.WriteFile(filepath.Join(in, "plain"), []byte("ok"), 0o600))

	cases := []struct {
		name string
		read func() ([]byte, error)
		want string
	}{
		{"a log file that is a link", func() ([]byte, error) { return readAll(confined.OpenFile(filepath.Join(in, "log"))) }, "is a symbolic link"},
		{"a log file that is a FIFO", func() ([]byte, error) { return readAll(confined.OpenFile(filepath.Join(in, "fifo"))) }, "not a regular file"},
		{"a directory entry linking out", func() ([]byte, error) { return confined.ReadFileIn(in, "handle/secret") }, "leads out of"},
		{"a relative link climbing out", func() ([]byte, error) { return confined.ReadFileIn(in, "relative") }, "leads out of"},
		{"a name climbing out", func() ([]byte, error) { return confined.ReadFileIn(in, "../"+filepath.Base(out)+"/secret") }, "leads out of"},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			b, err := tc.read()
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(string(b), "outside-secret") {
				t.Fatalf("read %q, %v; want an error containing %q", b, err, tc.want)
			}
		})
	}
	t.Run("a regular file is read", func(t *testing.T) {
		if b, err := readAll(confined.OpenFile(filepath.Join(in, "plain"))); err != nil || string(b) != "ok" {
			t.Fatalf("read %q, %v", b, err)
		}
		if b, err := confined.ReadFileIn(in, "plain"); err != nil || string(b) != "ok" {
			t.Fatalf("read %q, %v", b, err)
		}
	})
}

func TestRemovingALinkRemovesTheLinkAndNotItsTarget(t *testing.T) {
	out, secret := outside(t)
	in := t.TempDir()
	must(t, os.Symlink(out, filepath.Join(in, "handle-a")))
	must(t, os.MkdirAll(filepath.Join(in, "handle-b"), 0o700))
	must(t, os.Symlink(out, filepath.Join(in, "handle-b", "rootfs")))
	for _, name := range []string{"handle-a", "handle-b", "never-there"} {
		if err := confined.RemoveAllIn(in, name); err != nil {
			t.Fatalf("remove %s: %v", name, err)
		}
		if _, err := os.Lstat(filepath.Join(in, name)); !os.IsNotExist(err) {
			t.Fatalf("%s still there: %v", name, err)
		}
	}
	if b, err := os.ReadFile(secret); err != nil || string(b) != "outside-secret" {
		t.Fatalf("the link's target was touched: %q, %v", b, err)
	}
	if err := confined.RemoveAllIn(in, "../"+filepath.Base(out)); err == nil {
		t.Fatal("a name climbing out was removed")
	}
	if _, err := os.Stat(secret); err != nil {
		t.Fatalf("climbing out removed the target: %v", err)
	}
}

func TestAFileWrittenIntoTheDirectoryNeverGoesThroughAPlantedLink(t *testing.T) {
	out, secret := outside(t)
	path := filepath.Join(t.TempDir(), "evidence")
	d, err := confined.OpenDir(path, 0o700)
	must(t, err)
	defer d.Close()
	// A link where the final name will be: rename replaces the link.
	must(t, os.Symlink(secret, filepath.Join(path, "bundle.tar.gz")))
	must(t, os.Symlink(out, filepath.Join(path, "sub")))
	f, tmp, err := d.CreateTemp(".evidence-", ".tar.gz")
	must(t, err)
	_, err = f.WriteString("bundle")
	must(t, err)
	must(t, f.Close())
	must(t, d.Rename(tmp, "bundle.tar.gz"))
	st, err := d.Lstat("bundle.tar.gz")
	if err != nil || !st.Mode().IsRegular() || st.Size() != int64(len("bundle")) {
		t.Fatalf("bundle = %v, %v", st, err)
	}
	if b, _ := os.ReadFile(secret); string(b) != "outside-secret" {
		t.Fatalf("the planted link's target was written: %q", b)
	}
	if err := d.Rename("bundle.tar.gz", "sub/bundle.tar.gz"); err == nil || !strings.Contains(err.Error(), "leads out of") {
		t.Fatalf("a rename through a link out of the directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "bundle.tar.gz")); !os.IsNotExist(err) {
		t.Fatalf("a file landed outside: %v", err)
	}
}

func readAll(f *os.File, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, 64)
	n, err := f.Read(b)
	return b[:n], err
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
