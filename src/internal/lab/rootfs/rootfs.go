// Package rootfs builds a tiny root filesystem from busybox-static for test
// and lab containers. One copy serves any number of containers read-only,
// so creating a container costs a runc start and nothing more.
package rootfs

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// Applets are the commands the rootfs offers, all links to busybox.
var Applets = []string{"sh", "sleep", "nc", "httpd", "cat", "ls", "ps", "true", "echo", "mkdir", "dd", "wget"}

// FindBusybox returns a statically linked busybox, the only kind that runs
// in a rootfs without a libc.
func FindBusybox() (string, error) {
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		if static(p) {
			return p, nil
		}
	}
	if p, err := exec.LookPath("busybox"); err == nil && static(p) {
		return p, nil
	}
	return "", errors.New("no statically linked busybox found: install busybox-static")
}

func static(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false
		}
	}
	return true
}

// Busybox creates a rootfs at dir and returns dir. The mount points runc
// needs exist beforehand, because the rootfs is mounted read-only.
func Busybox(dir string) (string, error) {
	bb, err := FindBusybox()
	if err != nil {
		return "", err
	}
	for _, d := range []string{"bin", "proc", "dev", "sys", "tmp", "etc", "root", "var/www"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return "", err
		}
	}
	if err := copyFile(bb, filepath.Join(dir, "bin", "busybox"), 0o755); err != nil {
		return "", fmt.Errorf("copy busybox: %w", err)
	}
	for _, a := range Applets {
		link := filepath.Join(dir, "bin", a)
		_ = os.Remove(link)
		if err := os.Symlink("busybox", link); err != nil {
			return "", err
		}
	}
	for name, content := range map[string]string{
		"etc/passwd":         "root:x:0:0:root:/root:/bin/sh\nvcap:x:2000:2000::/home/vcap:/bin/sh\n",
		"etc/group":          "root:x:0:\nvcap:x:2000:\n",
		"etc/hosts":          "127.0.0.1 localhost\n",
		"var/www/index.html": "ok\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return "", err
		}
	}
	return dir, nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
