// Package directortest holds the cell side for director-side tests: a fake
// of the sequester-agent's behaviour behind the real agentapi mTLS server,
// one per cell, dialled by IP.
package directortest

import (
	"context"
	"crypto/tls"
	"fmt"
	"sync"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi/agentapitest"
	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

// FakeCell is the cell side behind the real agentapi mTLS server: it keeps
// the agent's contract (plan refuses unmatched keep selectors, sequester is
// idempotent per operation id and runs in the background, the contain
// phase with the BOSH agent stop first, then the cleanup) without touching
// real processes. The director-side tests
// need its effect on the director (the agent goes unresponsive), not runc.
type FakeCell struct {
	mu         sync.Mutex
	cellID     string
	containers []agentapi.Container
	SSHReady   bool
	status     agentapi.Status
	// StopBoshAgent is what stopping the BOSH agent does to the world.
	StopBoshAgent func()
	// FailAt makes the named step fail once.
	FailAt string
	// sequesterCalls counts POST /v1/sequester.
	sequesterCalls int
}

var CellSteps = append(append([]string{}, agentapi.ContainSteps...), agentapi.CleanupSteps...)

func NewFakeCell(cellID string) *FakeCell {
	return &FakeCell{
		cellID: cellID,
		containers: []agentapi.Container{
			{Handle: "h-suspect", AppGUID: "app-1", State: "running", Suspect: true},
			{Handle: "h-2", AppGUID: "app-2", State: "running"},
			{Handle: "h-3", AppGUID: "app-3", State: "running"},
		},
		SSHReady: true,
		status:   agentapi.Status{CellID: cellID, Phase: agentapi.PhaseIdle},
	}
}

func (c *FakeCell) Inventory(ctx context.Context) (agentapi.Inventory, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return agentapi.Inventory{CellID: c.cellID, Containers: c.containers}, nil
}

// plan refuses what the real agent refuses, with its words (the e2e tests
// check them against the real agent): a keep handle or app that matches
// no container, and investigator SSH that is not ready unless the request
// allows it.
func (c *FakeCell) plan(req agentapi.SequesterRequest) (agentapi.Plan, error) {
	k := req.Keep
	p := agentapi.Plan{CellID: c.cellID, Steps: CellSteps, SSH: agentapi.SSHStatus{User: "investigator", Ready: c.SSHReady}}
	h := c.healthLocked()
	p.Health = &h
	if !c.SSHReady {
		p.SSH.Problem = "user investigator is not in group bosh_sshers (sshd refuses it)"
	}
	handles := map[string]bool{}
	apps := map[string]bool{}
	for _, h := range k.Handles {
		handles[h] = true
	}
	for _, a := range k.AppGUIDs {
		apps[a] = true
	}
	matched := map[string]bool{}
	for _, ct := range c.containers {
		if handles[ct.Handle] || apps[ct.AppGUID] || (k.Suspects && ct.Suspect) {
			p.Keep = append(p.Keep, ct)
			matched[ct.Handle], matched[ct.AppGUID] = true, true
		} else {
			p.Prune = append(p.Prune, ct)
		}
	}
	for _, h := range k.Handles {
		if !matched[h] {
			return p, refusal.Errorf("no container with handle %q runs on this cell: check the handle against the inventory (sequester plan lists it)", h)
		}
	}
	for _, a := range k.AppGUIDs {
		if !matched[a] {
			return p, refusal.Errorf("no container of app %s runs on this cell: check the guid against the inventory (sequester plan lists it)", a)
		}
	}
	if !p.SSH.Ready && !req.AllowWithoutSSH {
		return p, refusal.Errorf("investigator SSH is not ready: %s; set it up (user in bosh_sshers with authorized keys, sshd listening) or allow going on without it explicitly", p.SSH.Problem)
	}
	return p, nil
}

func (c *FakeCell) Plan(ctx context.Context, req agentapi.SequesterRequest) (agentapi.Plan, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.plan(req)
}

func (c *FakeCell) Sequester(ctx context.Context, req agentapi.SequesterRequest) (agentapi.Status, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sequesterCalls++
	if c.status.OperationID != "" && c.status.OperationID != req.OperationID {
		return c.snapshot(), fmt.Errorf("operation %s owns the cell: %w", c.status.OperationID, agentapi.ErrConflict)
	}
	if c.status.Phase == agentapi.PhaseRunning || c.status.Phase == agentapi.PhaseDone {
		return c.snapshot(), nil
	}
	p, err := c.plan(req)
	if err != nil {
		return c.snapshot(), err
	}
	if c.status.OperationID == "" {
		c.status.Steps = nil
		for _, s := range CellSteps {
			c.status.Steps = append(c.status.Steps, agentapi.Step{Name: s, State: agentapi.StepPending})
		}
	}
	// Like the real agent, a resumed failed operation is running before
	// the answer, so the caller never reads the old failure as its own.
	c.status.OperationID, c.status.Phase, c.status.Error = req.OperationID, agentapi.PhaseRunning, ""
	go c.run(p)
	return c.snapshot(), nil
}

// run resumes from the first step not done, as the agent's journal does.
func (c *FakeCell) run(p agentapi.Plan) {
	for i := range CellSteps {
		c.mu.Lock()
		st := &c.status.Steps[i]
		if st.State == agentapi.StepDone {
			c.mu.Unlock()
			continue
		}
		now := time.Now()
		st.State, st.StartedAt = agentapi.StepRunning, &now
		if c.FailAt == st.Name {
			c.FailAt = ""
			st.State, st.Error = agentapi.StepFailed, "injected failure"
			c.status.Phase, c.status.Error = agentapi.PhaseFailed, st.Name+": injected failure"
			c.mu.Unlock()
			return
		}
		switch st.Name {
		case agentapi.StepPruneContainers:
			c.status.Kept, c.status.Pruned = nil, nil
			for _, ct := range p.Keep {
				c.status.Kept = append(c.status.Kept, ct.Handle)
			}
			for _, ct := range p.Prune {
				c.status.Pruned = append(c.status.Pruned, ct.Handle)
			}
			c.containers = p.Keep
		case agentapi.StepCaptureEvidence:
			c.status.Evidence = "/var/vcap/data/sequester/evidence/" + c.status.OperationID + ".tar.gz"
		case agentapi.StepCheckSSH:
			c.status.SSH = agentapi.SSHStatus{User: "investigator", Ready: true, InSSHers: true, Keys: 1, Listening: true}
		case agentapi.StepStopBoshAgent:
			if c.StopBoshAgent != nil {
				c.StopBoshAgent()
			}
		}
		done := time.Now()
		st.State, st.FinishedAt = agentapi.StepDone, &done
		if st.Name == agentapi.ContainSteps[len(agentapi.ContainSteps)-1] && c.status.ContainedAt == nil {
			c.status.ContainedAt = &done
		}
		c.mu.Unlock()
	}
	c.mu.Lock()
	c.status.Phase = agentapi.PhaseDone
	c.mu.Unlock()
}

// Health reports the suspect container as stuck for 10 minutes, one
// thread in D, as the real agent's watch would.
func (c *FakeCell) Health(ctx context.Context) (agentapi.Health, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.healthLocked(), nil
}

func (c *FakeCell) healthLocked() agentapi.Health {
	h := agentapi.Health{CellID: c.cellID, ScannedAt: time.Now().UTC(), Phase: c.status.Phase, Suspects: []agentapi.Suspect{}, FirstResponder: []agentapi.FirstResponderBundle{}}
	for _, ct := range c.containers {
		if ct.Suspect {
			h.DThreads++
			h.OldestDSeconds = 600
			h.Suspects = append(h.Suspects, agentapi.Suspect{Container: ct.Handle, AppGUID: ct.AppGUID, DThreads: 1, OldestSeconds: 600})
		}
	}
	return h
}

func (c *FakeCell) Status(ctx context.Context) (agentapi.Status, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.snapshot(), nil
}

// snapshot copies the status (its slices are rewritten by run) while the
// lock is held; the server encodes it after.
func (c *FakeCell) snapshot() agentapi.Status {
	st := c.status
	st.Steps = append([]agentapi.Step(nil), c.status.Steps...)
	st.Kept = append([]string(nil), c.status.Kept...)
	st.Pruned = append([]string(nil), c.status.Pruned...)
	st.UpdatedAt = time.Now()
	return st
}

// AgentFleet runs one real mTLS agent server per cell IP on loopback and
// dials them by the IP the director reports.
type AgentFleet struct {
	t         testing.TB
	mu        sync.Mutex
	clientTLS *tls.Config
	serverTLS *tls.Config
	servers   map[string]*agentapi.Server
	cells     map[string]*FakeCell
	down      map[string]bool
}

func NewAgentFleet(t testing.TB) *AgentFleet {
	ca, caFile := agentapitest.NewCA(t, "agents")
	server := ca.Issue(t, "sequester-agent")
	client := ca.Issue(t, "sequester-errand")
	serverTLS, err := agentapi.ServerTLSConfig(caFile, server.CertFile, server.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	clientTLS, err := agentapi.ClientTLSConfig(caFile, client.CertFile, client.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	return &AgentFleet{t: t, clientTLS: clientTLS, serverTLS: serverTLS,
		servers: map[string]*agentapi.Server{}, cells: map[string]*FakeCell{}, down: map[string]bool{}}
}

// Add starts the agent of the cell with the given IP and cell id.
func (f *AgentFleet) Add(ip, cellID string) *FakeCell {
	f.mu.Lock()
	defer f.mu.Unlock()
	cell := NewFakeCell(cellID)
	srv, err := agentapi.Listen(lager.NewLogger("agent"), "127.0.0.1:0", f.serverTLS, cell)
	if err != nil {
		f.t.Fatal(err)
	}
	go srv.Serve()
	f.t.Cleanup(func() { srv.Shutdown(context.Background()) })
	f.servers[ip], f.cells[ip] = srv, cell
	return cell
}

// SetDown makes the agent at ip unreachable (connection refused) or back.
func (f *AgentFleet) SetDown(ip string, down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down[ip] = down
}

func (f *AgentFleet) Dialer() director.AgentDialer {
	return func(ip string) director.Agent { return &fleetAgent{f: f, ip: ip} }
}

// fleetAgent picks the server at every call, so an agent can go away and
// come back under a client the flow already holds.
type fleetAgent struct {
	f  *AgentFleet
	ip string
}

func (a *fleetAgent) client() *agentapi.Client {
	a.f.mu.Lock()
	defer a.f.mu.Unlock()
	srv, ok := a.f.servers[a.ip]
	if !ok || a.f.down[a.ip] {
		// A closed loopback port: connection refused, as for a cell
		// whose agent is not running.
		return agentapi.NewClient("https://127.0.0.1:1", a.f.clientTLS)
	}
	return agentapi.NewClient("https://"+srv.Addr(), a.f.clientTLS)
}

// Health is the agent's D-state figures (sequester suspects).
func (a *fleetAgent) Health(ctx context.Context) (agentapi.Health, error) {
	return a.client().Health(ctx)
}

func (a *fleetAgent) Plan(ctx context.Context, r agentapi.SequesterRequest) (agentapi.Plan, error) {
	return a.client().Plan(ctx, r)
}

func (a *fleetAgent) Sequester(ctx context.Context, r agentapi.SequesterRequest) (agentapi.Status, error) {
	return a.client().Sequester(ctx, r)
}

func (a *fleetAgent) Status(ctx context.Context) (agentapi.Status, error) {
	return a.client().Status(ctx)
}

// SequesterCalls counts POST /v1/sequester the cell answered.
func (c *FakeCell) SequesterCalls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sequesterCalls
}

// SetSSHReady sets whether investigator SSH is ready.
func (c *FakeCell) SetSSHReady(ready bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.SSHReady = ready
}
