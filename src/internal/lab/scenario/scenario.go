// Package scenario assembles the lab's platform on one machine, for
// `sequester lab` and the end-to-end tests alike: the director simulator
// (TLS, basic auth) with deployment cf, whose diego-cell instances sit on
// a manual network in a named cloud config and next to an instance group
// that must stay untouched; per cell a real monit supervising the rep and
// route-emitter stand-ins, a real runsvdir supervising a BOSH-agent
// stand-in that heartbeats to the simulator, real runc containers behind
// garden's API, each in its own network namespace and serving HTTP, and
// the real sequester agent with mTLS certificates made here; one BBS
// double; and a real NATS server the route emitters publish
// router.register to.
//
// Only the assembly lives here. What runs against it (director.Flow) is
// what `sequester cell` runs.
package scenario

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"code.cloudfoundry.org/bbs/models"
	"code.cloudfoundry.org/lager/v3"
	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/agent"
	"github.com/cloudfoundry-community/cell-sequestration/internal/config"
	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/bbsdouble"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/cellrig"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/directorsim"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/monitd"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
)

// Timings of the simulated platform. The real ones are minutes (a
// heartbeat every 30 s, the health monitor re-reading rules every 60 s,
// route registrations every 20 s); the lab keeps their order and ratios
// so the hazards play out within seconds.
const (
	HeartbeatTimeout  = 2 * time.Second
	HeartbeatInterval = 100 * time.Millisecond
	HMInterval        = 100 * time.Millisecond
	// RulesInterval is how long the simulated health monitor keeps the
	// resurrection rules it read; the flow waits twice that after pausing.
	RulesInterval = 500 * time.Millisecond
	// EmitInterval is how often each route emitter re-registers.
	EmitInterval = 2 * time.Second
	// AppPort is where every app container listens.
	AppPort = 8080
)

// Options of a world.
type Options struct {
	// Dir holds everything; it must exist.
	Dir string
	// Cells and Containers per cell (defaults 3 and 4).
	Cells, Containers int
	// Suspect freezes one container of the target (diego-cell/0) from
	// outside the agent, so its processes read D and the agent reports it
	// as a suspect once SuspectAfter has passed.
	Suspect bool
	// Logger receives the parts' logs (default: discarded).
	Logger lager.Logger
	// RealCells is how many cells, from diego-cell/0 on, get real parts
	// (default: all); the others only heartbeat to the director.
	RealCells int
	// ManualAgents leaves starting the agents (StartAgent) to the caller,
	// for tests that restart them.
	ManualAgents bool
	// EmitInterval is the route emitters' interval (default the
	// package's EmitInterval).
	EmitInterval time.Duration
}

// Container is one app instance in a real runc container.
type Container struct {
	Handle  string `json:"handle"`
	AppGUID string `json:"app_guid"`
	Index   int    `json:"index"`
	IP      string `json:"ip"`
	Port    int    `json:"port"`
	NetNS   string `json:"netns"`
	Suspect bool   `json:"suspect,omitempty"`
	link    link
}

// Addr is where the container's app listens.
func (c Container) Addr() string { return net.JoinHostPort(c.IP, strconv.Itoa(c.Port)) }

// Cell is one real Diego cell.
type Cell struct {
	Instance   directorsim.Instance
	Rig        *cellrig.Rig
	Containers []Container
	AgentLog   string
	agent      *runningAgent
}

// IP is the cell's IP as the director gave it.
func (c *Cell) IP() string { return c.Instance.IPs[CellsNetwork] }

