package e2e_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
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
	"testing"
	"time"

	"code.cloudfoundry.org/bbs/models"
	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/agent"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/monit"
	"github.com/cloudfoundry-community/cell-sequestration/internal/config"
	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/bbsdouble"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/cellrig"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/cellrig/cellrigtest"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/directorsim"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/standins"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/monitd"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/realpart"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/runitd"
)

func TestMain(m *testing.M) {
	// The stand-ins run as this test binary (standins.Command).
	standins.RunIfRequested()
	os.Exit(m.Run())
}

// The cells' network is a loopback range so that the IPs the director
// hands out are addresses the real agent can listen on (see doc.go).
const cloudConfig = `# Platform cloud config (kept in git; keep comments)
azs:
- name: z1
vm_types:
- name: default
compilation:
  workers: 1
  network: cells
  az: z1
  vm_type: default
networks:
- name: cells
  type: manual
  subnets:
  - range: 127.0.16.0/24   # cells only
    gateway: 127.0.16.1
    az: z1
    reserved: [127.0.16.1 - 127.0.16.9]
`

const cfManifest = `name: cf
releases: []
stemcells:
- alias: default
  os: ubuntu-jammy
  version: latest
update:
  canaries: 1
  max_in_flight: 1
  canary_watch_time: 1000
  update_watch_time: 1000
instance_groups:
- name: diego-cell
  instances: 3
  azs: [z1]
  vm_type: default
  stemcell: default
  networks:
  - name: cells
  jobs:
  - name: rep
    release: diego
`

const (
	// heartbeatTimeout is how long the simulator waits for a heartbeat
	// before it sees an agent as unresponsive; heartbeats go every
	// heartbeatInterval, so a busy machine has a 20x margin.
	heartbeatTimeout  = 2 * time.Second
	heartbeatInterval = 100 * time.Millisecond
	// rulesInterval is how long the simulated health monitor keeps the
	// resurrection rules it read (the real one: 60 s); the flow waits
	// twice that after pausing, and must: the health monitor ticks on its
	// own and would destroy the sequestered VM.
	rulesInterval = 300 * time.Millisecond
)

// requireRealParts skips without root, runc, monit or runit, and fails
// instead when CI is set: there a skip would hide that nothing ran.
func requireRealParts(t *testing.T) {
	t.Helper()
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	if err := gardenrunc.Available(); err != nil {
		missing = append(missing, "real containers ("+err.Error()+")")
	}
	for _, bin := range []string{"monit", "runsvdir", "sv"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, bin)
		}
	}
	if len(missing) == 0 {
		return
	}
	realpart.Require(t, "end-to-end sequestration", errors.New("needs "+strings.Join(missing, ", ")))
}

// lab is one director simulator with a deployment "cf" of three Diego
// cells, of which diego-cell/0 is real.
type lab struct {
	t      *testing.T
	dir    string
	logger lager.Logger

	sim   *directorsim.Simulator
	conn  *director.Connection
	beats *heartbeater
	seen  *heartbeatSink

	before      map[string]directorsim.Instance
	target      directorsim.Instance
	oldIP       string
	priorPaused bool
	started     time.Time

	// the real cell
	rig        *cellrig.Rig
	garden     *gardenrunc.Fixture
	monit      *monitd.Daemon
	monitc     *monit.Client
	runit      *runitd.Daemon
	router     *cellrig.Router
	bbs        *bbsdouble.Double
	bbsChecker *director.BBSChecker
	repPid     string
	emitterPid string
	passwd     string
	group      string
	agentCfg   config.Agent
	agentPort  int
	clientTLS  *tls.Config
	agentLog   string
	agent      *runningAgent

	handles []string
	kept    string
	keptPid int
	pruned  []string

	mu sync.Mutex
	// replacements are the VMs created for the target after setup, and
	// whether the old rep was still alive when each was created.
	replacements []directorsim.VM
	repAliveThen []bool
	// answers are the agent's answers to POST /v1/sequester; afterAnswer,
	// when set, runs once after the next one.
	answers     []agentapi.Status
	afterAnswer func()
	// afterRepDies runs once, when convergence sees the rep gone.
	afterRepDies func()
}

