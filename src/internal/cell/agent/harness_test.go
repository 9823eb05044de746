package agent_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"code.cloudfoundry.org/bbs/models"
	gclient "code.cloudfoundry.org/garden/client"
	"code.cloudfoundry.org/garden/client/connection"
	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi/agentapitest"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/agent"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/monit"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/sshaccess"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/stopper"
	"github.com/cloudfoundry-community/cell-sequestration/internal/config"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/bbsdouble"
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

// cell is one Diego cell on this machine: real garden-over-runc containers,
// a real monit supervising the rep and route-emitter stand-ins, a real
// runsvdir supervising the BOSH-agent stand-in, a BBS double with mTLS, an
// investigator account and a loopback "sshd", and the agent's config.
type cell struct {
	t          *testing.T
	dir        string
	garden     *gardenrunc.Fixture
	monit      *monitd.Daemon
	monitc     *monit.Client
	runit      *runitd.Daemon
	bbs        *bbsdouble.Double
	router     *router
	heartbeats string
	repPid     string
	repStarts  string
	emitterPid string

	cfg        config.Agent
	configPath string
	passwd     string
	group      string
	agentCA    *agentapitest.CA
	agentCAF   string
	clientTLS  *tls.Config
	logFile    string
}

// router counts route registrations, like a gorouter that never forgets.
type router struct {
	srv   *httptest.Server
	count atomic.Int64
}