// World is the running lab platform.
type World struct {
	Dir    string
	ID     string
	Logger lager.Logger

	Sim  *directorsim.Simulator
	Conn *director.Connection
	// DirectorCAFile holds the simulator's CA for BOSH_CA_CERT.
	DirectorCAFile string

	NATS    *natsserver.Server
	NATSURL string
	Routes  *RouteLog

	Shared     *cellrig.Shared
	BBSChecker *director.BBSChecker
	Cells      []*Cell
	AgentPort  int
	// Investigator is the source address investigators reach kept
	// containers from.
	Investigator string
	// AgentHook, when set, wraps each agent's parts as StartAgent starts
	// it (tests put their hooks and failing parts in here).
	AgentHook func(*agent.Wired)

	// Before is every instance of cf as deployed, PriorPaused the global
	// resurrection state then, CellsCloudConfigBefore the operator's
	// cloud config of the cells' network.
	Before                 map[string]directorsim.Instance
	PriorPaused            bool
	CellsCloudConfigBefore string
	SetUpAt                time.Time

	beats       *heartbeater
	seen        *heartbeatSink
	agentsClose bool
	net         netPlan
	links       []link

	mu           sync.Mutex
	replacements []Replacement
	afterRepDies func()
	stopConverge chan struct{}
	convergeDone chan struct{}

	closers []func() error
}

// Target is the cell the lab sequesters: diego-cell/0.
func (w *World) Target() *Cell { return w.Cells[0] }

// Replacement is a VM created for the target after setup, and whether
// the old cell's rep was still alive then: a replacement whose rep boots
// while the old one lives cannot take the cell id's presence.
type Replacement struct {
	VM          directorsim.VM
	OldRepAlive bool
}

// Replacements are the VMs created for the target since setup.
func (w *World) Replacements() []Replacement {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Replacement(nil), w.replacements...)
}

// AfterRepDies runs f once, when convergence sees the target's rep gone.
func (w *World) AfterRepDies(f func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.afterRepDies = f
}

// Available says what this machine lacks to run the lab, or nil.
func Available() error {
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	if _, err := exec.LookPath("runc"); err != nil {
		missing = append(missing, "runc")
	}
	for _, bin := range []string{"monit", "runsvdir", "sv", "ip", "iptables", "nsenter"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, bin)
		}
	}
	if os.Geteuid() == 0 && len(missing) == 0 {
		if err := gardenrunc.Available(); err != nil {
			missing = append(missing, err.Error())
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s", strings.Join(missing, ", "))
	}
	return nil
}

