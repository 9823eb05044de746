package main

// The flag sets commands share: the director's (the bosh CLI's environment),
// the agents' mTLS material, the keep selection, the BBS, and the two
// bundles built from them: sequestration (plan, cell, errand) and adminFlags
// (status, list, release).

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"code.cloudfoundry.org/lager/v3"
	"github.com/spf13/cobra"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/boshconfig"
	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

// directorFlags are the bosh CLI's environment, overridable by flags, and
// completed from the bosh CLI's own config (aliases, log-in credentials).
type directorFlags struct {
	environment, client, clientSecret, caCert string
	recordType                                string
	logLevel                                  string
	// boshConfig is the bosh CLI's config file; empty reads none (the
	// errand has everything in its own config).
	boshConfig string
}

func (f *directorFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVarP(&f.environment, "environment", "e", os.Getenv("BOSH_ENVIRONMENT"), "director URL or bosh alias-env alias (BOSH_ENVIRONMENT)")
	fl.StringVar(&f.client, "client", os.Getenv("BOSH_CLIENT"), "director client (BOSH_CLIENT; default: what bosh log-in stored)")
	fl.StringVar(&f.clientSecret, "client-secret", "", "director client secret (BOSH_CLIENT_SECRET)")
	fl.StringVar(&f.caCert, "ca-cert", os.Getenv("BOSH_CA_CERT"), "director CA: PEM or a file (BOSH_CA_CERT; default: the alias's)")
	fl.StringVar(&f.recordType, "record-type", record.DefaultType, "director config type of sequestration records")
	fl.StringVar(&f.logLevel, "log-level", "info", "log level on stderr: debug, info, error, fatal")
	f.boshConfig = boshconfig.DefaultPath()
}

// connect builds the authenticated director connection.
func (f *directorFlags) connect(logger lager.Logger) (*director.Connection, error) {
	file, err := boshconfig.Load(f.boshConfig)
	if err != nil {
		return nil, refusal.New(err)
	}
	secret := f.clientSecret
	if secret == "" {
		// The secret stays out of flags (and so out of ps) by default.
		secret = os.Getenv("BOSH_CLIENT_SECRET")
	}
	ca, err := pemOrFile(f.caCert)
	if err != nil {
		return nil, refusal.New(fmt.Errorf("BOSH_CA_CERT: %w", err))
	}
	t := file.Resolve(f.environment, ca, f.client, secret)
	if t.URL == "" {
		return nil, refusal.New(errors.New("no director: set BOSH_ENVIRONMENT or --environment (a URL, or an alias from bosh alias-env)"))
	}
	conn, err := director.Connect(director.ConnectOptions{
		URL: t.URL, CACert: t.CACert, Client: t.Client, ClientSecret: t.ClientSecret,
		RefreshToken: t.RefreshToken, Tokens: file,
	}, logger)
	if err != nil {
		return nil, refusal.New(err)
	}
	return conn, nil
}

// pemOrFile accepts a PEM document or the name of a file holding one, as
// the bosh CLI does for BOSH_CA_CERT.
func pemOrFile(s string) (string, error) {
	if s == "" || strings.Contains(s, "-----BEGIN") {
		return s, nil
	}
	b, err := os.ReadFile(s)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// agentFlags are the agent's mTLS material.
type agentFlags struct {
	ca, cert, key, serverName string
	port                      int
}

func (f *agentFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.ca, "agent-ca", os.Getenv("SEQUESTER_AGENT_CA"), "CA file of the agents' server certificates (SEQUESTER_AGENT_CA)")
	fl.StringVar(&f.cert, "agent-cert", os.Getenv("SEQUESTER_AGENT_CERT"), "client certificate file for the agents (SEQUESTER_AGENT_CERT)")
	fl.StringVar(&f.key, "agent-key", os.Getenv("SEQUESTER_AGENT_KEY"), "client key file for the agents (SEQUESTER_AGENT_KEY)")
	fl.StringVar(&f.serverName, "agent-server-name", agentapi.DefaultServerName, "name in the agents' certificates, as sequester-cell's agent.server_name (empty: the cell's IP)")
	fl.IntVar(&f.port, "agent-port", 8899, "port of sequester-agent on the cells")
}

func (f *agentFlags) dialer() (director.AgentDialer, error) {
	cfg, err := f.tlsConfig()
	if err != nil {
		return nil, err
	}
	return agentDialer(f.port, cfg), nil
}

