package e2e_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/agent"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/monit"
	"github.com/cloudfoundry-community/cell-sequestration/internal/config"
	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/bbsdouble"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/cellrig"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/directorsim"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/scenario"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/standins"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/monitd"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/realpart"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/runitd"
)

func TestMain(m *testing.M) {
	// The stand-ins run as this test binary (standins.Command).
	standins.RunIfRequested()
	code := m.Run()
	removeSequesterBinary()
	os.Exit(code)
}

const (
	// heartbeatInterval is how often the BOSH-agent stand-ins heartbeat;
	// rulesInterval how long the simulated health monitor keeps the
	// resurrection rules it read (the real one: 60 s): the flow waits
	// twice that after pausing, and must, since the health monitor ticks
	// on its own and would destroy the sequestered VM.
	heartbeatInterval = scenario.HeartbeatInterval
	rulesInterval     = scenario.RulesInterval
)

// requireRealParts skips without root, runc, monit or runit, and fails
// instead when CI is set: there a skip would hide that nothing ran.
func requireRealParts(t *testing.T) {
	t.Helper()
	if err := scenario.Available(); err != nil {
		realpart.Require(t, "end-to-end sequestration", fmt.Errorf("needs %w", err))
	}
}

// lab is the lab platform (package scenario, as `sequester lab` builds
// it) with deployment "cf" of three Diego cells, of which diego-cell/0 is
// real, and the fields the tests steer it by.
type lab struct {
	t      *testing.T
	dir    string
	logger lager.Logger
	w      *scenario.World

	sim  *directorsim.Simulator
	conn *director.Connection
	seen heartbeats

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
	repPid     string
	emitterPid string
	passwd     string
	group      string
	agentCfg   *config.Agent
	agentPort  int
	clientTLS  *tls.Config
	agentLog   string
	// agent is the running agent's cell, nil when stopped.
	agent *scenario.Cell

	handles []string
	kept    string
	keptPid int
	pruned  []string

	mu sync.Mutex
	// answers are the agent's answers to POST /v1/sequester; afterAnswer,
	// when set, runs once after the next one.
	answers     []agentapi.Status
	afterAnswer func()
	// beforeSSHCheck runs before every investigator access check the
	// agent makes.
	beforeSSHCheck func()
	// wrapDeps, when set, wraps the agent's parts when it starts.
	wrapDeps func(*agent.Deps)
}

// hookedSSH is the agent's real investigator access check, after the
// lab's beforeSSHCheck.
type hookedSSH struct {
	agent.SSHChecker
	l *lab
}

func (h hookedSSH) Check() agentapi.SSHStatus {
	h.l.mu.Lock()
	hook := h.l.beforeSSHCheck
	h.l.mu.Unlock()
	if hook != nil {
		hook()
	}
	return h.SSHChecker.Check()
}

// hookAgent is the scenario's agent hook: the tests' SSH check and part
// wrappers around the real agent's parts.
func (l *lab) hookAgent(w *agent.Wired) {
	w.Deps.SSH = hookedSSH{SSHChecker: w.Deps.SSH, l: l}
	l.mu.Lock()
	wrap := l.wrapDeps
	l.mu.Unlock()
	if wrap != nil {
		wrap(&w.Deps)
	}
}

// heartbeats counts what the director heard from each BOSH agent.
type heartbeats struct{ w *scenario.World }

func (h heartbeats) count(agentID string) int { return h.w.Heartbeats(agentID) }

// newLab builds the platform with only diego-cell/0 real; the test starts
// its agent.
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
	// A short directory: garden's socket lives under it.
	dir, err := os.MkdirTemp("", "e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	l.w, err = scenario.New(t.Context(), scenario.Options{
		Dir: dir, Cells: 3, Containers: 4, RealCells: 1, ManualAgents: true, Logger: l.logger,
		// The rig's router counts registrations over two seconds.
		EmitInterval: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	l.w.AgentHook = l.hookAgent
	t.Cleanup(func() {
		if err := l.w.Close(); err != nil {
			t.Errorf("tear down the lab: %v", err)
		}
	})
	l.sim, l.conn, l.seen = l.w.Sim, l.w.Conn, heartbeats{l.w}
	l.before, l.priorPaused = l.w.Before, l.w.PriorPaused
	c := l.w.Target()
	l.target, l.oldIP = c.Instance, c.IP()
	r := c.Rig
	l.rig, l.garden, l.monit, l.monitc, l.runit, l.router = r, r.Garden, r.Monit, r.MonitClient, r.Runit, r.Router
	l.repPid, l.emitterPid = r.RepPid, r.EmitterPid
	l.bbs = r.BBS
	l.passwd, l.group = r.Passwd, r.Group
	for _, ctr := range c.Containers {
		l.handles = append(l.handles, ctr.Handle)
	}
	// The first container is kept by handle.
	l.kept, l.pruned = l.handles[0], l.handles[1:]
	l.keptPid = l.garden.Pid(l.kept)
	// The agent's certificate names the cell's IP, which the production
	// dialer checks.
	l.clientTLS = r.ClientTLS
	l.agentCfg = &r.AgentConfig
	l.agentPort = l.w.AgentPort
	// This lab has always found the route emitter through monit alone;
	// the agent's tests cover the pid-file fallback.
	l.agentCfg.Monit.RouteEmitterPidFile = ""
	l.agentLog = c.AgentLog
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("agent log tail:\n%s", tail(l.agentLog, 15000))
			t.Logf("monit log tail:\n%s", tail(l.monit.LogFile, 3000))
		}
	})
	l.started = time.Now()
	return l
}

const goodGroup = cellrig.InvestigatorGroup

// startAgent serves the real agent until stopAgent or the end of the test.
// destroyDelay stretches each container destroy so a test can restart the
// agent while it prunes.
func (l *lab) startAgent(destroyDelay time.Duration) {
	l.t.Helper()
	if err := l.w.StartAgent(l.w.Target(), destroyDelay); err != nil {
		l.t.Fatal(err)
	}
	l.agent = l.w.Target()
}

// stopAgent ends the agent as a restart would: a running operation stays
// journaled as running and resumes on the next start.
func (l *lab) stopAgent(c *scenario.Cell) {
	if c == nil {
		return
	}
	if err := l.w.StopAgent(c); err != nil {
		l.t.Errorf("agent: %v", err)
	}
	l.agent = nil
}

// flow is what `sequester cell -d cf diego-cell/ID --keep HANDLE` builds,
// with the production mTLS dialer and BBS checker and short intervals.
// It may run outside the test's goroutine, so it does not fail the test.
func (l *lab) flow() *director.Flow {
	f := l.w.Flow(agentapi.Keep{Handles: []string{l.kept}}, "e2e")
	dial := f.Agents
	f.Agents = func(ip string) director.Agent { return &answerRecorder{Agent: dial(ip), l: l} }
	f.Opts.BlockEgress = true
	f.Opts.Reason, f.Opts.CaseID = "processes stuck in D state", "INC-42"
	f.Opts.CellTimeout = 60 * time.Second
	return f
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