// New builds the world. On error everything started is torn down again.
func New(ctx context.Context, opts Options) (_ *World, err error) {
	if opts.Cells == 0 {
		opts.Cells = 3
	}
	if opts.Containers == 0 {
		opts.Containers = 4
	}
	if opts.EmitInterval == 0 {
		opts.EmitInterval = EmitInterval
	}
	if opts.RealCells == 0 || opts.RealCells > opts.Cells {
		opts.RealCells = opts.Cells
	}
	if opts.Cells < 1 || opts.Containers < 1 {
		return nil, fmt.Errorf("the lab needs at least one cell and one container per cell")
	}
	if opts.Logger == nil {
		opts.Logger = lager.NewLogger("lab")
	}
	w := &World{Dir: opts.Dir, ID: randomID(), Logger: opts.Logger}
	logger := w.Logger.Session("lab", lager.Data{"lab_id": w.ID})
	logger.Info("starting", lager.Data{"dir": w.Dir, "cells": opts.Cells, "real_cells": opts.RealCells, "containers_per_cell": opts.Containers})
	defer func() {
		if p := recover(); p != nil {
			_ = w.Close()
			panic(p)
		}
		if err != nil {
			logger.Error("failed", err)
			_ = w.Close()
		}
	}()
	if err := w.startDirector(); err != nil {
		return nil, err
	}
	if err := w.startNATS(); err != nil {
		return nil, err
	}
	w.Shared, err = cellrig.NewShared(mkdir(w.Dir, "shared"))
	if err != nil {
		return nil, err
	}
	w.closers = append(w.closers, func() error { w.Shared.Close(); return nil })
	// What `sequester cell --bbs-url ...` builds for the Diego-side check.
	w.BBSChecker, err = director.NewBBSChecker(w.Shared.BBS.URL, w.Shared.BBSCAFile, w.Shared.BBSClient.CertFile, w.Shared.BBSClient.KeyFile, w.Logger)
	if err != nil {
		return nil, err
	}
	if err := w.deploy(opts.Cells); err != nil {
		return nil, err
	}
	seed, _ := strconv.ParseInt(w.ID, 16, 64)
	if w.net, err = pickNet(w.ID, int(seed)); err != nil {
		return nil, err
	}
	w.Investigator = w.net.Investigator()
	if err := addInvestigator(w.Investigator); err != nil {
		return nil, err
	}
	w.closers = append(w.closers, func() error { return delInvestigator(w.Investigator) })
	w.closers = append(w.closers, w.deleteLinks)

	for _, in := range w.sortedCells() {
		w.Shared.BBS.SetCell(cellPresence(in.ID, in.IPs[CellsNetwork]))
	}
	for i, in := range w.sortedCells()[:opts.RealCells] {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, err := w.buildCell(i, in, opts.Containers, opts.Suspect && i == 0, opts.EmitInterval)
		if err != nil {
			return nil, fmt.Errorf("build %s/%s: %w", in.Group, in.ID, err)
		}
		w.Cells = append(w.Cells, c)
		logger.Info("cell-ready", lager.Data{"cell_id": in.ID, "ip": c.IP(), "containers": len(c.Containers)})
	}
	w.startConverge()
	for _, c := range w.Cells {
		if opts.ManualAgents {
			break
		}
		if err := w.StartAgent(c, 0); err != nil {
			return nil, err
		}
	}
	w.SetUpAt = time.Now()
	logger.Info("ready", lager.Data{"director_url": w.Sim.URL(), "agent_port": w.AgentPort})
	return w, nil
}

