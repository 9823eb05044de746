package agent_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"code.cloudfoundry.org/bbs/models"
	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi/agentapitest"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/agent"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/monit"
	"github.com/cloudfoundry-community/cell-sequestration/internal/config"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/bbsdouble"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/cellrig"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/cellrig/cellrigtest"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/standins"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/monitd"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/runitd"
)

// Environment of an agent run as a child process of the test binary, so a
// test can SIGKILL it.
const (
	envAgentConfig  = "SEQUESTER_TEST_AGENT_CONFIG"
	envPasswd       = "SEQUESTER_TEST_PASSWD"
	envGroup        = "SEQUESTER_TEST_GROUP"
	envDestroyDelay = "SEQUESTER_TEST_DESTROY_DELAY"
)

func TestMain(m *testing.M) {
	standins.RunIfRequested()
	if path := os.Getenv(envAgentConfig); path != "" {
		os.Exit(runChildAgent(path))
	}
	os.Exit(m.Run())
}

const cellID = "cell-1"

// cell is one Diego cell on this machine (see cellrig) with the agent's
// config written for a child process. The short fields name the rig's
// parts the tests steer.
type cell struct {
	t          *testing.T
	dir        string
	rig        *cellrig.Rig
	garden     *gardenrunc.Fixture
	monit      *monitd.Daemon
	monitc     *monit.Client
	runit      *runitd.Daemon
	bbs        *bbsdouble.Double
	router     *cellrig.Router
	repPid     string
	emitterPid string

	cfg        config.Agent
	configPath string
	passwd     string
	group      string
	agentCA    *agentapitest.CA
	clientTLS  *tls.Config
	logFile    string
}

// newCell runs the cell on the rig's default monit (the stemcells' 5.2.5
// when built).
func newCell(t *testing.T, tweaks ...func(*cellrig.Options)) *cell {
	t.Helper()
	return newCellWith(t, monitd.Version{}, tweaks...)
}

// newCellWith runs the cell on monit v.
func newCellWith(t *testing.T, v monitd.Version, tweaks ...func(*cellrig.Options)) *cell {
	t.Helper()
	opts := cellrig.Options{CellID: cellID, MonitBinary: v.Binary}
	for _, tw := range tweaks {
		tw(&opts)
	}
	r := cellrigtest.Start(t, lager.NewLogger("test"), opts)
	c := &cell{
		t: t, dir: r.Dir, rig: r,
		garden: r.Garden, monit: r.Monit, monitc: r.MonitClient, runit: r.Runit, bbs: r.BBS, router: r.Router,
		repPid: r.RepPid, emitterPid: r.EmitterPid,
		cfg: r.AgentConfig, passwd: r.Passwd, group: r.Group, agentCA: &agentapitest.CA{CA: r.AgentCA}, clientTLS: r.ClientTLS,
	}
	c.bbs.SetCell(&models.CellPresence{CellId: cellID, RepAddress: "http://127.0.0.1:1800"})
	c.bbs.SetCell(&models.CellPresence{CellId: "cell-2", RepAddress: "http://127.0.0.2:1800"})
	c.logFile = filepath.Join(c.dir, "agent.log")
	c.writeConfig()
	t.Cleanup(func() {
		// SEQUESTER_TEST_KEEP_LOGS=DIR keeps each test's agent log there.
		if dir := os.Getenv("SEQUESTER_TEST_KEEP_LOGS"); dir != "" {
			if b, err := os.ReadFile(c.logFile); err == nil {
				_ = os.WriteFile(filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+".log"), b, 0o600)
			}
		}
		if t.Failed() {
			b, _ := os.ReadFile(c.logFile)
			if len(b) > 20000 {
				b = b[len(b)-20000:]
			}
			t.Logf("agent log tail:\n%s", b)
		}
	})
	return c
}

func (c *cell) writeConfig() {
	b, err := json.MarshalIndent(c.cfg, "", "  ")
	if err != nil {
		c.t.Fatal(err)
	}
	c.configPath = filepath.Join(c.dir, "agent.json")
	if err := os.WriteFile(c.configPath, b, 0o600); err != nil {
		c.t.Fatal(err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// lrpContainers creates containers for LRP instances and registers them in
// BBS on this cell; a zero AppVersion makes a container BBS does not know.
func (c *cell) create(specs ...gardenrunc.Spec) []string {
	c.t.Helper()
	hs, err := c.garden.Create(specs...)
	if err != nil {
		c.t.Fatal(err)
	}
	for i, s := range specs {
		if pg := s.ProcessGUID(); pg != "" {
			c.bbs.AddActualLRP(bbsdouble.RunningLRP(pg, int32(s.Index), hs[i], cellID))
		}
	}
	return hs
}

func fileLogger(path string) (lager.Logger, *os.File) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		panic(err)
	}
	l := lager.NewLogger("sequester-agent")
	l.RegisterSink(lager.NewWriterSink(f, lager.DEBUG))
	return l, f
}

// startAgent runs the agent in this process until the test ends.
func (c *cell) startAgent() *agentapi.Client {
	c.t.Helper()
	return c.startAgentTweaked(func(*agent.Wired) {})
}

// startAgentTweaked serves the agent with the rig's tweaks and then extra.
func (c *cell) startAgentTweaked(extra func(*agent.Wired)) *agentapi.Client {
	c.t.Helper()
	logger, f := fileLogger(c.logFile)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	tweak := cellrig.Tweak(c.passwd, c.group, 0)
	go func() {
		done <- agent.Serve(ctx, logger, c.cfg, func(w *agent.Wired) { tweak(w); extra(w) })
	}()
	c.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			c.t.Errorf("agent: %v", err)
		}
		f.Close()
	})
	return c.waitForAgent(done)
}