func newRouter(t *testing.T) *router {
	r := &router{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		r.count.Add(1)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// registering tells whether routes are still being registered: the count
// grows within a few registration intervals.
func (r *router) registering() bool {
	before := r.count.Load()
	for i := 0; i < 40; i++ {
		time.Sleep(50 * time.Millisecond)
		if r.count.Load() > before+2 {
			return true
		}
	}
	return false
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func newCell(t *testing.T) *cell {
	t.Helper()
	if err := gardenrunc.Available(); err != nil {
		t.Skipf("real containers unavailable: %v", err)
	}
	c := &cell{t: t, dir: t.TempDir()}
	c.garden = gardenrunc.Start(t, gardenrunc.Options{})
	c.router = newRouter(t)
	c.repPid = filepath.Join(c.dir, "rep.pid")
	c.repStarts = filepath.Join(c.dir, "rep.starts")
	c.emitterPid = filepath.Join(c.dir, "route_emitter.pid")
	c.monit = monitd.Start(t,
		monitd.Service{
			Name: "rep", PidFile: c.repPid,
			Start: monitd.Background(standins.Command("rep", "--garden-socket", c.garden.Socket(), "--starts-file", c.repStarts), c.repPid, filepath.Join(c.dir, "rep.log")),
			Stop:  monitd.KillTERM(c.repPid),
		},
		monitd.Service{
			Name: "route_emitter", PidFile: c.emitterPid,
			Start: monitd.Background(standins.Command("route-emitter", "--router-url", c.router.srv.URL, "--cell-id", cellID, "--interval", "50ms"), c.emitterPid, filepath.Join(c.dir, "route_emitter.log")),
			Stop:  monitd.KillTERM(c.emitterPid),
		},
	)
	var err error
	c.monitc, err = monit.NewClient(lager.NewLogger("test"), c.monit.Address, c.monit.CredentialsFile)
	if err != nil {
		t.Fatal(err)
	}
	c.heartbeats = filepath.Join(c.dir, "heartbeats")
	c.runit = runitd.Start(t, "agent", "exec "+strings.Join(standins.Command("bosh-agent", "--heartbeat-file", c.heartbeats, "--interval", "50ms"), " "))

	bbsCA, bbsCAFile := agentapitest.NewCA(t, "bbs-ca")
	bbsServer := bbsCA.Issue(t, "bbs.service.cf.internal")
	bbsClient := bbsCA.Issue(t, "route-emitter-client")
	c.bbs, err = bbsdouble.Start(bbsdouble.Options{TLS: &tls.Config{
		Certificates: []tls.Certificate{bbsServer.TLSCertificate(t)},
		ClientAuth:   tls.RequireAndVerifyClientCert, ClientCAs: bbsCA.Pool(), MinVersion: tls.VersionTLS12,
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.bbs.Close)
	c.bbs.SetCell(&models.CellPresence{CellId: cellID, RepAddress: "http://127.0.0.1:1800"})
	c.bbs.SetCell(&models.CellPresence{CellId: "cell-2", RepAddress: "http://127.0.0.2:1800"})

	sshPort := c.investigator()

	c.agentCA, c.agentCAF = agentapitest.NewCA(t, "agent-ca")
	server := c.agentCA.Issue(t, "sequester-agent")
	client := c.agentCA.Issue(t, "sequester-errand")
	c.clientTLS, err = agentapi.ClientTLSConfig(c.agentCAF, client.CertFile, client.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	c.cfg = config.Agent{
		ListenAddress: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		TLS:           config.TLS{CAFile: c.agentCAF, CertFile: server.CertFile, KeyFile: server.KeyFile},
		CellID:        cellID,
		StateDir:      filepath.Join(c.dir, "state"),
		Garden:        config.Garden{Socket: c.garden.Socket(), DepotPath: c.garden.DepotPath()},
		Runc:          config.Runc{Binary: "runc", Root: c.garden.RuncRoot(), CgroupRoot: "/sys/fs/cgroup"},
		Monit: config.Monit{Address: c.monit.Address, CredentialsFile: c.monit.CredentialsFile,
			RouteEmitterService: "route_emitter", RepService: "rep", RepPidFile: c.repPid, RouteEmitterPidFile: c.emitterPid},
		BBS: config.BBS{URL: c.bbs.URL, CAFile: bbsCAFile, CertFile: bbsClient.CertFile, KeyFile: bbsClient.KeyFile,
			ReplacementTimeoutSeconds: 20},
		Evidence:  config.Evidence{Dir: filepath.Join(c.dir, "evidence"), MaxBytes: 8 << 20, LogFiles: []string{filepath.Join(c.dir, "rep.log")}},
		BoshAgent: config.BoshAgent{Stop: true, Supervisor: "auto", RunitService: c.runit.ServiceDir},
		SSH:       config.SSH{User: "investigator", Port: sshPort, SourceCIDRs: []string{"10.244.0.0/16"}},
		DState:    config.DState{PollIntervalSeconds: 1, SuspectAfterSeconds: 60},
		Prune:     config.Prune{Workers: 4},
	}
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

// investigator creates the account files the agent checks and a loopback
// listener standing in for sshd; it returns the port.
func (c *cell) investigator() int {
	home := filepath.Join(c.dir, "home", "investigator")
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		c.t.Fatal(err)
	}
	c.passwd = filepath.Join(c.dir, "passwd")
	c.group = filepath.Join(c.dir, "group")
	must(c.t, os.WriteFile(c.passwd, []byte("investigator:x:1500:1500::"+home+":/bin/bash\n"), 0o644))
	must(c.t, os.WriteFile(c.group, []byte("bosh_sshers:x:1501:investigator\nbosh_sudoers:x:1502:investigator\n"), 0o644))
	must(c.t, os.WriteFile(filepath.Join(home, ".ssh", "authorized_keys"), []byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIinvestigator inv@jumpbox\n"), 0o600))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { l.Close() })
	return l.Addr().(*net.TCPAddr).Port
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

// tweak adapts the wired agent to the test machine: the investigator
// account files, a shorter hold for the rep check, faster BBS polling.
func tweak(passwd, group string, destroyDelay time.Duration) func(*agent.Wired) {
	return func(w *agent.Wired) {
		ssh := w.Deps.SSH.(sshaccess.Checker)
		ssh.PasswdFile, ssh.GroupFile = passwd, group
		w.Deps.SSH = ssh
		rep := w.Deps.Rep.(stopper.Rep)
		rep.Hold = 2 * time.Second
		w.Deps.Rep = rep
		w.Deps.ReplacementPoll = 200 * time.Millisecond
		if destroyDelay > 0 {
			orig := w.Deps.Backend
			w.Deps.Backend = func(ctx context.Context) (containers.Backend, error) {
				b, err := orig(ctx)
				if err != nil {
					return nil, err
				}
				return slowDestroy{Backend: b, delay: destroyDelay}, nil
			}
		}
	}
}

// slowDestroy stretches each destroy so a test can kill the agent while it
// prunes.
type slowDestroy struct {
	containers.Backend
	delay time.Duration
}

func (s slowDestroy) Destroy(ctx context.Context, handle string) ([]string, error) {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.Backend.Destroy(ctx, handle)
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
	logger, f := fileLogger(c.logFile)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- agent.Serve(ctx, logger, c.cfg, tweak(c.passwd, c.group, 0)) }()
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
	return agentapi.NewClient("https://"+c.cfg.ListenAddress, c.clientTLS)
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
	if err := agent.Serve(ctx, logger, cfg, tweak(os.Getenv(envPasswd), os.Getenv(envGroup), delay)); err != nil {
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
	cs, err := gclient.New(connection.New("unix", c.garden.Socket())).Containers(nil)
	if err != nil {
		c.t.Fatal(err)
	}
	out := map[string]bool{}
	for _, x := range cs {
		out[x.Handle()] = true
	}
	return out
}

func (c *cell) repStartCount() (starts, shutdowns int) {
	b, _ := os.ReadFile(c.repStarts)
	return strings.Count(string(b), "start pid="), strings.Count(string(b), "shutdown pid=")
}

func (c *cell) heartbeatCount() int {
	b, _ := os.ReadFile(c.heartbeats)
	return strings.Count(string(b), "\n")
}

func (c *cell) agentHeartbeating() bool {
	before := c.heartbeatCount()
	for i := 0; i < 40; i++ {
		time.Sleep(50 * time.Millisecond)
		if c.heartbeatCount() > before+2 {
			return true
		}
	}
	return false
}

func (c *cell) containerRunning(handle string) bool {
	out, err := c.garden.Runc("state", handle)
	if err != nil {
		return false
	}
	var st struct {
		Status string `json:"status"`
	}
	return json.Unmarshal(out, &st) == nil && (st.Status == "running" || st.Status == "paused")
}

// assertUntouched checks, from the consumer's side, that nothing changed:
// routes are still registered, the rep runs under monit as the same process
// and never ran its cleanup, every container is there, and the BOSH agent
// still heartbeats.
func (c *cell) assertUntouched(t *testing.T, handles []string, repPid int) {
	t.Helper()
	if !c.router.registering() {
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
