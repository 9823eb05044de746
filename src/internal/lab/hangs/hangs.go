// Package hangs holds stand-ins for the cell components that hang on a sick
// cell: a monit that accepts connections and never answers (monit stuck in
// D state, garden-runc-release#141) and a runc that hangs or fails on one
// container (a freezer stuck in FREEZING, garden-runc-release#99). A Garden
// whose Destroy never returns is gardenrunc.Fixture.HangDestroy. Tests and
// the lab use them to show that every call to a cell component has a
// deadline and a fallback.
package hangs

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Listener accepts TCP connections on loopback and never reads or answers
// them, as a process stuck in the kernel does once the kernel has queued
// the connection.
type Listener struct {
	l     net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

// Listen starts a Listener on a free loopback port.
func Listen() (*Listener, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h := &Listener{l: l}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			h.mu.Lock()
			h.conns = append(h.conns, c)
			h.mu.Unlock()
		}
	}()
	return h, nil
}

// Address is host:port.
func (h *Listener) Address() string { return h.l.Addr().String() }

// Accepted counts the connections taken and left unanswered.
func (h *Listener) Accepted() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// Close stops listening and drops every held connection.
func (h *Listener) Close() {
	h.l.Close()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.conns {
		c.Close()
	}
	h.conns = nil
}

// Runc behaviours on the chosen container.
const (
	// RuncHang never returns, as runc does on a freezer stuck in FREEZING.
	RuncHang = "hang"
	// RuncFail exits 1 with an error on stderr.
	RuncFail = "fail"
)

// RuncWrapper writes an executable into dir that runs the real runc for
// every container except handle: a command naming handle hangs (sleeps a
// day, exec'd so the sleep is the process the caller must abandon) or
// fails, per mode. It returns the wrapper's path.
func RuncWrapper(dir, realRunc, handle, mode string) (string, error) {
	if strings.ContainsAny(handle, "'\"\\ $`") {
		return "", fmt.Errorf("handle %q cannot go into the wrapper script", handle)
	}
	var action string
	switch mode {
	case RuncHang:
		action = "exec sleep 86400"
	case RuncFail:
		action = "echo 'container " + handle + ": operation failed (stand-in)' >&2; exit 1"
	default:
		return "", fmt.Errorf("unknown runc wrapper mode %q", mode)
	}
	if realRunc == "" {
		realRunc = "runc"
	}
	script := fmt.Sprintf(`#!/bin/sh
# A runc that %ss on container %s and is the real runc for every other.
for a in "$@"; do
  if [ "$a" = '%s' ]; then
    %s
  fi
done
exec %s "$@"
`, mode, handle, handle, action, realRunc)
	path := filepath.Join(dir, "runc-"+mode+"s-on-one")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		return "", err
	}
	return path, nil
}