func (c *cell) client() *agentapi.Client {
	return c.rig.Client()
}

func (c *cell) waitForAgent(exited <-chan error) *agentapi.Client {
	c.t.Helper()
	cl := c.client()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := cl.Status(context.Background()); err == nil {
			return cl
		}
		select {
		case err := <-exited:
			c.t.Fatalf("agent exited: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	c.t.Fatal("agent did not answer")
	return nil
}

// childAgent is the agent in a child process, to be SIGKILLed.
type childAgent struct {
	cmd *exec.Cmd
	// exited is closed when the process has been reaped.
	exited chan struct{}
}

func (c *cell) startChildAgent(destroyDelay time.Duration) *childAgent {
	c.t.Helper()
	self, err := os.Executable()
	if err != nil {
		c.t.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), envAgentConfig+"="+c.configPath, envPasswd+"="+c.passwd, envGroup+"="+c.group,
		envDestroyDelay+"="+destroyDelay.String(), "SEQUESTER_TEST_AGENT_LOG="+c.logFile)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	ch := &childAgent{cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(ch.exited) }()
	var once sync.Once
	c.t.Cleanup(func() {
		once.Do(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-ch.exited:
			case <-time.After(15 * time.Second):
				_ = cmd.Process.Kill()
				<-ch.exited
			}
		})
	})
	exitErr := make(chan error, 1)
	go func() { <-ch.exited; exitErr <- fmt.Errorf("child agent exited: %v", cmd.ProcessState) }()
	c.waitForAgent(exitErr)
	return ch
}

func runChildAgent(configPath string) int {
	var cfg config.Agent
	if err := config.Load(configPath, &cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	delay, _ := time.ParseDuration(os.Getenv(envDestroyDelay))
	logger, f := fileLogger(os.Getenv("SEQUESTER_TEST_AGENT_LOG"))
	defer f.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := agent.Serve(ctx, logger, cfg, cellrig.Tweak(os.Getenv(envPasswd), os.Getenv(envGroup), delay)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// waitPhase polls the agent until the operation leaves running.
func waitPhase(t *testing.T, cl *agentapi.Client, timeout time.Duration) agentapi.Status {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var st agentapi.Status
	var err error
	for time.Now().Before(deadline) {
		st, err = cl.Status(context.Background())
		if err == nil && st.Phase != agentapi.PhaseRunning {
			return st
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("operation still running after %s: %+v (%v)", timeout, st, err)
	return st
}

// gardenHandles lists the containers garden knows, through its API.
func (c *cell) gardenHandles() map[string]bool {
	c.t.Helper()
	hs, err := c.rig.GardenHandles()
	if err != nil {
		c.t.Fatal(err)
	}
	return hs
}

func (c *cell) repStartCount() (starts, shutdowns int) { return c.rig.RepStartCount() }

func (c *cell) agentHeartbeating() bool { return c.rig.Heartbeating() }

func (c *cell) containerRunning(handle string) bool { return c.rig.ContainerRunning(handle) }

// assertUntouched checks, from the consumer's side, that nothing changed:
// routes are still registered, the rep runs under monit as the same process
// and never ran its cleanup, every container is there, and the BOSH agent
// still heartbeats.
func (c *cell) assertUntouched(t *testing.T, handles []string, repPid int) {
	t.Helper()
	if !c.router.Registering() {
		t.Error("routes are no longer registered")
	}
	if pid := monitd.PidFromFile(c.repPid); pid != repPid || !monitd.Alive(pid) {
		t.Errorf("rep pid %d (was %d) alive=%v", pid, repPid, monitd.Alive(pid))
	}
	if s, err := c.monitc.Service(context.Background(), "rep"); err != nil || s.Monitor != monit.Monitored {
		t.Errorf("monit no longer monitors the rep: %+v %v", s, err)
	}
	if starts, shutdowns := c.repStartCount(); starts != 1 || shutdowns != 0 {
		t.Errorf("rep starts=%d shutdowns=%d", starts, shutdowns)
	}
	have := c.gardenHandles()
	for _, h := range handles {
		if !have[h] || !c.containerRunning(h) {
			t.Errorf("container %s gone or stopped", h)
		}
	}
	if !c.agentHeartbeating() {
		t.Error("BOSH agent stopped heartbeating")
	}
	if _, err := os.Stat(filepath.Join(c.cfg.StateDir, "state.json")); err == nil {
		t.Error("an operation was journaled")
	}
}

func stepByName(st agentapi.Status, name string) agentapi.Step {
	for _, s := range st.Steps {
		if s.Name == name {
			return s
		}
	}
	return agentapi.Step{}
}
