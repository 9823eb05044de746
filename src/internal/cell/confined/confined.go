// Package confined is how the agent touches files in directories whose
// contents others write: garden's depot and runc's state root (named by
// container handles that come from the network), the cell jobs' log files,
// and its own evidence directory. A symbolic link planted in any of them
// (by a job running as vcap, a compromised container runtime, a mistake)
// must not make a root process read a secret into an evidence bundle,
// write a bundle over a system file or delete a tree elsewhere.
//
// Everything beneath a directory goes through os.Root, which refuses any
// path, symbolic links included, that resolves outside the directory (go:
// os/root.go). A configured file outside such a directory (a log file) is
// opened with O_NOFOLLOW, so its last component may not be a link.
package confined

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// OpenFile opens path for reading. Its last component must be a regular
// file, not a symbolic link (O_NOFOLLOW) and not a FIFO or device, which
// could block the reader forever (O_NONBLOCK, then a mode check). Links
// higher up the path belong to the configured location, which the operator
// chose and a job cannot swap, and are followed.
func OpenFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("%s is a symbolic link: the agent reads no file through a link (it could point anywhere on the cell)", path)
		}
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file (%s): the agent reads only regular files", path, st.Mode().Type())
	}
	return f, nil
}

// ReadFileIn reads dir/name; a name or a link that leads out of dir is
// refused.
func ReadFileIn(dir, name string) ([]byte, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	b, err := root.ReadFile(name)
	return b, escaped(dir, name, err)
}

// RemoveAllIn removes dir/name and everything beneath it. A symbolic link
// is removed itself, never what it points to; a name that leads out of dir
// is refused. A missing dir/name is no error.
func RemoveAllIn(dir, name string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	return escaped(dir, name, root.RemoveAll(name))
}

// Dir is a directory the agent writes into.
type Dir struct {
	path string
	root *os.Root
}

// OpenDir creates path (perm) if needed and opens it for writing beneath.
func OpenDir(path string, perm fs.FileMode) (*Dir, error) {
	if err := os.MkdirAll(path, perm); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(path)
	if err != nil {
		return nil, err
	}
	return &Dir{path: path, root: root}, nil
}

// Path is dir/name.
func (d *Dir) Path(name string) string { return filepath.Join(d.path, name) }

// CreateTemp creates a new file prefix<random>suffix (0600) that did not
// exist before, so that nothing planted under that name is written
// through; it returns the file and its name in d.
func (d *Dir) CreateTemp(prefix, suffix string) (*os.File, string, error) {
	for range 10000 {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		name := prefix + hex.EncodeToString(b) + suffix
		f, err := d.root.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, "", escaped(d.path, name, err)
		}
		return f, name, nil
	}
	return nil, "", fmt.Errorf("no free temporary name in %s", d.path)
}

// Rename renames oldname to newname within d. A link already at newname
// is replaced, not written through (rename(2)).
func (d *Dir) Rename(oldname, newname string) error {
	return escaped(d.path, newname, d.root.Rename(oldname, newname))
}

// Remove removes name (a link itself, not its target).
func (d *Dir) Remove(name string) error { return escaped(d.path, name, d.root.Remove(name)) }

// Lstat describes name itself.
func (d *Dir) Lstat(name string) (fs.FileInfo, error) {
	st, err := d.root.Lstat(name)
	return st, escaped(d.path, name, err)
}

// Close releases the directory.
func (d *Dir) Close() error { return d.root.Close() }

// escaped words os.Root's refusal for the operator: which path, and
// why. os.Root reports an escape as a PathError or LinkError wrapping an
// error that reads "path escapes from parent" (go: os/file.go
// errPathEscapes, unexported).
func escaped(dir, name string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if strings.HasSuffix(err.Error(), "path escapes from parent") {
		return fmt.Errorf("%s leads out of %s through a symbolic link: the agent follows no link out of it", filepath.Join(dir, name), dir)
	}
	return err
}
