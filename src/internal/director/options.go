// Package director drives the BOSH director side of a sequestration:
// preflight, record, pause resurrection (scoped, with the global switch
// bridging the health monitor's re-read), contain the cell through its
// agent, then in parallel the cell's cleanup and the director's switch
// (wait for the unresponsive agent, reserve the old IP, delete this VM's
// reference, redeploy), then restore resurrection, verify, report. Every
// step checks whether it is already done, so a re-run after any failure
// resumes from the record.
package director

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

// Options is one sequestration request and its tunables.
type Options struct {
	Deployment string
	// Instance is GROUP/ID.
	Instance string

	Keep            agentapi.Keep
	Freeze          bool
	BlockEgress     bool
	AllowWithoutSSH bool

	Reason      string
	CaseID      string
	RequestedBy string

	// MaxSequestered bounds records not yet released (0 = no limit).
	MaxSequestered int
	// IgnoreCapacity goes on when BBS says the other cells cannot take
	// the cell's app instances (they stay down until cells are added).
	IgnoreCapacity bool
	// RunLockTTL bounds the run lock of a run that died holding it
	// (default DefaultRunLockTTL).
	RunLockTTL time.Duration
	// RecordType is the director config type of records.
	RecordType string

	// UnresponsiveTimeout bounds the wait for `unresponsive agent`.
	UnresponsiveTimeout time.Duration
	// ResurrectionWait is how long the health monitor takes to re-read
	// resurrection configs (it does so about every 60 s).
	ResurrectionWait time.Duration
	// CellTimeout bounds the agent's cell-side sequence.
	CellTimeout time.Duration
	// PollInterval is how often the flow polls the agent and the director.
	PollInterval time.Duration
	// BBSTimeout bounds the wait for the replacement rep's presence.
	BBSTimeout time.Duration
	// ResurrectionMode: "scoped" (default, falls back to global when the
	// config cannot be written) or "global".
	ResurrectionMode string
	// LockTimeout bounds how long the switch waits for another task (a
	// pipeline's deploy) holding the deployment's lock.
	LockTimeout time.Duration
}

func (o *Options) defaults() {
	if o.UnresponsiveTimeout == 0 {
		o.UnresponsiveTimeout = 5 * time.Minute
	}
	if o.ResurrectionWait == 0 {
		o.ResurrectionWait = 65 * time.Second
	}
	if o.CellTimeout == 0 {
		o.CellTimeout = 15 * time.Minute
	}
	if o.PollInterval == 0 {
		o.PollInterval = 5 * time.Second
	}
	if o.BBSTimeout == 0 {
		o.BBSTimeout = 2 * time.Minute
	}
	if o.LockTimeout == 0 {
		o.LockTimeout = 10 * time.Minute
	}
	if o.ResurrectionMode == "" {
		o.ResurrectionMode = "scoped"
	}
}

// SplitInstance splits GROUP/ID.
func SplitInstance(s string) (group, id string, err error) {
	group, id, ok := strings.Cut(s, "/")
	if !ok || group == "" || id == "" || strings.Contains(id, "/") {
		return "", "", refusal.New(fmt.Errorf("instance %q is not GROUP/ID", s))
	}
	return group, id, nil
}

// Agent is the part of agentapi.Client the flow uses.
type Agent interface {
	Plan(ctx context.Context, req agentapi.SequesterRequest) (agentapi.Plan, error)
	Sequester(ctx context.Context, req agentapi.SequesterRequest) (agentapi.Status, error)
	Status(ctx context.Context) (agentapi.Status, error)
}

// AgentDialer returns the agent on the cell with the given IP.
type AgentDialer func(ip string) Agent

// MTLSAgents reaches each cell's agent at https://IP:port over mTLS.
func MTLSAgents(port int, tlsConfig *tls.Config) AgentDialer {
	return func(ip string) Agent {
		return agentapi.NewClient("https://"+net.JoinHostPort(ip, strconv.Itoa(port)), tlsConfig)
	}
}
