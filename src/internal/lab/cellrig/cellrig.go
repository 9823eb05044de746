// Package cellrig assembles one Diego cell on this machine out of real
// parts and faithful stand-ins, for the agent's integration tests, the
// end-to-end tests and `sequester lab`: garden-over-runc containers, a real
// monit supervising the rep and route-emitter stand-ins, a real runsvdir
// supervising the BOSH-agent stand-in, a BBS double behind mTLS, an
// investigator account with a loopback "sshd", and the agent's config and
// certificates.
//
// The rig keeps the hazards sequestration exists for: the rep stand-in
// destroys every container when monit stops it and the executor-owned ones
// when it starts, the route emitter never unregisters, the BOSH-agent
// stand-in keeps heartbeating (to a file, and to a director when asked)
// until runit stops it and starts every monit job when the director's
// answer tells of a deploy that applied to it, and runit honours a `down`
// file.
//
// The core takes a directory and a logger so that it can run outside a
// test; cellrigtest.Start is the testing.TB wrapper.
package cellrig

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	gclient "code.cloudfoundry.org/garden/client"
	"code.cloudfoundry.org/garden/client/connection"
	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/agent"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/monit"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/sshaccess"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/stopper"
	"github.com/cloudfoundry-community/cell-sequestration/internal/certs"
	"github.com/cloudfoundry-community/cell-sequestration/internal/config"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/bbsdouble"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/bpmjobs"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/monitd"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/runitd"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/standins"
)

// InvestigatorGroup is the group file that lets the investigator in: a
// member of both groups BOSH grants SSH and sudo through.
const InvestigatorGroup = "bosh_sshers:x:1501:investigator\nbosh_sudoers:x:1502:investigator\n"

// Options configure a rig. Zero values suit the agent's tests.
type Options struct {
	// CellID is the cell's id in BBS and in the route emitter's
	// registrations (default "cell-1").
	CellID string
	// ListenIP is where the agent listens (default 127.0.0.1); the
	// end-to-end lab uses the IP the director gave the cell.
	ListenIP string
	// BoshAgentInterval is the BOSH-agent stand-in's heartbeat interval
	// (default 50ms).
	BoshAgentInterval time.Duration
	// HeartbeatURL, when set, is where the BOSH-agent stand-in also POSTs
	// its heartbeats as AgentID, trusting DirectorCAPEM: a director that
	// must keep hearing the cell.
	HeartbeatURL  string
	AgentID       string
	DirectorCAPEM []byte
	// Detached starts the stand-ins without the tie to this process, for a
	// lab whose cell outlives the command that built it.
	Detached bool
	// BPMJobs runs the rep and route-emitter stand-ins the way bpm runs
	// the real ones (pid files under sys/run/bpm, a cgroup each named like
	// bpm's, starts under bpm's lock), so the agent can stop them when
	// monit does not answer. Needs root and the cgroup v1 pids hierarchy.
	BPMJobs bool
	// MonitBinary is the monit the cell runs. Default: the stemcells'
	// monit 5.2.5 when scripts/install-monit-525 built it (MONIT_525_BIN
	// or .cache), else Debian's monit from PATH; Rig.Monit.Version says
	// which ran.
	MonitBinary string
	// NATSURL, when set, is where the route-emitter stand-in also
	// publishes router.register for the cell's containers (garden's
	// containers with their IP and network.ports), every EmitInterval.
	NATSURL string
	// EmitInterval is the route-emitter stand-in's interval (default 50ms).
	EmitInterval time.Duration
	// Shared, when set, are parts several cells share: one BBS and one
	// agent CA for the whole platform, as in a real deployment. Without
	// it the rig makes its own.
	Shared *Shared
	// AgentPort is the agent's port (default: a free one on ListenIP).
	AgentPort int
	// GardenDir holds garden's socket, depot and runc root (default: a
	// new temporary directory); Close removes it.
	GardenDir string
}

// Shared are the platform-wide parts of a lab with several cells.
type Shared struct {
	BBS       *bbsdouble.Double
	BBSCAFile string
	BBSClient certs.Pair
	// AgentCA signs every agent's server certificate and the errand's
	// client certificate ClientTLS is built from.
	AgentCA     *certs.CA
	AgentCAFile string
	ClientCert  certs.Pair
	ClientTLS   *tls.Config
}

