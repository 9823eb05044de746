package directorsim

import (
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"net"
	"net/http/httptest"
	"sync"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/certs"
)

// DefaultLockWait is how long the real director waits for a deployment lock
// before a deploy or a resolution fails.
const DefaultLockWait = 10 * time.Second

// HealthMonitorRulesInterval is how often the real health monitor re-reads the
// resurrection configs.
const HealthMonitorRulesInterval = 60 * time.Second

// Options configure a Simulator. The zero value is usable: instant tasks,
// the real 10 s lock wait, HM ticks only through Tick, agents responsive
// until told otherwise.
type Options struct {
	// Client and ClientSecret are the basic-auth credentials the director
	// accepts; defaults "admin" / "admin-secret".
	Client       string
	ClientSecret string
	// Name is what /info reports; default "directorsim".
	Name string
	// Logger receives the simulator's own log; default a silent logger.
	Logger lager.Logger
	// TaskDelay is how long every task works after taking its locks (a deploy
	// holds the deployment lock that long); default 0.
	TaskDelay time.Duration
	// LockWait is how long a deploy, a state change or a resolution waits for
	// the deployment lock; 0 means DefaultLockWait. Scans and resurrection
	// never wait, as in the director.
	LockWait time.Duration
	// ErrandDuration is how long an errand run holds the deployment lock
	// (ReleaseErrands ends running errands early); default 0.
	ErrandDuration time.Duration
	// HMInterval makes the simulated health monitor tick on its own; 0 means
	// ticks happen only through Tick.
	HMInterval time.Duration
	// ResurrectionRulesInterval is how long the simulated health monitor keeps
	// using the resurrection config rules it read last (the real one: 60 s);
	// 0 re-reads them on every tick.
	ResurrectionRulesInterval time.Duration
	// HeartbeatTimeout turns heartbeat mode on: an agent is responsive only
	// while its last heartbeat (POST /_sim/heartbeat/:agent_id or Heartbeat)
	// is younger than this. A new VM counts as having just sent one.
	HeartbeatTimeout time.Duration
	// ListenAddr is the loopback address to listen on; default
	// 127.0.0.1:0 (a free port). Other addresses are refused: the simulator
	// is for one machine only.
	ListenAddr string
	// OnVMCreated is called after the simulated IaaS creates a VM, from the
	// task that created it and without the simulator's lock held (so it may
	// call the simulator), for the lab to start a stand-in agent for it.
	OnVMCreated func(VM)
}

// Simulator is a running director simulator. All state is in memory and
// guarded by mu; tasks run in their own goroutines.
type Simulator struct {
	opts   Options
	logger lager.Logger
	srv    *httptest.Server
	caPEM  []byte

	mu sync.Mutex

	configs      []*config
	deployments  map[string]*deployment
	iaas         map[string]*iaasVM
	vmHistory    []*VMRecord
	ipHistory    []IPEvent
	agents       map[string]*agentState
	paused       bool
	rules        []resurrectionRule
	rulesReadAt  time.Time
	rulesLoaded  bool
	tasks        []*task
	locks        map[string]*lockHolder
	problems     []*problem
	events       []*event
	requests     []Request
	reqFaults    []*requestFault
	taskFaults   map[string][]string
	taskDelay    time.Duration
	errandDelay  time.Duration
	errandCancel chan struct{}
	nextDBID     int
	statsFrom    time.Time

	hmStop  chan struct{}
	hmDone  chan struct{}
	tasksWG sync.WaitGroup
}

// New starts a simulator on a loopback TLS listener.
func New(opts Options) (*Simulator, error) {
	if opts.Client == "" {
		opts.Client = "admin"
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = "admin-secret"
	}
	if opts.Name == "" {
		opts.Name = "directorsim"
	}
	if opts.LockWait <= 0 {
		opts.LockWait = DefaultLockWait
	}
	logger := opts.Logger
	if logger == nil {
		logger = lager.NewLogger("directorsim")
	}
	s := &Simulator{
		opts:         opts,
		logger:       logger.Session("directorsim"),
		deployments:  map[string]*deployment{},
		iaas:         map[string]*iaasVM{},
		agents:       map[string]*agentState{},
		locks:        map[string]*lockHolder{},
		taskFaults:   map[string][]string{},
		taskDelay:    opts.TaskDelay,
		errandDelay:  opts.ErrandDuration,
		errandCancel: make(chan struct{}),
	}
	s.srv = httptest.NewUnstartedServer(s)
	if opts.ListenAddr != "" {
		host, _, err := net.SplitHostPort(opts.ListenAddr)
		if err != nil {
			_ = s.srv.Listener.Close()
			return nil, fmt.Errorf("listen address %q: %w", opts.ListenAddr, err)
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			_ = s.srv.Listener.Close()
			return nil, fmt.Errorf("listen address %q: only a loopback IP is allowed", opts.ListenAddr)
		}
		l, err := net.Listen("tcp", opts.ListenAddr)
		if err != nil {
			_ = s.srv.Listener.Close()
			return nil, fmt.Errorf("listening on %s: %w", opts.ListenAddr, err)
		}
		_ = s.srv.Listener.Close()
		s.srv.Listener = l
	}
	// A fresh CA per simulator: httptest's built-in certificate has a
	// key published in Go's sources.
	ca, err := certs.NewCAInMemory("directorsim")
	var cert tls.Certificate
	if err == nil {
		var pair certs.Pair
		if pair, err = ca.IssueInMemory("directorsim"); err == nil {
			cert, err = pair.TLSCertificate()
		}
	}
	if err != nil {
		_ = s.srv.Listener.Close()
		return nil, fmt.Errorf("making the TLS certificate: %w", err)
	}
	s.caPEM = ca.CertPEM
	s.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	s.srv.StartTLS()
	if opts.HMInterval > 0 {
		s.hmStop = make(chan struct{})
		s.hmDone = make(chan struct{})
		go s.hmLoop(opts.HMInterval)
	}
	s.logger.Info("started", lager.Data{"url": s.srv.URL})
	return s, nil
}

// Close stops the health monitor, waits for running tasks and stops the
// listener.
func (s *Simulator) Close() {
	if s.hmStop != nil {
		close(s.hmStop)
		<-s.hmDone
		s.hmStop = nil
	}
	s.ReleaseErrands()
	s.tasksWG.Wait()
	s.srv.Close()
	s.logger.Info("stopped")
}

// URL is the director's https URL (https://127.0.0.1:PORT).
func (s *Simulator) URL() string { return s.srv.URL }

// CACertPEM is the PEM of the CA that signs the server certificate: what
// --ca-cert / BOSH_CA_CERT / director.FactoryConfig.CACert take.
func (s *Simulator) CACertPEM() []byte {
	return append([]byte(nil), s.caPEM...)
}

// ClientCredentials are the basic-auth client and secret the director accepts.
func (s *Simulator) ClientCredentials() (client, secret string) {
	return s.opts.Client, s.opts.ClientSecret
}

// BoshEnv is the environment the bosh CLI needs to talk to this director
// (BOSH_CA_CERT carries the PEM itself, which the CLI accepts).
func (s *Simulator) BoshEnv() []string {
	return []string{
		"BOSH_ENVIRONMENT=" + s.URL(),
		"BOSH_CA_CERT=" + string(s.CACertPEM()),
		"BOSH_CLIENT=" + s.opts.Client,
		"BOSH_CLIENT_SECRET=" + s.opts.ClientSecret,
	}
}

func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// rubyTime formats a time like Ruby's Time#to_s in UTC, which is what the
// director puts in configs' created_at.
func rubyTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }
