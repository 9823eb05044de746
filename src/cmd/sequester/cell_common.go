package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"code.cloudfoundry.org/lager/v3"
	"github.com/spf13/cobra"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
)

// directorFlags are the bosh CLI's environment, overridable by flags.
type directorFlags struct {
	environment, client, clientSecret, caCert string
	recordType                                string
	logLevel                                  string
}

func (f *directorFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVarP(&f.environment, "environment", "e", os.Getenv("BOSH_ENVIRONMENT"), "director URL (BOSH_ENVIRONMENT)")
	fl.StringVar(&f.client, "client", os.Getenv("BOSH_CLIENT"), "director client (BOSH_CLIENT)")
	fl.StringVar(&f.clientSecret, "client-secret", "", "director client secret (BOSH_CLIENT_SECRET)")
	fl.StringVar(&f.caCert, "ca-cert", os.Getenv("BOSH_CA_CERT"), "director CA: PEM or a file (BOSH_CA_CERT)")
	fl.StringVar(&f.recordType, "record-type", record.DefaultType, "director config type of sequestration records")
	fl.StringVar(&f.logLevel, "log-level", "info", "log level on stderr: debug, info, error, fatal")
}

// connect builds the authenticated director connection.
func (f *directorFlags) connect(logger lager.Logger) (*director.Connection, error) {
	if f.environment == "" {
		return nil, refused(errors.New("no director: set BOSH_ENVIRONMENT or --environment"))
	}
	secret := f.clientSecret
	if secret == "" {
		// The secret stays out of flags (and so out of ps) by default.
		secret = os.Getenv("BOSH_CLIENT_SECRET")
	}
	ca, err := pemOrFile(f.caCert)
	if err != nil {
		return nil, refused(fmt.Errorf("BOSH_CA_CERT: %w", err))
	}
	conn, err := director.Connect(director.ConnectOptions{URL: f.environment, CACert: ca, Client: f.client, ClientSecret: secret}, logger)
	if err != nil {
		return nil, refused(err)
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
	fl.StringVar(&f.serverName, "agent-server-name", "", "name in the agents' certificates (default: the cell's IP)")
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
		return nil, refused(errors.New("agent mTLS material missing: set --agent-ca/--agent-cert/--agent-key or SEQUESTER_AGENT_CA/CERT/KEY"))
	}
	cfg, err := agentapi.ClientTLSConfig(f.ca, f.cert, f.key)
	if err != nil {
		return nil, refused(err)
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
	suspects, none bool
}

func (f *keepFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&f.handles, "keep", nil, "container handle to keep (repeatable)")
	fl.StringArrayVar(&f.apps, "keep-app", nil, "app GUID whose containers to keep (repeatable)")
	fl.BoolVar(&f.suspects, "keep-suspects", false, "keep containers with processes stuck in D state")
	fl.BoolVar(&f.none, "keep-none", false, "keep no container (prune everything)")
}

func (f *keepFlags) keep() (agentapi.Keep, error) {
	k := agentapi.Keep{Handles: f.handles, AppGUIDs: f.apps, Suspects: f.suspects, None: f.none}
	if k.None && (len(k.Handles) > 0 || len(k.AppGUIDs) > 0 || k.Suspects) {
		return k, refused(errors.New("--keep-none contradicts --keep, --keep-app and --keep-suspects"))
	}
	if !k.None && len(k.Handles) == 0 && len(k.AppGUIDs) == 0 && !k.Suspects {
		return k, refused(errors.New("say what to keep (--keep, --keep-app, --keep-suspects) or --keep-none"))
	}
	return k, nil
}

// bbsFlags enable the Diego-side verification.
type bbsFlags struct{ url, ca, cert, key string }

func (f *bbsFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.url, "bbs-url", "", "BBS URL for the Diego-side verification (optional)")
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
		return nil, refused(err)
	}
	return c, nil
}

// newLogger writes lager JSON to stderr, so stdout holds only the report.
func newLogger(level string) (lager.Logger, error) {
	l := lager.NewLogger("sequester")
	var min lager.LogLevel
	switch strings.ToLower(level) {
	case "debug":
		min = lager.DEBUG
	case "info", "":
		min = lager.INFO
	case "error":
		min = lager.ERROR
	case "fatal":
		min = lager.FATAL
	default:
		return nil, refused(fmt.Errorf("unknown log level %q", level))
	}
	l.RegisterSink(lager.NewPrettySink(os.Stderr, min))
	return l, nil
}

// signalContext ends on SIGINT/SIGTERM; every step is resumable, so an
// interrupted run is re-run, not rolled back.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// asExit maps library errors to the contract's exit codes: a refusal is 2.
func asExit(err error) error {
	if err == nil {
		return nil
	}
	var r refusal
	if errors.As(err, &r) {
		return err
	}
	if director.IsRefusal(err) {
		return refused(err)
	}
	return err
}

// confirm asks on the terminal unless -n was given.
func confirm(cmd *cobra.Command, question string) error {
	fmt.Fprintf(cmd.ErrOrStderr(), "%s [yN]: ", question)
	line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
	if err != nil && line == "" {
		return refused(errors.New("not confirmed (no answer; use -n to skip the confirmation)"))
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return refused(errors.New("not confirmed"))
}

// durationSeconds reads a seconds value of the errand config.
func durationSeconds(n int) time.Duration { return time.Duration(n) * time.Second }