// NewShared makes a BBS double behind mTLS and an agent CA with the
// errand's client certificate, under dir (which must exist).
func NewShared(dir string) (_ *Shared, err error) {
	s := &Shared{}
	bbsCA, bbsCAFile, err := certs.NewCA(dir, "bbs-ca")
	if err != nil {
		return nil, err
	}
	s.BBSCAFile = bbsCAFile
	bbsServer, err := bbsCA.Issue(dir, "bbs.service.cf.internal")
	if err != nil {
		return nil, err
	}
	if s.BBSClient, err = bbsCA.Issue(dir, "bbs-client"); err != nil {
		return nil, err
	}
	bbsCert, err := bbsServer.TLSCertificate()
	if err != nil {
		return nil, err
	}
	s.AgentCA, s.AgentCAFile, err = certs.NewCA(dir, "agent-ca")
	if err != nil {
		return nil, err
	}
	s.ClientCert, err = s.AgentCA.Issue(dir, "sequester-errand")
	if err != nil {
		return nil, err
	}
	s.ClientTLS, err = agentapi.ClientTLSConfig(s.AgentCAFile, s.ClientCert.CertFile, s.ClientCert.KeyFile)
	if err != nil {
		return nil, err
	}
	s.BBS, err = bbsdouble.Start(bbsdouble.Options{TLS: &tls.Config{
		Certificates: []tls.Certificate{bbsCert},
		ClientAuth:   tls.RequireAndVerifyClientCert, ClientCAs: bbsCA.Pool(), MinVersion: tls.VersionTLS12,
	}})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Close stops the BBS double.
func (s *Shared) Close() { s.BBS.Close() }

// Rig is a running cell. Its fields are for the harness to inspect and
// steer the parts; Close tears everything down.
type Rig struct {
	Dir    string
	CellID string

	Garden      *gardenrunc.Fixture
	Monit       *monitd.Daemon
	MonitClient *monit.Client
	Runit       *runitd.Daemon
	// BPM is the bpm layout of the rep and route emitter (Options.BPMJobs).
	BPM       *bpmjobs.Layout
	Router    *Router
	BBS       *bbsdouble.Double
	BBSCAFile string
	BBSClient certs.Pair

	RepPid, RepStarts, RepLog, EmitterPid, Heartbeats string
	// Applies is where the BOSH-agent stand-in notes each apply it acted
	// on by starting every monit job.
	Applies string

	// Passwd and Group are the investigator account's files, SSHPort the
	// loopback listener standing in for sshd.
	Passwd, Group string
	SSHPort       int

	AgentCA     *certs.CA
	AgentCAFile string
	// ClientTLS is what the errand dials the agent with.
	ClientTLS *tls.Config
	// AgentConfig is the agent's config for this cell, as the job template
	// would render it.
	AgentConfig config.Agent

	closers []func() error
}

// Available says why this machine cannot host a rig, or nil.
func Available() error {
	if err := gardenrunc.Available(); err != nil {
		return fmt.Errorf("real containers unavailable: %w", err)
	}
	var missing []string
	if monitd.DefaultBinary() == "" {
		missing = append(missing, "monit")
	}
	for _, bin := range []string{"runsvdir", "sv"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, bin)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s not installed", strings.Join(missing, ", "))
	}
	return nil
}