func (w *World) startDirector() error {
	w.seen = &heartbeatSink{counts: map[string]int{}}
	simLogger := lager.NewLogger("directorsim")
	simLogger.RegisterSink(w.seen)
	if f, err := os.OpenFile(filepath.Join(w.Dir, "directorsim.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600); err == nil {
		simLogger.RegisterSink(lager.NewWriterSink(f, lager.INFO))
		w.closers = append(w.closers, f.Close)
	}
	var err error
	w.Sim, err = directorsim.New(directorsim.Options{
		Logger:                    simLogger,
		HeartbeatTimeout:          HeartbeatTimeout,
		HMInterval:                HMInterval,
		ResurrectionRulesInterval: RulesInterval,
		LockWait:                  2 * time.Second,
		OnVMCreated:               w.vmCreated,
	})
	if err != nil {
		return err
	}
	w.closers = append(w.closers, func() error { w.Sim.Close(); return nil })
	// After the simulator in the teardown order: heartbeats stop first.
	w.beats = newHeartbeater(w.Sim)
	w.closers = append(w.closers, func() error { w.beats.close(); return nil })
	w.DirectorCAFile = filepath.Join(w.Dir, "director-ca.pem")
	if err := os.WriteFile(w.DirectorCAFile, w.Sim.CACertPEM(), 0o644); err != nil {
		return err
	}
	client, secret := w.Sim.ClientCredentials()
	w.Conn, err = director.Connect(director.ConnectOptions{URL: w.Sim.URL(), CACert: string(w.Sim.CACertPEM()), Client: client, ClientSecret: secret}, w.Logger)
	return err
}

func (w *World) startNATS() error {
	user, pass := "nats", randomID()+randomID()
	ns, err := natsserver.NewServer(&natsserver.Options{
		Host: "127.0.0.1", Port: natsserver.RANDOM_PORT, Username: user, Password: pass,
		NoLog: true, NoSigs: true, MaxControlLine: 4096,
	})
	if err != nil {
		return fmt.Errorf("nats-server: %w", err)
	}
	go ns.Start()
	w.NATS = ns
	w.closers = append(w.closers, func() error { ns.Shutdown(); ns.WaitForShutdown(); return nil })
	if !ns.ReadyForConnections(10 * time.Second) {
		return errors.New("nats-server did not accept connections within 10s")
	}
	addr := ns.Addr().(*net.TCPAddr)
	w.NATSURL = fmt.Sprintf("nats://%s:%s@127.0.0.1:%d", user, pass, addr.Port)
	w.Routes, err = watchRoutes(w.NATSURL)
	if err != nil {
		return err
	}
	w.closers = append(w.closers, func() error { w.Routes.Close(); return nil })
	return nil
}

func (w *World) deploy(cells int) error {
	if _, err := w.Sim.SetCloudConfig("default", DefaultCloudConfig); err != nil {
		return err
	}
	if _, err := w.Sim.SetCloudConfig(CellsCloudConfigName, CellsCloudConfig); err != nil {
		return err
	}
	w.CellsCloudConfigBefore = CellsCloudConfig
	task, err := w.Sim.Deploy(Manifest(cells))
	if err != nil {
		return err
	}
	if task.State != "done" {
		return fmt.Errorf("deploy of %s: task %d %s: %s", Deployment, task.ID, task.State, task.Result)
	}
	w.Before = map[string]directorsim.Instance{}
	for _, in := range w.Sim.Instances(Deployment) {
		w.Before[in.ID] = in
	}
	w.PriorPaused = w.Sim.ResurrectionPaused()
	return nil
}

func (w *World) sortedCells() []directorsim.Instance {
	out := make([]directorsim.Instance, 0)
	for i := 0; ; i++ {
		in, ok := w.Sim.Instance(Deployment, CellGroup, strconv.Itoa(i))
		if !ok {
			return out
		}
		out = append(out, in)
	}
}

// Each lab cell advertises the room of a small real cell, and each app
// instance asks for what a small app does: the other cells can always take
// what the target runs, as preflight's capacity check wants to know.
const (
	CellMemoryMB = 16384
	CellDiskMB   = 65536
	AppMemoryMB  = 256
	AppDiskMB    = 1024
)

// cellPresence is a rep's presence in BBS, with its capacity.
func cellPresence(id, ip string) *models.CellPresence {
	return &models.CellPresence{CellId: id, RepAddress: "http://" + ip + ":1800", Zone: "z1",
		Capacity: &models.CellCapacity{MemoryMb: CellMemoryMB, DiskMb: CellDiskMB, Containers: 250}}
}

// vmCreated is the simulated IaaS booting a VM: its agent starts to
// heartbeat. A new VM of the target is the replacement cell, whose rep
// takes the cell id's presence in BBS with its own address.
func (w *World) vmCreated(vm directorsim.VM) {
	w.mu.Lock()
	if len(w.Cells) > 0 {
		t := w.Cells[0].Instance
		if vm.InstanceID == t.ID && vm.CID != t.VMCID {
			repPid := monitd.PidFromFile(w.Cells[0].Rig.RepPid)
			w.replacements = append(w.replacements, Replacement{VM: vm, OldRepAlive: repPid > 0 && monitd.Alive(repPid)})
			if w.Shared != nil && len(vm.IPs) > 0 {
				w.Shared.BBS.SetCell(cellPresence(t.ID, vm.IPs[0]))
			}
		}
	}
	w.mu.Unlock()
	// The heartbeater exists before the first deploy.
	w.beats.add(vm.AgentID)
}

// buildCell makes one cell real, with its containers.
func (w *World) buildCell(i int, in directorsim.Instance, n int, suspect bool, emit time.Duration) (*Cell, error) {
	dir := mkdir(w.Dir, fmt.Sprintf("cell-%d", i))
	ip := in.IPs[CellsNetwork]
	if w.AgentPort == 0 {
		port, err := commonPort(w.cellIPs())
		if err != nil {
			return nil, err
		}
		w.AgentPort = port
	}
	logger := w.Logger.Session("cell", lager.Data{"cell_id": in.ID})
	// Garden under the lab's directory, unless its socket's path would
	// pass the 108 bytes a unix socket name may have.
	gardenDir := filepath.Join(dir, "garden")
	if len(gardenDir) > 90 {
		gardenDir = ""
	}
	r, err := cellrig.New(dir, logger, cellrig.Options{
		GardenDir:         gardenDir,
		CellID:            in.ID,
		ListenIP:          ip,
		BoshAgentInterval: HeartbeatInterval,
		HeartbeatURL:      w.Sim.URL() + "/_sim/heartbeat/" + in.AgentID,
		AgentID:           in.AgentID,
		DirectorCAPEM:     w.Sim.CACertPEM(),
		NATSURL:           w.NATSURL,
		EmitInterval:      emit,
		Shared:            w.Shared,
		AgentPort:         w.AgentPort,
	})
	if err != nil {
		return nil, err
	}
	w.closers = append(w.closers, r.Close)
	c := &Cell{Instance: in, Rig: r, AgentLog: filepath.Join(dir, "agent.log")}

	// Until the simulator hears the stand-in, the heartbeater keeps the
	// cell alive; after, only the cell itself does.
	from := w.seen.count(in.AgentID)
	w.beats.remove(in.AgentID)
	if err := waitFor(20*time.Second, "the BOSH agent stand-in's heartbeats to reach the director", func() bool {
		return w.seen.count(in.AgentID) > from+3
	}); err != nil {
		return nil, err
	}
	specs := make([]gardenrunc.Spec, n)
	for j := range specs {
		l, err := w.net.link(len(w.links))
		if err != nil {
			return nil, err
		}
		w.links = append(w.links, l)
		if err := l.add(); err != nil {
			return nil, err
		}
		app := fmt.Sprintf("app-%c", 'a'+j%3)
		specs[j] = gardenrunc.Spec{
			AppGUID: app, AppVersion: "v1", Index: i*n + j, Ports: []int{AppPort},
			NetNS: l.NetNSPath(), IP: l.IP,
			Args: []string{"httpd", "-f", "-p", strconv.Itoa(AppPort), "-h", "/var/www"},
		}
		c.Containers = append(c.Containers, Container{AppGUID: app, Index: i*n + j, IP: l.IP, Port: AppPort, NetNS: l.NetNS, link: l})
	}
	handles, err := r.Garden.Create(specs...)
	if err != nil {
		return nil, err
	}
	for j, h := range handles {
		c.Containers[j].Handle = h
		s := specs[j]
		lrp := bbsdouble.RunningLRP(s.ProcessGUID(), int32(s.Index), h, in.ID)
		lrp.ActualLRPNetInfo = models.NewActualLRPNetInfo(ip, s.IP, models.ActualLRPNetInfo_PreferredAddressHost, models.NewPortMapping(uint32(61000+j), uint32(AppPort)))
		w.Shared.BBS.AddActualLRP(lrp)
		// Preflight weighs the other cells' room for what the target runs.
		w.Shared.BBS.SetDesiredLRP(bbsdouble.DesiredLRP(s.ProcessGUID(), 2, AppMemoryMB, AppDiskMB))
	}
	for _, ctr := range c.Containers {
		if err := waitFor(10*time.Second, "app "+ctr.AppGUID+" to listen on "+ctr.Addr(), func() bool {
			out, _ := Dial(w.Investigator, ctr.Addr(), time.Second)
			return out == "accepted"
		}); err != nil {
			return nil, err
		}
	}
	if suspect {
		// A process stuck in D state, for real: the container's cgroup is
		// frozen (cgroup v1 freezer), which puts its tasks in D, from
		// outside the agent, as a hung kernel would look to it.
		last := len(c.Containers) - 1
		if err := r.Garden.Pause(c.Containers[last].Handle); err != nil {
			return nil, fmt.Errorf("freeze the suspect: %w", err)
		}
		c.Containers[last].Suspect = true
	}
	return c, nil
}

func (w *World) cellIPs() []string {
	var ips []string
	for _, in := range w.sortedCells() {
		ips = append(ips, in.IPs[CellsNetwork])
	}
	return ips
}

// commonPort is a port free on every cell IP: the errand dials every
// agent on one port. The product's default comes first.
func commonPort(ips []string) (int, error) {
	free := func(port int) bool {
		for _, ip := range ips {
			l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
			if err != nil {
				return false
			}
			l.Close()
		}
		return true
	}
	if free(8899) {
		return 8899, nil
	}
	for i := 0; i < 50; i++ {
		l, err := net.Listen("tcp", net.JoinHostPort(ips[0], "0"))
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if free(port) {
			return port, nil
		}
	}
	return 0, errors.New("no port is free on every cell IP")
}

// startConverge plays Locket and BBS convergence: once the target's rep is
// dead its presence lapses and its ActualLRPs get replacements on the next
// cell (when there is one).
func (w *World) startConverge() {
	t := w.Target()
	var other string
	if cells := w.sortedCells(); len(cells) > 1 {
		other = cells[1].ID
	}
	w.stopConverge, w.convergeDone = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(w.convergeDone)
		for {
			select {
			case <-w.stopConverge:
				return
			case <-time.After(100 * time.Millisecond):
			}
			if pid := monitd.PidFromFile(t.Rig.RepPid); pid > 0 && !monitd.Alive(pid) {
				w.mu.Lock()
				replaced := len(w.replacements) > 0
				hook := w.afterRepDies
				w.afterRepDies = nil
				w.mu.Unlock()
				if !replaced {
					w.Shared.BBS.RemoveCell(t.Instance.ID)
				}
				if other != "" {
					w.Shared.BBS.ReplaceNow(bbsdouble.Replacement{From: t.Instance.ID, To: other})
				}
				if hook != nil {
					hook()
				}
				return
			}
		}
	}()
	w.closers = append(w.closers, func() error { close(w.stopConverge); <-w.convergeDone; return nil })
}