// newLab starts the simulator and deploys "cf", then builds the real
// target cell around diego-cell/0.
func newLab(t *testing.T) *lab {
	t.Helper()
	requireRealParts(t)
	l := &lab{t: t, dir: t.TempDir()}
	logPath := filepath.Join(l.dir, "sequester.log")
	l.logger = fileLogger(t, "sequester", logPath)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("director flow log tail:\n%s", tail(logPath, 15000))
		}
	})

	l.seen = &heartbeatSink{counts: map[string]int{}}
	simLogger := lager.NewLogger("directorsim")
	simLogger.RegisterSink(l.seen)
	var err error
	l.sim, err = directorsim.New(directorsim.Options{
		Logger:                    simLogger,
		HeartbeatTimeout:          heartbeatTimeout,
		HMInterval:                50 * time.Millisecond,
		ResurrectionRulesInterval: rulesInterval,
		LockWait:                  2 * time.Second,
		OnVMCreated:               l.vmCreated,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.sim.Close)
	// After the simulator in the cleanup order: heartbeats stop first.
	l.beats = newHeartbeater(t, l.sim)
	if _, err := l.sim.SetCloudConfig("default", cloudConfig); err != nil {
		t.Fatal(err)
	}
	if _, err := l.sim.Deploy(cfManifest); err != nil {
		t.Fatal(err)
	}
	l.before = map[string]directorsim.Instance{}
	for _, in := range l.sim.Instances("cf") {
		l.before[in.ID] = in
	}
	tgt, ok := l.sim.Instance("cf", "diego-cell", "0")
	if !ok {
		t.Fatal("no diego-cell/0")
	}
	l.mu.Lock()
	l.target = tgt
	l.mu.Unlock()
	l.oldIP = tgt.IPs["cells"]
	client, secret := l.sim.ClientCredentials()
	l.conn, err = director.Connect(director.ConnectOptions{URL: l.sim.URL(), CACert: string(l.sim.CACertPEM()), Client: client, ClientSecret: secret}, l.logger)
	if err != nil {
		t.Fatal(err)
	}
	l.buildCell()
	l.priorPaused = l.sim.ResurrectionPaused()
	l.started = time.Now()
	return l
}

// vmCreated is the simulated IaaS booting a VM: its agent starts to
// heartbeat. A new VM of the target is the replacement cell, whose rep
// takes the cell id's presence in BBS with its own address.
func (l *lab) vmCreated(vm directorsim.VM) {
	l.mu.Lock()
	target := l.target
	if target.ID != "" && vm.InstanceID == target.ID && vm.CID != target.VMCID {
		l.replacements = append(l.replacements, vm)
		l.repAliveThen = append(l.repAliveThen, monitd.Alive(monitd.PidFromFile(l.repPid)))
		if l.bbs != nil && len(vm.IPs) > 0 {
			l.bbs.SetCell(&models.CellPresence{CellId: target.ID, RepAddress: "http://" + vm.IPs[0] + ":1800"})
		}
	}
	l.mu.Unlock()
	// The lab's heartbeater exists before the first deploy.
	l.beats.add(vm.AgentID)
}

// buildCell makes diego-cell/0 real (see cellrig), with the BOSH agent
// heartbeating to the simulator, BBS holding every cell of "cf" and four
// app instances on this one.
func (l *lab) buildCell() {
	t := l.t
	t.Helper()
	r := cellrigtest.Start(t, lager.NewLogger("test"), cellrig.Options{
		CellID:            l.target.ID,
		ListenIP:          l.oldIP,
		BoshAgentInterval: heartbeatInterval,
		HeartbeatURL:      l.sim.URL() + "/_sim/heartbeat/" + l.target.AgentID,
		AgentID:           l.target.AgentID,
		DirectorCAPEM:     l.sim.CACertPEM(),
	})
	l.garden, l.monit, l.monitc, l.runit, l.router = r.Garden, r.Monit, r.MonitClient, r.Runit, r.Router
	l.repPid, l.emitterPid = r.RepPid, r.EmitterPid
	l.bbs = r.BBS
	l.passwd, l.group = r.Passwd, r.Group
	l.rig = r
	// Until the simulator hears the stand-in, the lab's heartbeater keeps
	// the target alive; after, only the real cell does.
	from := l.seen.count(l.target.AgentID)
	l.beats.remove(l.target.AgentID)
	waitFor(t, 20*time.Second, "the BOSH agent stand-in's heartbeats to reach the director", func() bool {
		return l.seen.count(l.target.AgentID) > from+3
	})

	// What `sequester cell --bbs-url ...` builds for the Diego-side check.
	var err error
	l.bbsChecker, err = director.NewBBSChecker(l.bbs.URL, r.BBSCAFile, r.BBSClient.CertFile, r.BBSClient.KeyFile, l.logger)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range l.before {
		l.bbs.SetCell(&models.CellPresence{CellId: in.ID, RepAddress: "http://" + in.IPs["cells"] + ":1800"})
	}

	// Four app instances on the cell; the first is kept by handle.
	specs := []gardenrunc.Spec{
		{AppGUID: "app-keep", AppVersion: "v1", Index: 0, Ports: []int{8080}},
		{AppGUID: "app-a", AppVersion: "v1", Index: 0, Ports: []int{8080}},
		{AppGUID: "app-a", AppVersion: "v1", Index: 1, Ports: []int{8080}},
		{AppGUID: "app-b", AppVersion: "v1", Index: 0, Ports: []int{8080}},
	}
	l.handles, err = l.garden.Create(specs...)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range specs {
		lrp := bbsdouble.RunningLRP(s.ProcessGUID(), int32(s.Index), l.handles[i], l.target.ID)
		lrp.ActualLRPNetInfo = models.NewActualLRPNetInfo(l.oldIP, "10.255.0."+strconv.Itoa(i+2), models.ActualLRPNetInfo_PreferredAddressHost, models.NewPortMapping(61000+uint32(i), 8080))
		l.bbs.AddActualLRP(lrp)
	}
	l.kept, l.pruned = l.handles[0], l.handles[1:]
	l.keptPid = l.garden.Pid(l.kept)
	l.converge()

	l.clientTLS = r.ClientTLS
	// As `--agent-server-name`: the test CA's certificates name the agent,
	// not the cell's IP.
	l.clientTLS.ServerName = "sequester-agent"
	l.agentCfg = r.AgentConfig
	_, port, _ := net.SplitHostPort(l.agentCfg.ListenAddress)
	l.agentPort, _ = strconv.Atoi(port)
	// This lab has always found the route emitter through monit alone;
	// the agent's tests cover the pid-file fallback.
	l.agentCfg.Monit.RouteEmitterPidFile = ""
	l.agentLog = filepath.Join(l.dir, "agent.log")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("agent log tail:\n%s", tail(l.agentLog, 15000))
			t.Logf("monit log tail:\n%s", tail(l.monit.LogFile, 3000))
		}
	})
}