// tlsConfig loads the agents' client mTLS material.
func (f *agentFlags) tlsConfig() (*tls.Config, error) {
	if f.ca == "" || f.cert == "" || f.key == "" {
		return nil, refusal.New(errors.New("agent mTLS material missing: set --agent-ca/--agent-cert/--agent-key or SEQUESTER_AGENT_CA/CERT/KEY"))
	}
	cfg, err := agentapi.ClientTLSConfig(f.ca, f.cert, f.key)
	if err != nil {
		return nil, refusal.New(err)
	}
	if f.serverName != "" {
		cfg.ServerName = f.serverName
	}
	return cfg, nil
}

// agentDialer is swapped by tests to reach in-process agents on loopback.
var agentDialer = func(port int, cfg *tls.Config) director.AgentDialer { return director.MTLSAgents(port, cfg) }

// keepFlags select what survives on the cell.
type keepFlags struct {
	handles, apps  []string
	pids           []int
	suspects, none bool
}

func (f *keepFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.handles, "keep", nil, "container handle to keep (repeatable)")
	fl.StringArrayVar(&f.apps, "keep-app", nil, "app GUID whose containers to keep (repeatable)")
	fl.IntSliceVar(&f.pids, "keep-pid", nil, "host pid of a process whose container to keep (repeatable)")
	fl.BoolVar(&f.suspects, "keep-suspects", false, "keep containers with processes stuck in D state")
	fl.BoolVar(&f.none, "keep-none", false, "keep no container (prune everything)")
}

func (f *keepFlags) keep() (agentapi.Keep, error) {
	k := agentapi.Keep{Handles: f.handles, AppGUIDs: f.apps, Pids: f.pids, Suspects: f.suspects, None: f.none}
	some := len(k.Handles) > 0 || len(k.AppGUIDs) > 0 || len(k.Pids) > 0 || k.Suspects
	if k.None && some {
		return k, refusal.New(errors.New("--keep-none contradicts --keep, --keep-app, --keep-pid and --keep-suspects"))
	}
	if !k.None && !some {
		return k, refusal.New(errors.New("say what to keep (--keep, --keep-app, --keep-pid, --keep-suspects) or --keep-none"))
	}
	return k, nil
}

// bbsFlags enable the Diego-side verification.
type bbsFlags struct{ url, ca, cert, key string }

func (f *bbsFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.url, "bbs-url", "", "BBS URL for the capacity check and the Diego-side verification (optional)")
	fl.StringVar(&f.ca, "bbs-ca", "", "BBS CA file")
	fl.StringVar(&f.cert, "bbs-cert", "", "BBS client certificate file")
	fl.StringVar(&f.key, "bbs-key", "", "BBS client key file")
}

func (f *bbsFlags) checker(logger lager.Logger) (director.CellChecker, error) {
	if f.url == "" {
		return nil, nil
	}
	c, err := director.NewBBSChecker(f.url, f.ca, f.cert, f.key, logger)
	if err != nil {
		return nil, refusal.New(err)
	}
	return c, nil
}

// sequestration holds the flags plan and cell share.
type sequestration struct {
	deployment string
	dir        directorFlags
	agent      agentFlags
	keep       keepFlags
	bbs        bbsFlags
	json       bool

	reason, caseID, requestedBy string
	maxSequestered              int
	freeze, blockEgress         bool
	allowWithoutSSH             bool
	ignoreCapacity              bool
	nonInteractive              bool
	resurrectionWait            time.Duration
	unresponsiveTimeout         time.Duration
	cellTimeout                 time.Duration
	pollInterval                time.Duration
	resurrectionMode            string
}

func (s *sequestration) bind(cmd *cobra.Command, full bool) {
	fl := cmd.Flags()
	fl.StringVarP(&s.deployment, "deployment", "d", os.Getenv("BOSH_DEPLOYMENT"), "deployment of the cell")
	fl.BoolVar(&s.json, "json", false, "print one JSON document")
	s.dir.bind(cmd)
	s.agent.bind(cmd)
	s.keep.bind(cmd)
	s.bbs.bind(cmd)
	fl.IntVar(&s.maxSequestered, "max-sequestered", 2, "refuse when this many cells are already sequestered (0: no limit)")
	fl.BoolVar(&s.freeze, "freeze", false, "freeze kept containers")
	fl.BoolVar(&s.blockEgress, "block-egress", false, "block kept containers' egress")
	fl.BoolVar(&s.allowWithoutSSH, "allow-without-ssh", false, "go on when investigator SSH is not ready")
	fl.BoolVar(&s.ignoreCapacity, "ignore-capacity", false, "go on when BBS says the other cells cannot take this cell's app instances")
	if !full {
		return
	}
	fl.StringVar(&s.reason, "reason", "", "why the cell is sequestered (recorded)")
	fl.StringVar(&s.caseID, "case", "", "case or incident id (recorded)")
	fl.StringVar(&s.requestedBy, "requested-by", os.Getenv("USER"), "who asks (recorded)")
	fl.BoolVarP(&s.nonInteractive, "non-interactive", "n", false, "do not ask for confirmation")
	fl.DurationVar(&s.resurrectionWait, "resurrection-wait", 65*time.Second, "how long the health monitor takes to re-read resurrection rules; the global switch bridges it")
	fl.DurationVar(&s.unresponsiveTimeout, "unresponsive-timeout", 5*time.Minute, "wait for the director to see the BOSH agent unresponsive")
	fl.DurationVar(&s.cellTimeout, "cell-timeout", 15*time.Minute, "bound on each cell-side phase (contain, cleanup)")
	fl.DurationVar(&s.pollInterval, "poll-interval", 5*time.Second, "how often to poll the agent and the director")
	fl.StringVar(&s.resurrectionMode, "resurrection-mode", "scoped", "scoped (a resurrection config for the instance group, global as fallback) or global")
}

