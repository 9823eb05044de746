// Package gardenrunc is a test fixture: a real garden server (garden's own
// server package on a unix socket) whose containers are real runc
// containers in a garden-style depot. Tests of the agent, prune and
// isolation talk to it with garden's official client, or to its runc root
// directly, exactly as they would on a Diego cell.
//
// Usage:
//
//	f := gardenrunc.Start(t, gardenrunc.Options{})  // skips without root/runc
//	handles, err := f.Create(gardenrunc.Spec{AppGUID: "app-1", Ports: []int{8080}})
//	pid := f.Pid(handles[0])
//	// garden:  client.New(connection.New("unix", f.Socket()))
//	// runc:    runc --root f.RuncRoot() list; depot at f.DepotPath()
//	f.Wedge()   // the socket stays but garden never answers
//
// Containers run busybox (default `sleep`) on one shared read-only rootfs,
// in cgroups garden/<handle>, with properties executor:owner,
// network.app_id, network.ports and log_config, and VCAP_APPLICATION in
// their environment. Everything is removed by t.Cleanup, even on failure.
package gardenrunc

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"code.cloudfoundry.org/garden"
	"code.cloudfoundry.org/garden/client"
	"code.cloudfoundry.org/garden/client/connection"
	"code.cloudfoundry.org/garden/server"
	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/rootfs"
)

// Options configure the fixture.
type Options struct {
	// Wedged starts garden wedged: the socket accepts and never answers.
	Wedged bool
	// RuncBinary defaults to runc on PATH.
	RuncBinary string
	// Logger receives the garden server's logs (default: discarded).
	Logger lager.Logger
	// Dir holds socket, depot, runc root and rootfs (default t.TempDir()).
	Dir string
}

// Spec describes one container. Zero values get sensible defaults.
type Spec struct {
	// Handle defaults to a random guid, like an ActualLRP instance guid.
	Handle string
	// AppGUID goes into network.app_id, log_config and VCAP_APPLICATION.
	AppGUID string
	// AppVersion makes the process guid AppGUID-AppVersion.
	AppVersion string
	Index      int
	// Ports go into network.ports.
	Ports []int
	// Owner is executor:owner (default "executor").
	Owner string
	// Args is the container's init process (default: sleep a day).
	Args []string
	// NetNS is a network namespace path to join instead of a fresh one.
	NetNS string
	// IP is reported as the container IP in garden's info.
	IP string
	// Properties are added to the garden properties.
	Properties map[string]string
}

// ProcessGUID is the LRP's process guid the spec implies.
func (s Spec) ProcessGUID() string {
	if s.AppGUID == "" || s.AppVersion == "" {
		return ""
	}
	return s.AppGUID + "-" + s.AppVersion
}

// Fixture is a running garden over runc.
type Fixture struct {
	dir, socket, depot, runcRoot, rootfs string
	runc                                 string
	logger                               lager.Logger

	mu         sync.Mutex
	containers map[string]*container
	srv        *server.GardenServer
	wedge      net.Listener
	wedgeConns []net.Conn
	closed     bool
}

// Available says why the fixture cannot run here, or nil.
func Available() error {
	if os.Geteuid() != 0 {
		return errors.New("runc containers need root")
	}
	if _, err := exec.LookPath("runc"); err != nil {
		return errors.New("runc is not installed")
	}
	if _, err := rootfs.FindBusybox(); err != nil {
		return err
	}
	return nil
}

// Start starts garden on a socket in a temp dir. It skips the test when
// root, runc or busybox-static is missing (and fails it then when CI is
// set), and fails it on other errors.
func Start(t testing.TB, opts Options) *Fixture {
	t.Helper()
	if err := Available(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("gardenrunc fixture unavailable: %v (CI is set: not skipping)", err)
		}
		t.Skipf("gardenrunc fixture unavailable: %v", err)
	}
	f, err := New(opts.Dir, opts)
	if err != nil {
		t.Fatalf("start gardenrunc fixture: %v", err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Errorf("clean up gardenrunc fixture: %v", err)
		}
	})
	return f
}

