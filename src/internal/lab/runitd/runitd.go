// Package runitd starts a real runsvdir supervising one service laid out
// like a Jammy stemcell's BOSH agent (/etc/sv/<name> linked into the
// scanned directory), and tears it down. The lab's cells (cellrig) use it;
// tests use it through internal/testsupport/runitd. It never imports
// testing: it ships in the sequester binary with the lab.
package runitd

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Daemon is a running runsvdir with one service.
type Daemon struct {
	// ServiceDir is the service's directory (like /etc/sv/agent); pass it
	// to `sv`.
	ServiceDir string
	// ScanDir is the directory runsvdir scans (like /etc/service).
	ScanDir string
	cmd     *exec.Cmd
	exited  chan struct{}
}

// New creates the service with the given run script body (a /bin/sh
// script; exec the program so runsv supervises it directly), starts
// runsvdir and waits until `sv status` reports the service up. The service
// and scan directories go under root, which must exist; the caller must
// Close.
func New(root, name, runScript string) (*Daemon, error) {
	d := &Daemon{
		ServiceDir: filepath.Join(root, "sv", name),
		ScanDir:    filepath.Join(root, "service"),
		exited:     make(chan struct{}),
	}
	for _, dir := range []string{d.ServiceDir, d.ScanDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(d.ServiceDir, "run"), []byte("#!/bin/sh\n"+runScript+"\n"), 0o755); err != nil {
		return nil, err
	}
	if err := os.Symlink(d.ServiceDir, filepath.Join(d.ScanDir, name)); err != nil {
		return nil, err
	}
	d.cmd = exec.Command("runsvdir", "-P", d.ScanDir)
	// Pdeathsig HUP: should the test binary die without cleanup,
	// runsvdir stops its services and exits.
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGHUP}
	if err := d.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start runsvdir: %v", err)
	}
	go func() { _ = d.cmd.Wait(); close(d.exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if strings.HasPrefix(d.Status(), "run:") {
			return d, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	status := d.Status()
	d.Close()
	return nil, fmt.Errorf("runit service %s did not come up: %s", name, status)
}

// Status is the output of `sv status` for the service.
func (d *Daemon) Status() string {
	out, _ := exec.Command("sv", "status", d.ServiceDir).CombinedOutput()
	return string(bytes.TrimSpace(out))
}

// Pid is the pid runsv reports for the service, 0 when down.
func (d *Daemon) Pid() int {
	b, err := os.ReadFile(filepath.Join(d.ServiceDir, "supervise", "pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// Close stops runsvdir and, through it, the service.
func (d *Daemon) Close() {
	pid := d.Pid()
	// SIGHUP makes runsvdir TERM every runsv, which stops its service.
	_ = d.cmd.Process.Signal(syscall.SIGHUP)
	select {
	case <-d.exited:
	case <-time.After(10 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.exited
	}
	// Give runsv a moment to stop its child, then make sure.
	for i := 0; i < 50 && pid > 0 && syscall.Kill(pid, 0) == nil; i++ {
		time.Sleep(100 * time.Millisecond)
	}
	if pid > 0 && syscall.Kill(pid, 0) == nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	if d.cmd.Process != nil {
		// runsv processes are in runsvdir's process group.
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
	}
}