// New builds the cell under dir, which must exist. On error, whatever was
// started is torn down again.
func New(dir string, logger lager.Logger, opts Options) (_ *Rig, err error) {
	if opts.CellID == "" {
		opts.CellID = "cell-1"
	}
	if opts.ListenIP == "" {
		opts.ListenIP = "127.0.0.1"
	}
	if opts.BoshAgentInterval == 0 {
		opts.BoshAgentInterval = 50 * time.Millisecond
	}
	if opts.EmitInterval == 0 {
		opts.EmitInterval = 50 * time.Millisecond
	}
	command := standins.Command
	if opts.Detached {
		command = standins.DetachedCommand
	}
	r := &Rig{
		Dir: dir, CellID: opts.CellID,
		RepPid:     filepath.Join(dir, "rep.pid"),
		RepStarts:  filepath.Join(dir, "rep.starts"),
		RepLog:     filepath.Join(dir, "rep.log"),
		EmitterPid: filepath.Join(dir, "route_emitter.pid"),
		Heartbeats: filepath.Join(dir, "heartbeats"),
		Applies:    filepath.Join(dir, "applies"),
	}
	defer func() {
		if err != nil {
			// The error that stopped New matters more than a failed cleanup.
			_ = r.Close()
		}
	}()
	sub := func(name string) (string, error) {
		p := filepath.Join(dir, name)
		return p, os.MkdirAll(p, 0o700)
	}

	if opts.GardenDir != "" {
		if err := os.MkdirAll(opts.GardenDir, 0o700); err != nil {
			return nil, err
		}
	}
	r.Garden, err = gardenrunc.New(opts.GardenDir, gardenrunc.Options{})
	if err != nil {
		return nil, fmt.Errorf("start garden: %w", err)
	}
	r.closers = append(r.closers, func() error {
		if err := r.Garden.Close(); err != nil {
			return fmt.Errorf("clean up gardenrunc fixture: %w", err)
		}
		return nil
	})
	if opts.NATSURL != "" {
		if err := os.WriteFile(filepath.Join(dir, "nats.url"), []byte(opts.NATSURL), 0o600); err != nil {
			return nil, err
		}
	}
	r.Router = newRouter()
	r.closers = append(r.closers, quiet(r.Router.srv.Close))

	monitDir, err := sub("monit")
	if err != nil {
		return nil, err
	}
	repArgv := command("rep", "--garden-socket", r.Garden.Socket(), "--starts-file", r.RepStarts)
	emitterArgv := command("route-emitter", emitterArgs(r, opts)...)
	emitterLog := filepath.Join(dir, "route_emitter.log")
	repStart := monitd.Background(repArgv, r.RepPid, r.RepLog)
	emitterStart := monitd.Background(emitterArgv, r.EmitterPid, emitterLog)
	if opts.BPMJobs {
		bpmDir, err := sub("bpm")
		if err != nil {
			return nil, err
		}
		if r.BPM, err = bpmjobs.New(bpmDir); err != nil {
			return nil, fmt.Errorf("bpm layout: %w", err)
		}
		// Closed after monit (closers run in reverse), so monit cannot
		// start a job again once its cgroup is emptied.
		r.closers = append(r.closers, quiet(r.BPM.Close))
		r.RepPid, r.EmitterPid = r.BPM.PidFile("rep"), r.BPM.PidFile("route_emitter")
		if repStart, err = r.BPM.StartProgram("rep", repArgv, r.RepLog); err != nil {
			return nil, err
		}
		if emitterStart, err = r.BPM.StartProgram("route_emitter", emitterArgv, emitterLog); err != nil {
			return nil, err
		}
	}
	if opts.MonitBinary == "" {
		opts.MonitBinary = monitd.DefaultBinary()
	}
	r.Monit, err = monitd.NewWith(monitDir, monitd.Options{Binary: opts.MonitBinary},
		monitd.Service{Name: "rep", PidFile: r.RepPid, Start: repStart, Stop: monitd.KillTERM(r.RepPid)},
		monitd.Service{Name: "route_emitter", PidFile: r.EmitterPid, Start: emitterStart, Stop: monitd.KillTERM(r.EmitterPid)},
	)
	if err != nil {
		return nil, err
	}
	r.closers = append(r.closers, quiet(r.Monit.Close))
	r.MonitClient, err = monit.NewClient(logger.Session("monit"), r.Monit.Address, r.Monit.CredentialsFile)
	if err != nil {
		return nil, err
	}

	// Like the real one, the stand-in starts every monit job when a deploy
	// applies to its instance.
	args := []string{"--heartbeat-file", r.Heartbeats, "--interval", opts.BoshAgentInterval.String(),
		"--monit-address", r.Monit.Address, "--monit-credentials", r.Monit.CredentialsFile, "--applies-file", r.Applies}
	var env []string
	if opts.HeartbeatURL != "" {
		// The stand-in heartbeats over TLS; SSL_CERT_FILE makes it trust
		// the director's certificate.
		caFile := filepath.Join(dir, "director-ca.pem")
		if err := os.WriteFile(caFile, opts.DirectorCAPEM, 0o644); err != nil {
			return nil, err
		}
		env = []string{"/usr/bin/env", "SSL_CERT_FILE=" + caFile}
		args = append([]string{"--heartbeat-url", opts.HeartbeatURL, "--agent-id", opts.AgentID}, args...)
	}
	argv := append(env, command("bosh-agent", args...)...)
	runitDir, err := sub("runit")
	if err != nil {
		return nil, err
	}
	r.Runit, err = runitd.New(runitDir, "agent", "exec "+strings.Join(argv, " "))
	if err != nil {
		return nil, err
	}
	r.closers = append(r.closers, quiet(r.Runit.Close))

	certDir, err := sub("certs")
	if err != nil {
		return nil, err
	}
	shared := opts.Shared
	if shared == nil {
		if shared, err = NewShared(certDir); err != nil {
			return nil, err
		}
		r.closers = append(r.closers, quiet(shared.Close))
	}
	r.BBS, r.BBSCAFile, r.BBSClient = shared.BBS, shared.BBSCAFile, shared.BBSClient
	r.AgentCA, r.AgentCAFile = shared.AgentCA, shared.AgentCAFile
	r.ClientTLS = shared.ClientTLS.Clone()

	if err := r.investigator(); err != nil {
		return nil, err
	}

	// The server certificate names the cell's IP, as the errand dials it.
	// The cell's IP and the name the shipped manifests put in every
	// agent's certificate (the CLI's --agent-server-name default).
	server, err := r.AgentCA.Issue(certDir, "sequester-agent", opts.ListenIP, agentapi.DefaultServerName)
	if err != nil {
		return nil, err
	}
	port := opts.AgentPort
	if port == 0 {
		if port, err = freePort(opts.ListenIP); err != nil {
			return nil, err
		}
	}
	r.AgentConfig = config.Agent{
		ListenAddress: net.JoinHostPort(opts.ListenIP, strconv.Itoa(port)),
		TLS:           config.TLS{CAFile: r.AgentCAFile, CertFile: server.CertFile, KeyFile: server.KeyFile},
		CellID:        r.CellID,
		StateDir:      filepath.Join(dir, "agent-state"),
		Garden:        config.Garden{Socket: r.Garden.Socket(), DepotPath: r.Garden.DepotPath()},
		Runc:          config.Runc{Binary: "runc", Root: r.Garden.RuncRoot(), CgroupRoot: "/sys/fs/cgroup"},
		Monit: config.Monit{Address: r.Monit.Address, CredentialsFile: r.Monit.CredentialsFile,
			RouteEmitterService: "route_emitter", RepService: "rep", RepPidFile: r.RepPid, RouteEmitterPidFile: r.EmitterPid},
		BBS: config.BBS{URL: r.BBS.URL, CAFile: r.BBSCAFile, CertFile: r.BBSClient.CertFile, KeyFile: r.BBSClient.KeyFile,
			ReplacementTimeoutSeconds: 20},
		Evidence:  config.Evidence{Dir: filepath.Join(dir, "evidence"), MaxBytes: 8 << 20, LogFiles: []string{r.RepLog}},
		BoshAgent: config.BoshAgent{Stop: true, Supervisor: "auto", RunitService: r.Runit.ServiceDir},
		SSH:       config.SSH{User: "investigator", Port: r.SSHPort, SourceCIDRs: []string{"10.244.0.0/16"}},
		DState:    config.DState{PollIntervalSeconds: 1, SuspectAfterSeconds: 60},
		Prune:     config.Prune{Workers: 4},
	}
	return r, nil
}