// flow builds the director flow from the flags.
func (s *sequestration) flow(instance string) (*director.Flow, error) {
	logger, err := operatorLogger(s.dir.logLevel)
	if err != nil {
		return nil, err
	}
	if s.deployment == "" {
		return nil, refusal.New(fmt.Errorf("no deployment: -d DEPLOYMENT"))
	}
	if _, _, err := director.SplitInstance(instance); err != nil {
		return nil, refusal.New(err)
	}
	keep, err := s.keep.keep()
	if err != nil {
		return nil, err
	}
	if s.resurrectionMode == "" {
		s.resurrectionMode = record.ResurrectionScoped
	}
	if s.resurrectionMode != record.ResurrectionScoped && s.resurrectionMode != record.ResurrectionGlobal {
		return nil, refusal.New(fmt.Errorf("--resurrection-mode %q: want scoped or global", s.resurrectionMode))
	}
	agents, err := s.agent.dialer()
	if err != nil {
		return nil, err
	}
	bbs, err := s.bbs.checker(logger)
	if err != nil {
		return nil, err
	}
	conn, err := s.dir.connect(logger)
	if err != nil {
		return nil, err
	}
	requestedBy := s.requestedBy
	if requestedBy == "" {
		// Without a login name the director client is who acted.
		requestedBy = "director client " + s.dir.client
	}
	f := &director.Flow{
		Dir: conn.Director, Raw: conn.Raw, Agents: agents, BBS: bbs, Logger: logger, Tasks: conn.Tasks,
		Store: record.NewStore(conn.Director, s.dir.recordType, logger),
		Opts: director.Options{
			Deployment: s.deployment, Instance: instance, Keep: keep,
			Freeze: s.freeze, BlockEgress: s.blockEgress, AllowWithoutSSH: s.allowWithoutSSH, IgnoreCapacity: s.ignoreCapacity,
			Reason: s.reason, CaseID: s.caseID, RequestedBy: requestedBy,
			MaxSequestered: s.maxSequestered, RecordType: s.dir.recordType,
			ResurrectionWait: s.resurrectionWait, UnresponsiveTimeout: s.unresponsiveTimeout,
			CellTimeout: s.cellTimeout, PollInterval: s.pollInterval, ResurrectionMode: s.resurrectionMode,
		},
	}
	return f, nil
}

// adminFlags are what status, list and release share.
type adminFlags struct {
	deployment string
	dir        directorFlags
	agent      agentFlags
	json       bool
}

func (a *adminFlags) bind(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&a.deployment, "deployment", "d", os.Getenv("BOSH_DEPLOYMENT"), "deployment of the cell")
	cmd.Flags().BoolVar(&a.json, "json", false, "print one JSON document")
	a.dir.bind(cmd)
}

func (a *adminFlags) admin(withAgents bool) (*director.Admin, error) {
	logger, err := operatorLogger(a.dir.logLevel)
	if err != nil {
		return nil, err
	}
	var agents director.AgentDialer
	if withAgents && a.agent.ca != "" {
		if agents, err = a.agent.dialer(); err != nil {
			return nil, err
		}
	}
	conn, err := a.dir.connect(logger)
	if err != nil {
		return nil, err
	}
	return &director.Admin{
		Dir: conn.Director, Raw: conn.Raw, Agents: agents, Logger: logger, AgentTimeout: 5 * time.Second,
		Store: record.NewStore(conn.Director, a.dir.recordType, logger),
	}, nil
}