// New is Start without testing.TB, for benchmarks drivers and the lab;
// the caller must Close. dir must exist (empty means a new temp dir).
func New(dir string, opts Options) (*Fixture, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	if dir == "" {
		d, err := os.MkdirTemp("", "gardenrunc-")
		if err != nil {
			return nil, err
		}
		dir = d
	}
	f := &Fixture{
		dir:        dir,
		socket:     filepath.Join(dir, "garden.sock"),
		depot:      filepath.Join(dir, "depot"),
		runcRoot:   filepath.Join(dir, "runc"),
		runc:       opts.RuncBinary,
		logger:     opts.Logger,
		containers: map[string]*container{},
	}
	if f.runc == "" {
		f.runc = "runc"
	}
	if f.logger == nil {
		f.logger = lager.NewLogger("gardenrunc")
	}
	for _, d := range []string{f.depot, f.runcRoot} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	rfs, err := rootfs.Busybox(filepath.Join(dir, "rootfs"))
	if err != nil {
		return nil, err
	}
	f.rootfs = rfs
	if opts.Wedged {
		err = f.listenWedged()
	} else {
		err = f.serve()
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Socket is garden's unix socket.
func (f *Fixture) Socket() string { return f.socket }

// RuncRoot is the --root of the containers' runc.
func (f *Fixture) RuncRoot() string { return f.runcRoot }

// DepotPath holds one directory per container, like garden's depot.
func (f *Fixture) DepotPath() string { return f.depot }

// RootfsPath is the shared read-only busybox rootfs.
func (f *Fixture) RootfsPath() string { return f.rootfs }

// Handles lists the containers garden knows, sorted.
func (f *Fixture) Handles() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var hs []string
	for h := range f.containers {
		hs = append(hs, h)
	}
	sort.Strings(hs)
	return hs
}

// Pid returns the host pid of the container's init process, or 0.
func (f *Fixture) Pid(handle string) int {
	b, err := os.ReadFile(filepath.Join(f.depot, handle, "pidfile"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// Create starts the containers in parallel and returns their handles in
// spec order. On error the containers already started stay until Close.
func (f *Fixture) Create(specs ...Spec) ([]string, error) {
	handles := make([]string, len(specs))
	errs := make([]error, len(specs))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range specs {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			handles[i], errs[i] = f.create(specs[i])
		}(i)
	}
	wg.Wait()
	return handles, errors.Join(errs...)
}

// CreateN starts n containers from one template, each with its own handle
// and index.
func (f *Fixture) CreateN(n int, template Spec) ([]string, error) {
	specs := make([]Spec, n)
	for i := range specs {
		specs[i] = template
		specs[i].Handle = ""
		specs[i].Index = i
	}
	return f.Create(specs...)
}

// NewGUID returns a random guid.
func NewGUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func (f *Fixture) create(s Spec) (string, error) {
	if s.Handle == "" {
		s.Handle = NewGUID()
	}
	if s.Owner == "" {
		s.Owner = "executor"
	}
	if len(s.Args) == 0 {
		s.Args = []string{"sleep", "86400"}
	}
	f.mu.Lock()
	if _, dup := f.containers[s.Handle]; dup || f.closed {
		f.mu.Unlock()
		return "", fmt.Errorf("handle %s already exists or fixture closed", s.Handle)
	}
	c := &container{f: f, handle: s.Handle, spec: s, properties: properties(s)}
	f.containers[s.Handle] = c
	f.mu.Unlock()

	bundle := filepath.Join(f.depot, s.Handle)
	procDir := filepath.Join(bundle, "processes", "init")
	if err := os.MkdirAll(procDir, 0o700); err != nil {
		return "", err
	}
	env := []string{"PATH=/bin", "HOME=/root", "INSTANCE_INDEX=" + strconv.Itoa(s.Index)}
	if s.AppGUID != "" {
		v, _ := json.Marshal(map[string]any{
			"application_id":      s.AppGUID,
			"application_version": s.AppVersion,
			"instance_id":         s.Handle,
			"instance_index":      s.Index,
		})
		env = append(env, "VCAP_APPLICATION="+string(v))
	}
	files := map[string][]byte{"hosts": []byte("127.0.0.1 localhost\n"), "resolv.conf": []byte("nameserver 127.0.0.1\n")}
	cfg, _ := json.MarshalIndent(ociSpec(s.Handle, f.rootfs, s.NetNS, s.Args, env), "", "  ")
	files["config.json"] = cfg
	props, _ := json.MarshalIndent(c.properties, "", "  ")
	files["properties.json"] = props
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(bundle, name), content, 0o600); err != nil {
			return "", err
		}
	}
	stdout, err := os.Create(filepath.Join(procDir, "stdout"))
	if err != nil {
		return "", err
	}
	defer stdout.Close()
	stderr, err := os.Create(filepath.Join(procDir, "stderr"))
	if err != nil {
		return "", err
	}
	defer stderr.Close()
	// Files, not pipes: a detached container inherits them, and a pipe
	// would keep Wait waiting for the container to exit.
	cmd := exec.Command(f.runc, "--root", f.runcRoot, "run", "--detach",
		"--pid-file", filepath.Join(bundle, "pidfile"), "--bundle", bundle, "--", s.Handle)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		msg, _ := os.ReadFile(filepath.Join(procDir, "stderr"))
		return "", fmt.Errorf("runc run %s: %v: %s", s.Handle, err, strings.TrimSpace(string(msg)))
	}
	return s.Handle, nil
}

func properties(s Spec) garden.Properties {
	p := garden.Properties{"executor:owner": s.Owner}
	if s.AppGUID != "" {
		p["network.app_id"] = s.AppGUID
		lc, _ := json.Marshal(map[string]any{"guid": s.AppGUID, "index": s.Index, "source_name": "CELL"})
		p["log_config"] = string(lc)
	}
	if len(s.Ports) > 0 {
		var ps []string
		for _, port := range s.Ports {
			ps = append(ps, strconv.Itoa(port))
		}
		p["network.ports"] = strings.Join(ps, ",")
	}
	for k, v := range s.Properties {
		p[k] = v
	}
	return p
}