func emitterArgs(r *Rig, opts Options) []string {
	args := []string{"--router-url", r.Router.URL(), "--cell-id", r.CellID, "--interval", opts.EmitInterval.String()}
	if opts.NATSURL != "" {
		args = append(args, "--nats-url-file", filepath.Join(r.Dir, "nats.url"), "--garden-socket", r.Garden.Socket())
	}
	return args
}

// Close tears the cell down in the reverse order of New: the agent's
// dependencies go before the supervisors, and garden last, so the rep's
// shutdown still finds the containers it destroys. The error is a
// container garden could not clean up: a leak the caller should hear of.
func (r *Rig) Close() error {
	var errs []error
	for i := len(r.closers) - 1; i >= 0; i-- {
		errs = append(errs, r.closers[i]())
	}
	r.closers = nil
	return errors.Join(errs...)
}

func quiet(f func()) func() error { return func() error { f(); return nil } }

// investigator creates the account files the agent checks and a loopback
// listener standing in for sshd.
func (r *Rig) investigator() error {
	home := filepath.Join(r.Dir, "home", "investigator")
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		return err
	}
	r.Passwd = filepath.Join(r.Dir, "passwd")
	r.Group = filepath.Join(r.Dir, "group")
	if err := errors.Join(
		os.WriteFile(r.Passwd, []byte("investigator:x:1500:1500::"+home+":/bin/bash\n"), 0o644),
		os.WriteFile(r.Group, []byte(InvestigatorGroup), 0o644),
		os.WriteFile(filepath.Join(home, ".ssh", "authorized_keys"), []byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIinvestigator inv@jumpbox\n"), 0o600),
	); err != nil {
		return err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	r.closers = append(r.closers, func() error { l.Close(); return nil })
	r.SSHPort = l.Addr().(*net.TCPAddr).Port
	return nil
}

// Client dials the agent the way the errand does.
func (r *Rig) Client() *agentapi.Client {
	return agentapi.NewClient("https://"+r.AgentConfig.ListenAddress, r.ClientTLS)
}

// GardenHandles lists the containers garden knows, through its API.
func (r *Rig) GardenHandles() (map[string]bool, error) {
	cs, err := gclient.New(connection.New("unix", r.Garden.Socket())).Containers(nil)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, c := range cs {
		out[c.Handle()] = true
	}
	return out, nil
}

// ContainerRunning asks runc, below garden, whether the container's
// processes still exist (a frozen container counts).
func (r *Rig) ContainerRunning(handle string) bool {
	out, err := r.Garden.Runc("state", "--", handle)
	if err != nil {
		return false
	}
	var st struct {
		Status string `json:"status"`
	}
	return json.Unmarshal(out, &st) == nil && (st.Status == "running" || st.Status == "paused")
}

// RepStartCount counts the rep stand-in's starts and shutdowns: a
// shutdown is the rep destroying every container.
func (r *Rig) RepStartCount() (starts, shutdowns int) {
	b, _ := os.ReadFile(r.RepStarts)
	return strings.Count(string(b), "start pid="), strings.Count(string(b), "shutdown pid=")
}

// AppliesActedOn lists the applies the BOSH-agent stand-in acted on, one
// line each with the jobs it started.
func (r *Rig) AppliesActedOn() []string {
	b, _ := os.ReadFile(r.Applies)
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if line != "" {
			out = append(out, line)
		}
	}
	return out
}