// runningAgent is the real sequester agent, served in this process as
// `sequester agent` serves it (agent.Serve with the rendered config).
type runningAgent struct {
	cancel context.CancelFunc
	done   chan error
	log    *os.File
}

// Lab settings of every agent: the suspect threshold is seconds, not
// minutes, and BBS gets a short while to run replacements.
const (
	SuspectAfterSeconds       = 2
	ReplacementTimeoutSeconds = 10
)

// StartAgent serves the cell's real agent with c.Rig.AgentConfig plus the
// lab's settings, until StopAgent or Close. A positive destroyDelay
// stretches each container destroy, so a test can restart the agent while
// it prunes.
func (w *World) StartAgent(c *Cell, destroyDelay time.Duration) error {
	if c.agent != nil {
		return fmt.Errorf("the agent of %s already runs", c.Instance.ID)
	}
	cfg := &c.Rig.AgentConfig
	cfg.DState.PollIntervalSeconds = 1
	cfg.DState.SuspectAfterSeconds = SuspectAfterSeconds
	cfg.BBS.ReplacementTimeoutSeconds = ReplacementTimeoutSeconds
	cfg.SSH.SourceCIDRs = []string{w.Investigator + "/32"}
	f, err := os.OpenFile(c.AgentLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	logger := lager.NewLogger("sequester-agent")
	logger.RegisterSink(lager.NewWriterSink(f, lager.DEBUG))
	ctx, cancel := context.WithCancel(context.Background())
	a := &runningAgent{cancel: cancel, done: make(chan error, 1), log: f}
	go func(cfg config.Agent) {
		tweak := cellrig.Tweak(c.Rig.Passwd, c.Rig.Group, destroyDelay)
		a.done <- agent.Serve(ctx, logger, cfg, func(wired *agent.Wired) {
			tweak(wired)
			if w.AgentHook != nil {
				w.AgentHook(wired)
			}
		})
	}(*cfg)
	c.agent = a
	if !w.agentsClose {
		w.agentsClose = true
		w.closers = append(w.closers, func() error {
			var errs []error
			for _, c := range w.Cells {
				errs = append(errs, w.StopAgent(c))
			}
			return errors.Join(errs...)
		})
	}
	cl := c.Rig.Client()
	return waitFor(30*time.Second, "the agent of "+c.Instance.ID+" to answer", func() bool {
		select {
		case err := <-a.done:
			a.done <- err
			return false
		default:
		}
		_, err := cl.Status(context.Background())
		return err == nil
	})
}

// StopAgent ends the cell's agent as a restart would: a running operation
// stays journaled as running and resumes on the next start. The error is
// the agent's own.
func (w *World) StopAgent(c *Cell) error {
	a := c.agent
	if a == nil {
		return nil
	}
	c.agent = nil
	a.cancel()
	err := <-a.done
	a.log.Close()
	return err
}

// AgentClient dials a cell's agent as the errand does: at the cell's IP,
// checking the certificate against it.
func (w *World) AgentClient(c *Cell) *agentapi.Client {
	return agentapi.NewClient("https://"+net.JoinHostPort(c.IP(), strconv.Itoa(w.AgentPort)), w.Shared.ClientTLS)
}

// WaitForSuspect waits until the target's agent reports the frozen
// container as a suspect, and returns its inventory entry.
func (w *World) WaitForSuspect(ctx context.Context) (agentapi.Container, error) {
	var found agentapi.Container
	var want string
	for _, c := range w.Target().Containers {
		if c.Suspect {
			want = c.Handle
		}
	}
	if want == "" {
		return found, errors.New("the lab made no suspect")
	}
	cl := w.AgentClient(w.Target())
	deadline := time.Now().Add(time.Duration(SuspectAfterSeconds)*time.Second + 30*time.Second)
	for time.Now().Before(deadline) {
		inv, err := cl.Inventory(ctx)
		if err == nil {
			for _, c := range inv.Containers {
				if c.Handle == want && c.Suspect {
					return c, nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return found, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return found, fmt.Errorf("the agent did not report the frozen container %s as a suspect", want)
}

// WaitForRoutes waits until every cell's route emitter has registered
// every one of its containers on NATS.
func (w *World) WaitForRoutes(ctx context.Context) error {
	return waitForCtx(ctx, 3*EmitInterval+10*time.Second, "every container's route on NATS", func() bool {
		for _, c := range w.Cells {
			for _, ctr := range c.Containers {
				if w.Routes.Count(ctr.Handle, time.Time{}) == 0 {
					return false
				}
			}
		}
		return true
	})
}

// Flow is what `sequester cell -d cf diego-cell/ID --bbs-url ...` builds
// for the target: the production mTLS dialer (the cell's IP is in its
// agent's certificate), the BBS checker, and the lab's intervals.
func (w *World) Flow(keep agentapi.Keep, requestedBy string) *director.Flow {
	t := w.Target()
	return &director.Flow{
		Dir: w.Conn.Director, Raw: w.Conn.Raw, Tasks: w.Conn.Tasks, Logger: w.Logger, BBS: w.BBSChecker,
		Store:  record.NewStore(w.Conn.Director, "", w.Logger),
		Agents: director.MTLSAgents(w.AgentPort, w.Shared.ClientTLS),
		Opts: director.Options{
			Deployment: Deployment, Instance: CellGroup + "/" + t.Instance.ID,
			Keep:   keep,
			Reason: "lab rehearsal: a container stuck in D state", CaseID: "LAB-" + w.ID, RequestedBy: requestedBy,
			MaxSequestered:      2,
			ResurrectionMode:    record.ResurrectionScoped,
			ResurrectionWait:    2 * RulesInterval,
			UnresponsiveTimeout: 30 * time.Second,
			CellTimeout:         90 * time.Second,
			PollInterval:        200 * time.Millisecond,
			BBSTimeout:          20 * time.Second,
		},
	}
}

// Close tears everything down in the reverse order it was built: agents,
// cells (garden last, so nothing is left in runc), network namespaces,
// NATS, the director.
func (w *World) Close() error {
	logger := w.Logger.Session("lab", lager.Data{"lab_id": w.ID})
	logger.Info("tearing-down")
	var errs []error
	for i := len(w.closers) - 1; i >= 0; i-- {
		if err := w.closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	w.closers = nil
	err := errors.Join(errs...)
	if err != nil {
		logger.Error("teardown-failed", err)
		return err
	}
	logger.Info("torn-down")
	return nil
}

func (w *World) deleteLinks() error {
	var errs []error
	for _, l := range w.links {
		errs = append(errs, l.del())
	}
	w.links = nil
	return errors.Join(errs...)
}

// NetNSPrefix names every network namespace of this world.
func (w *World) NetNSPrefix() string { return "seqlab-" + w.ID + "-" }

func randomID() string {
	b := make([]byte, 2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func mkdir(parent, name string) string {
	p := filepath.Join(parent, name)
	_ = os.MkdirAll(p, 0o700)
	return p
}

func waitFor(timeout time.Duration, what string, cond func() bool) error {
	return waitForCtx(context.Background(), timeout, what, cond)
}

func waitForCtx(ctx context.Context, timeout time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s", timeout, what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// heartbeater is the BOSH agents of the VMs that are not real cells: each
// POSTs a heartbeat to the simulator every HeartbeatInterval.
type heartbeater struct {
	url    string
	client *http.Client
	mu     sync.Mutex
	agents map[string]bool
	stop   chan struct{}
	done   chan struct{}
}

func newHeartbeater(sim *directorsim.Simulator) *heartbeater {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(sim.CACertPEM())
	h := &heartbeater{
		url: sim.URL(),
		client: &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		}},
		agents: map[string]bool{}, stop: make(chan struct{}), done: make(chan struct{}),
	}
	go h.loop()
	return h
}

func (h *heartbeater) close() {
	close(h.stop)
	<-h.done
	h.client.CloseIdleConnections()
}

func (h *heartbeater) add(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.agents[id] = true
}

func (h *heartbeater) remove(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.agents, id)
}

func (h *heartbeater) loop() {
	defer close(h.done)
	tick := time.NewTicker(HeartbeatInterval)
	defer tick.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-tick.C:
		}
		h.mu.Lock()
		ids := make([]string, 0, len(h.agents))
		for id := range h.agents {
			ids = append(ids, id)
		}
		h.mu.Unlock()
		for _, id := range ids {
			resp, err := h.client.Post(h.url+"/_sim/heartbeat/"+id, "application/json", bytes.NewBufferString(`{"agent_id":"`+id+`"}`))
			if err == nil {
				resp.Body.Close()
			}
		}
	}
}

// heartbeatSink counts the heartbeats the simulator logs, per agent id:
// what the director heard, not what a stand-in says it sent.
type heartbeatSink struct {
	mu     sync.Mutex
	counts map[string]int
}

func (s *heartbeatSink) Log(l lager.LogFormat) {
	if !strings.HasSuffix(l.Message, ".heartbeat") {
		return
	}
	id, _ := l.Data["agent_id"].(string)
	s.mu.Lock()
	s.counts[id]++
	s.mu.Unlock()
}

func (s *heartbeatSink) count(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[id]
}

// Heartbeats is how many heartbeats the director heard from agentID.
func (w *World) Heartbeats(agentID string) int { return w.seen.count(agentID) }