// converge plays Locket and BBS convergence: once the rep is dead its
// presence lapses and its ActualLRPs get replacements on diego-cell/1.
func (l *lab) converge() {
	var other string
	for _, in := range l.before {
		if in.Index == 1 {
			other = in.ID
		}
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			if pid := monitd.PidFromFile(l.repPid); pid > 0 && !monitd.Alive(pid) {
				l.mu.Lock()
				hook := l.afterRepDies
				l.afterRepDies = nil
				replaced := len(l.replacements) > 0
				l.mu.Unlock()
				if !replaced {
					l.bbs.RemoveCell(l.target.ID)
				}
				l.bbs.ReplaceNow(bbsdouble.Replacement{From: l.target.ID, To: other})
				if hook != nil {
					hook()
				}
				return
			}
		}
	}()
	l.t.Cleanup(func() { close(stop); <-done })
}

const goodGroup = cellrig.InvestigatorGroup

// runningAgent is the real sequester-agent, served in this process as
// `sequester agent` serves it (agent.Serve with the rendered config).
type runningAgent struct {
	cancel context.CancelFunc
	done   chan error
	log    *os.File
}

// startAgent serves the real agent until stopAgent or the end of the test.
// destroyDelay stretches each container destroy so a test can restart the
// agent while it prunes.
func (l *lab) startAgent(destroyDelay time.Duration) {
	t := l.t
	t.Helper()
	f, err := os.OpenFile(l.agentLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	logger := lager.NewLogger("sequester-agent")
	logger.RegisterSink(lager.NewWriterSink(f, lager.DEBUG))
	ctx, cancel := context.WithCancel(context.Background())
	a := &runningAgent{cancel: cancel, done: make(chan error, 1), log: f}
	go func() { a.done <- agent.Serve(ctx, logger, l.agentCfg, cellrig.Tweak(l.passwd, l.group, destroyDelay)) }()
	l.agent = a
	t.Cleanup(func() { l.stopAgent(a) })
	deadline := time.Now().Add(30 * time.Second)
	cl := agentapi.NewClient("https://"+l.agentCfg.ListenAddress, l.clientTLS)
	for {
		if _, err := cl.Status(context.Background()); err == nil {
			return
		}
		select {
		case err := <-a.done:
			a.done <- err
			t.Fatalf("agent exited: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the agent did not answer")
		}
	}
}

// stopAgent ends the agent as a restart would: a running operation stays
// journaled as running and resumes on the next start.
func (l *lab) stopAgent(a *runningAgent) {
	if a == nil || a.cancel == nil {
		return
	}
	a.cancel()
	if err := <-a.done; err != nil {
		l.t.Errorf("agent: %v", err)
	}
	a.cancel = nil
	a.log.Close()
}

// flow is what `sequester cell -d cf diego-cell/ID --keep HANDLE` builds,
// with the production mTLS dialer and BBS checker and short intervals.
// It may run outside the test's goroutine, so it does not fail the test.
func (l *lab) flow() *director.Flow {
	dial := director.MTLSAgents(l.agentPort, l.clientTLS)
	return &director.Flow{
		Dir: l.conn.Director, Raw: l.conn.Raw, Tasks: l.conn.Tasks, BBS: l.bbsChecker, Logger: l.logger,
		Store:  record.NewStore(l.conn.Director, "", l.logger),
		Agents: func(ip string) director.Agent { return &answerRecorder{Agent: dial(ip), l: l} },
		Opts: director.Options{
			Deployment: "cf", Instance: "diego-cell/" + l.target.ID,
			Keep:        agentapi.Keep{Handles: []string{l.kept}},
			BlockEgress: true,
			Reason:      "processes stuck in D state", CaseID: "INC-42", RequestedBy: "e2e",
			MaxSequestered:      2,
			ResurrectionWait:    2 * rulesInterval,
			UnresponsiveTimeout: 30 * time.Second,
			CellTimeout:         60 * time.Second,
			PollInterval:        100 * time.Millisecond,
			BBSTimeout:          20 * time.Second,
		},
	}
}

// answerRecorder keeps the agent's answers to POST /v1/sequester: what
// the director reads right after asking is part of the contract.
type answerRecorder struct {
	director.Agent
	l *lab
}

func (a *answerRecorder) Sequester(ctx context.Context, req agentapi.SequesterRequest) (agentapi.Status, error) {
	st, err := a.Agent.Sequester(ctx, req)
	if err != nil {
		return st, err
	}
	a.l.mu.Lock()
	a.l.answers = append(a.l.answers, st)
	hook := a.l.afterAnswer
	a.l.afterAnswer = nil
	a.l.mu.Unlock()
	if hook != nil {
		hook()
	}
	return st, nil
}

func (l *lab) run() (*director.Report, error) {
	return l.runWithin(context.Background())
}

func (l *lab) runWithin(ctx context.Context) (*director.Report, error) {
	ctx, cancel := context.WithTimeout(ctx, 80*time.Second)
	defer cancel()
	return l.flow().Run(ctx)
}

// takeAnswers returns the agent's answers so far and forgets them.
func (l *lab) takeAnswers() []agentapi.Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.answers
	l.answers = nil
	return out
}

// heartbeater is the BOSH agents of the cells that are not real: each
// POSTs a heartbeat to the simulator every heartbeatInterval.
type heartbeater struct {
	url    string
	client *http.Client
	mu     sync.Mutex
	agents map[string]bool
	stop   chan struct{}
	done   chan struct{}
}

func newHeartbeater(t *testing.T, sim *directorsim.Simulator) *heartbeater {
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
	t.Cleanup(func() { close(h.stop); <-h.done; h.client.CloseIdleConnections() })
	return h
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
	tick := time.NewTicker(heartbeatInterval)
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

func (l *lab) repStartCount() (starts, shutdowns int) { return l.rig.RepStartCount() }

func (l *lab) gardenHandles() map[string]bool {
	l.t.Helper()
	hs, err := l.rig.GardenHandles()
	if err != nil {
		l.t.Fatal(err)
	}
	return hs
}

// runcHandles lists what runc itself knows, below garden.
func (l *lab) runcHandles() map[string]string {
	l.t.Helper()
	out, err := l.garden.Runc("list", "--format", "json")
	if err != nil {
		l.t.Fatalf("runc list: %v\n%s", err, out)
	}
	var list []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal(out, &list); err != nil && len(bytes.TrimSpace(out)) > 0 && string(bytes.TrimSpace(out)) != "null" {
		l.t.Fatalf("runc list: %v\n%s", err, out)
	}
	m := map[string]string{}
	for _, c := range list {
		m[c.ID] = c.Status
	}
	return m
}

func fileLogger(t *testing.T, name, path string) lager.Logger {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	l := lager.NewLogger(name)
	l.RegisterSink(lager.NewWriterSink(f, lager.DEBUG))
	return l
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func stepOf(rep *director.Report, name string) director.ReportStep {
	for _, s := range rep.Steps {
		if s.Name == name {
			return s
		}
	}
	return director.ReportStep{}
}

func fmtSteps(rep *director.Report) string {
	var b strings.Builder
	for _, s := range rep.Steps {
		fmt.Fprintf(&b, "  %s %s %s\n", s.Name, s.State, s.Error)
	}
	return b.String()
}