// HeartbeatCount counts the BOSH-agent stand-in's heartbeats so far.
func (r *Rig) HeartbeatCount() int {
	b, _ := os.ReadFile(r.Heartbeats)
	return strings.Count(string(b), "\n")
}

// TakenOut lists what contradicts the cell having been taken out of
// service, seen from the consumer's side: nothing registers routes any
// more and the route emitter is gone; the rep was SIGKILLed, so it never
// ran its container cleanup, monit does not watch it and did not start it
// again. Empty means the cell is out.
func (r *Rig) TakenOut(ctx context.Context) []string {
	var problems []string
	if r.Router.Registering() {
		problems = append(problems, "routes are still being registered")
	}
	if monitd.Alive(monitd.PidFromFile(r.EmitterPid)) {
		problems = append(problems, "the route emitter still runs")
	}
	if monitd.Alive(monitd.PidFromFile(r.RepPid)) {
		problems = append(problems, "the rep still runs")
	}
	if starts, shutdowns := r.RepStartCount(); starts != 1 || shutdowns != 0 {
		problems = append(problems, fmt.Sprintf("the rep was restarted or ran its container cleanup: starts=%d shutdowns=%d", starts, shutdowns))
	}
	if s, err := r.MonitClient.Service(ctx, "rep"); err != nil || s.Monitor != monit.NotMonitored {
		problems = append(problems, fmt.Sprintf("monit still monitors the rep: %+v %v", s, err))
	}
	return problems
}

// Router counts route registrations, like a gorouter that never forgets.
type Router struct {
	srv   *httptest.Server
	count atomic.Int64
}

func newRouter() *Router {
	r := &Router{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { r.count.Add(1) }))
	return r
}

// URL is where the route emitter registers.
func (r *Router) URL() string { return r.srv.URL }

// Count is the number of registrations so far.
func (r *Router) Count() int { return int(r.count.Load()) }

// Tweak adapts the wired agent to a rig: the investigator account files
// instead of /etc's, a shorter hold for the rep check, faster BBS polling.
// A positive destroyDelay stretches each container destroy so a test can
// kill or restart the agent while it prunes.
func Tweak(passwd, group string, destroyDelay time.Duration) func(*agent.Wired) {
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

func freePort(ip string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Grows watches a counter for up to two seconds (40 intervals of the
// fastest stand-in) and says whether it moved by more than two: whether
// something that emits periodically still does.
func Grows(count func() int) bool {
	before := count()
	for i := 0; i < 40; i++ {
		time.Sleep(50 * time.Millisecond)
		if count() > before+2 {
			return true
		}
	}
	return false
}

// Registering says whether routes are still being registered.
func (r *Router) Registering() bool { return Grows(r.Count) }

// Heartbeating says whether the BOSH-agent stand-in still heartbeats.
func (r *Rig) Heartbeating() bool { return Grows(r.HeartbeatCount) }