// Runc runs runc against the fixture's root and returns its output.
func (f *Fixture) Runc(args ...string) ([]byte, error) {
	cmd := exec.Command(f.runc, append([]string{"--root", f.runcRoot}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("runc %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// Pause freezes a container with runc pause, as an operator (or the
// agent) would.
func (f *Fixture) Pause(handle string) error {
	_, err := f.Runc("pause", "--", handle)
	return err
}

func (f *Fixture) serve() error {
	srv := server.New("unix", f.socket, 0, 5*time.Second, &backend{f: f}, f.logger)
	// Info, Properties and Destroy go through the bomberman; without it
	// the server dereferences nil.
	if err := srv.SetupBomberman(); err != nil {
		return err
	}
	l, err := srv.Listen()
	if err != nil {
		return err
	}
	go func() { _ = srv.Serve(l) }()
	// Stop fails on a server whose Serve has not begun, so wait until it
	// answers before anyone can Wedge or Close it.
	c := client.New(connection.New("unix", f.socket))
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping() != nil {
		if time.Now().After(deadline) {
			return errors.New("garden server did not answer ping within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	f.mu.Lock()
	f.srv = srv
	f.mu.Unlock()
	return nil
}

func (f *Fixture) listenWedged() error {
	_ = os.Remove(f.socket)
	l, err := net.Listen("unix", f.socket)
	if err != nil {
		return err
	}
	f.wedge = l
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			// Hold the connection, read nothing, answer nothing: garden
			// stuck on a lock looks exactly like this to its clients.
			f.mu.Lock()
			f.wedgeConns = append(f.wedgeConns, c)
			f.mu.Unlock()
		}
	}()
	return nil
}

// Wedge stops garden from answering; the socket stays and accepts.
func (f *Fixture) Wedge() error {
	f.mu.Lock()
	srv := f.srv
	f.srv = nil
	f.mu.Unlock()
	if srv != nil {
		if err := srv.Stop(); err != nil {
			return err
		}
	}
	if f.wedge != nil {
		return nil
	}
	return f.listenWedged()
}

// Unwedge makes garden answer again.
func (f *Fixture) Unwedge() error {
	f.closeWedge()
	f.mu.Lock()
	running := f.srv != nil
	f.mu.Unlock()
	if running {
		return nil
	}
	return f.serve()
}

func (f *Fixture) closeWedge() {
	f.mu.Lock()
	l, conns := f.wedge, f.wedgeConns
	f.wedge, f.wedgeConns = nil, nil
	f.mu.Unlock()
	if l != nil {
		l.Close()
	}
	for _, c := range conns {
		c.Close()
	}
}

// Close stops garden and removes every container under the fixture's runc
// root, their cgroups and the fixture's directory.
func (f *Fixture) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	srv := f.srv
	f.srv = nil
	handles := make([]string, 0, len(f.containers))
	for h := range f.containers {
		handles = append(handles, h)
	}
	f.mu.Unlock()
	f.closeWedge()
	var errs []error
	if srv != nil {
		if err := srv.Stop(); err != nil {
			errs = append(errs, err)
		}
	}
	// runc's own list also catches containers garden has forgotten.
	if out, err := f.Runc("list", "-q"); err == nil {
		handles = append(handles, strings.Fields(string(out))...)
	}
	seen := map[string]bool{}
	for _, h := range handles {
		if seen[h] {
			continue
		}
		seen[h] = true
		if err := f.destroyRunc(h); err != nil {
			errs = append(errs, err)
		}
	}
	// The garden parent cgroups go too once no container uses them; rmdir
	// of a cgroup in use fails, so a concurrent fixture keeps its own.
	parents, _ := filepath.Glob("/sys/fs/cgroup/*/garden")
	for _, p := range append(parents, "/sys/fs/cgroup/garden") {
		_ = os.Remove(p)
	}
	if err := os.RemoveAll(f.dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// destroyRunc force-deletes a container and its leftover cgroups.
func (f *Fixture) destroyRunc(handle string) error {
	var errs []error
	if _, err := f.Runc("delete", "--force", "--", handle); err != nil && !strings.Contains(err.Error(), "does not exist") {
		errs = append(errs, err)
	}
	removeCgroups(handle)
	if err := os.RemoveAll(filepath.Join(f.depot, handle)); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// removeCgroups removes garden/<handle> in every hierarchy; runc removes
// them itself unless it failed half way.
func removeCgroups(handle string) {
	dirs, _ := filepath.Glob(filepath.Join("/sys/fs/cgroup", "*", "garden", handle))
	if d := filepath.Join("/sys/fs/cgroup", "garden", handle); exists(d) {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		_ = os.Remove(filepath.Join(d, "init"))
		_ = os.Remove(d)
	}
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }
