// Package agent is the cell side of a sequestration: inventory, plan, and
// the ordered, journaled, resumable sequence. It contains first, within
// seconds: checks investigator SSH, stops the BOSH agent (from then on no
// deploy can start a job on the cell again), withdraws routes, kills the
// rep without evacuation and isolates the kept containers. Then it
// captures evidence, waits for BBS to run replacements elsewhere and
// prunes the rest, while the director switches the VM.
package agent

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"code.cloudfoundry.org/bbs/models"
	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/dstate"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/evidence"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/isolation"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/journal"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/keep"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/prune"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
	"github.com/cloudfoundry-community/cell-sequestration/internal/version"
)

// Steps in the order they run: the contain phase, then the cleanup.
var Steps = append(append([]string{}, agentapi.ContainSteps...), agentapi.CleanupSteps...)

// Stopper stops one cell process and says what it did; stopping what is
// already stopped only verifies it (package stopper).
type Stopper interface {
	Stop(ctx context.Context) (string, error)
}

// IsolationOptions say how kept containers are isolated.
type IsolationOptions struct {
	BlockEgress bool
	// Freeze pauses the containers once their network is cut.
	Freeze bool
	// AllowSources may still reach the kept containers (investigators).
	AllowSources []string
}

// Isolator makes the kept containers' ports refuse new connections (TCP
// reset) so gorouter drops them as backends, optionally blocking their
// egress and freezing them. It must be idempotent.
type Isolator interface {
	Isolate(ctx context.Context, kept []agentapi.Container, opts IsolationOptions) (string, error)
}

// Capturer captures an evidence bundle (package evidence).
type Capturer interface {
	Capture(ctx context.Context, name string) (evidence.Bundle, error)
}

// SSHChecker checks investigator access (package sshaccess).
type SSHChecker interface {
	Check() agentapi.SSHStatus
}

// BBS is the part of the bbs client the agent uses.
type BBS interface {
	ActualLRPs(logger lager.Logger, traceID string, filter models.ActualLRPFilter) ([]*models.ActualLRP, error)
}

// DState is the D-state poller (package dstate).
type DState interface {
	Last() dstate.Report
}

// Deps are the agent's parts. Optional ones may be nil: DState, Isolator
// (then kept containers cannot be isolated and a sequester keeping any is
// refused), BBS (then the replacement wait is skipped and says so).
type Deps struct {
	CellID  string
	Logger  lager.Logger
	Journal *journal.Journal
	// Backend picks the container backend (garden, or runc when garden
	// does not answer) each time it is needed.
	Backend      func(ctx context.Context) (containers.Backend, error)
	DState       DState
	RouteEmitter Stopper
	Rep          Stopper
	BoshAgent    Stopper
	Isolator     Isolator
	Evidence     Capturer
	SSH          SSHChecker
	BBS          BBS

	// ReplacementTimeout bounds the wait for replacements (default 120 s).
	ReplacementTimeout time.Duration
	// ReplacementPoll is the BBS polling interval (default 2 s).
	ReplacementPoll time.Duration
	PruneWorkers    int
	// Freeze and BlockEgress are the defaults a request can turn on.
	Freeze      bool
	BlockEgress bool
	// AllowSources may still reach kept containers after isolation.
	AllowSources []string
	// StopBoshAgent false leaves the agent running (config bosh_agent.stop).
	StopBoshAgent bool
	// FreezeUnavailable, when set, says why kept containers cannot be
	// frozen here; a request to freeze is then refused.
	FreezeUnavailable string
	// RuncByDesign: garden is not configured (garden.socket empty on
	// purpose), so runc is the backend, not a fallback worth a warning.
	RuncByDesign bool
	// Preflight checks, before anything changes, that the parts the
	// sequence will need answer the way it will use them (monit through
	// its firewall, the container backend, the BOSH agent's supervisor).
	// Each problem of a part that is not advisory refuses a sequester.
	Preflight []Check
	// Watch is the D-state watch behind Health (optional).
	Watch *Watch
	// ObserveDestroy is told each container destroy's duration (metrics).
	ObserveDestroy func(time.Duration)
	Now            func() time.Time
}

// Check is one preflight check of a cell part. Run says how the part was
// reached, or returns why it cannot be: a Warning when the sequence can
// go on another way (the plan says how), any other error refuses.
type Check struct {
	Name string
	Run  func(ctx context.Context) (string, error)
	// Advisory: a failure is a warning in the plan, not a refusal.
	Advisory bool
}

// checkParts runs every check, so the plan shows each part, and returns
// the refusal naming every part that is not ready.
func (a *Agent) checkParts(ctx context.Context) ([]agentapi.Part, []string, error) {
	parts := []agentapi.Part{}
	var warnings, problems []string
	for _, c := range a.d.Preflight {
		detail, err := c.Run(ctx)
		part := agentapi.Part{Name: c.Name, Ready: err == nil, Detail: detail, Advisory: c.Advisory}
		var w Warning
		if errors.As(err, &w) {
			part.Advisory = true
		}
		if err != nil {
			part.Detail = err.Error()
			if part.Advisory {
				warnings = append(warnings, c.Name+": "+part.Detail)
			} else {
				problems = append(problems, c.Name+": "+part.Detail)
			}
		}
		parts = append(parts, part)
	}
	if len(problems) > 0 {
		return parts, warnings, refused("%s", strings.Join(problems, "; "))
	}
	return parts, warnings, nil
}

// Warning is a preflight finding that does not refuse the sequence.
type Warning struct{ Text string }

func (w Warning) Error() string { return w.Text }

// Agent runs at most one operation per cell, ever; the journal makes that
// hold across restarts.
type Agent struct {
	d      Deps
	logger lager.Logger

	mu      sync.Mutex
	running bool
	done    chan struct{}
	ctx     context.Context
	cancel  context.CancelFunc
}

// New checks the parts and returns an agent. Close it to stop a running
// operation (it stays journaled as running and resumes on the next start).
func New(d Deps) (*Agent, error) {
	var missing []string
	for name, ok := range map[string]bool{
		"cell id": d.CellID != "", "journal": d.Journal != nil, "container backend": d.Backend != nil,
		"route emitter stopper": d.RouteEmitter != nil, "rep stopper": d.Rep != nil,
		"BOSH agent stopper": d.BoshAgent != nil, "evidence": d.Evidence != nil, "ssh check": d.SSH != nil,
	} {
		if !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("agent: missing %s", strings.Join(missing, ", "))
	}
	if d.Logger == nil {
		d.Logger = lager.NewLogger("sequester-agent")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.ReplacementTimeout <= 0 {
		d.ReplacementTimeout = 120 * time.Second
	}
	if d.ReplacementPoll <= 0 {
		d.ReplacementPoll = 2 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Agent{d: d, logger: d.Logger.Session("agent", lager.Data{"cell_id": d.CellID}), ctx: ctx, cancel: cancel}, nil
}

var operationIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", agentapi.ErrInvalidRequest, fmt.Sprintf(format, args...))
}

func refused(format string, args ...any) error {
	return refusal.Errorf(format, args...)
}

// Inventory lists the containers with what BBS and the D-state poller know.
func (a *Agent) Inventory(ctx context.Context) (agentapi.Inventory, error) {
	inv := agentapi.Inventory{CellID: a.d.CellID, CollectedAt: a.d.Now().UTC()}
	b, err := a.d.Backend(ctx)
	if err != nil {
		return inv, fmt.Errorf("container backend: %w", err)
	}
	inv.Backend = b.Name()
	if b.Name() == containers.BackendRunc && !a.d.RuncByDesign {
		inv.Warnings = append(inv.Warnings, "garden does not answer: containers are listed and pruned through runc, which leaves networking, images and garden's records behind")
	}
	cs, err := b.List(ctx)
	if err != nil {
		return inv, fmt.Errorf("list containers: %w", err)
	}
	if a.d.DState != nil {
		a.d.DState.Last().Annotate(cs)
	} else {
		inv.Warnings = append(inv.Warnings, "no D-state poller: no container is marked a suspect")
	}
	if a.d.BBS != nil {
		lrps, err := a.cellLRPs()
		if err != nil {
			inv.Warnings = append(inv.Warnings, "BBS: "+err.Error())
		} else {
			annotateLRPs(cs, lrps)
		}
	}
	inv.Containers = cs
	return inv, nil
}

func (a *Agent) cellLRPs() ([]*models.ActualLRP, error) {
	return a.d.BBS.ActualLRPs(a.logger, "", models.ActualLRPFilter{CellID: a.d.CellID})
}

// annotateLRPs fills process guid and index from BBS: the container handle
// is the ActualLRP's instance guid.
func annotateLRPs(cs []agentapi.Container, lrps []*models.ActualLRP) {
	byInstance := map[string]*models.ActualLRP{}
	for _, l := range lrps {
		byInstance[l.InstanceGuid] = l
	}
	for i := range cs {
		l, ok := byInstance[cs[i].Handle]
		if !ok {
			continue
		}
		cs[i].InstanceGUID = l.InstanceGuid
		if cs[i].ProcessGUID == "" {
			cs[i].ProcessGUID = l.ProcessGuid
		}
		if cs[i].Index == nil {
			idx := int(l.Index)
			cs[i].Index = &idx
		}
	}
}

// prepared is a validated request: what would be kept, pruned, awaited.
type prepared struct {
	plan    agentapi.Plan
	keep    []agentapi.Container
	prune   []agentapi.Container
	awaited []journal.LRPInstance
}

// prepare validates a request against the cell and changes nothing. What
// would stop the sequence half-way is a refusal; what only weakens it (no
// replacement wait, SSH allowed to be missing) is a warning in the plan.
func (a *Agent) prepare(ctx context.Context, req agentapi.SequesterRequest) (prepared, error) {
	var p prepared
	if req.ReplacementTimeoutSeconds < 0 {
		return p, invalid("replacement_timeout_seconds must not be negative")
	}
	// The parts first: a cell whose monit cannot be reached says so,
	// whatever else is wrong with the request.
	parts, partWarnings, err := a.checkParts(ctx)
	if err != nil {
		return p, err
	}
	inv, err := a.Inventory(ctx)
	if err != nil {
		return p, err
	}
	sel, err := keep.Resolve(req.Keep, inv.Containers)
	if err != nil {
		return p, err
	}
	p.keep, p.prune = sel.Keep, sel.Prune
	p.plan = agentapi.Plan{CellID: a.d.CellID, Keep: sel.Keep, Prune: sel.Prune, Warnings: inv.Warnings}
	if p.plan.Keep == nil {
		p.plan.Keep = []agentapi.Container{}
	}
	if p.plan.Prune == nil {
		p.plan.Prune = []agentapi.Container{}
	}
	if a.isolationOptions(req).Freeze && len(p.keep) > 0 && a.d.FreezeUnavailable != "" {
		return p, refused("kept containers cannot be frozen: %s", a.d.FreezeUnavailable)
	}
	for _, c := range p.keep {
		// Prune ends by checking every kept container still runs, and
		// isolation needs a process to enter: a kept container that is not
		// running, or whose processes cannot be found, would fail the
		// sequence after the rep is dead and the other containers are gone.
		if c.State != containers.StateRunning && c.State != containers.StatePaused {
			return p, refused("kept container %s is %s, not running: keep running containers only (sequester plan lists their states)", c.Handle, c.State)
		}
		if len(c.Pids) == 0 {
			return p, refused("no process of kept container %s was found (its cgroup is not where garden puts it), so it cannot be isolated and would keep receiving traffic: keep another container or isolate it by hand", c.Handle)
		}
		if isolation.SharesHostNetwork(c) {
			return p, refused("kept container %s shares the host network namespace, so isolating it would cut off the cell: keep another container or isolate it by hand", c.Handle)
		}
	}
	if len(p.keep) > 0 && a.d.Isolator == nil {
		return p, refused("kept containers cannot be isolated: no isolation is configured on this agent, and a kept container that still listens keeps receiving traffic (gorouter never times out TLS routes)")
	}
	p.plan.Warnings = append(p.plan.Warnings, partWarnings...)
	p.plan.SSH = a.d.SSH.Check()
	p.plan.Parts = append(parts, sshPart(p.plan.SSH))
	if !p.plan.SSH.Ready {
		msg := "investigator SSH is not ready: " + p.plan.SSH.Problem
		if !req.AllowWithoutSSH {
			return p, refused("%s; set it up (user in bosh_sshers with authorized keys, sshd listening) or allow going on without it explicitly", msg)
		}
		p.plan.Warnings = append(p.plan.Warnings, msg+" (allowed by the request)")
	}
	if why := a.noReplacementWait(req); why != "" {
		p.plan.Warnings = append(p.plan.Warnings, "no wait for replacements elsewhere ("+why+"): apps lose the pruned instances' capacity until BBS reschedules them")
	} else {
		lrps, err := a.cellLRPs()
		if err != nil {
			return p, refused("BBS does not answer (%v): fix the BBS settings, or skip the wait for replacements explicitly", err)
		}
		p.awaited = awaitedInstances(lrps, p.prune)
	}
	// The plan says what each step of the run will do, from the same
	// definitions the run carries out.
	draft := journal.State{Request: req, Keep: p.keep, Prune: p.prune, Awaited: p.awaited}
	for _, d := range a.sequence(&draft) {
		p.plan.Steps = append(p.plan.Steps, d.Description)
	}
	return p, nil
}

// sshPart is investigator SSH as a part: the account, its groups and keys,
// and sshd listening.
func sshPart(s agentapi.SSHStatus) agentapi.Part {
	if !s.Ready {
		return agentapi.Part{Name: "investigator SSH", Detail: s.Problem}
	}
	return agentapi.Part{Name: "investigator SSH", Ready: true,
		Detail: fmt.Sprintf("account %s is in bosh_sshers with %d authorized key(s) and sshd listens", s.User, s.Keys)}
}

// awaitedInstances are the LRP instances on this cell whose containers
// will be pruned.
func awaitedInstances(lrps []*models.ActualLRP, prune []agentapi.Container) []journal.LRPInstance {
	pruned := map[string]bool{}
	for _, c := range prune {
		pruned[c.Handle] = true
	}
	var out []journal.LRPInstance
	for _, l := range lrps {
		if pruned[l.InstanceGuid] && l.Presence != models.ActualLRP_Evacuating {
			out = append(out, journal.LRPInstance{ProcessGUID: l.ProcessGuid, Index: l.Index, InstanceGUID: l.InstanceGuid})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// Plan says what Sequester would do, changing nothing. A request Sequester
// would refuse is refused here too, with the same error.
func (a *Agent) Plan(ctx context.Context, req agentapi.SequesterRequest) (agentapi.Plan, error) {
	if req.OperationID != "" {
		if _, err := a.d.Journal.Owner(req.OperationID); err != nil {
			return agentapi.Plan{}, fmt.Errorf("%w: %v", agentapi.ErrConflict, err)
		}
	}
	p, err := a.prepare(ctx, req)
	if err == nil {
		h, _ := a.Health(ctx)
		p.plan.Health = &h
	}
	return p.plan, err
}

// Health is the D-state watch's figures: threads in D, suspects with
// their apps, the kernel's hung-task reports, first-responder bundles.
func (a *Agent) Health(ctx context.Context) (agentapi.Health, error) {
	st, err := a.Status(ctx)
	if err != nil {
		return agentapi.Health{}, err
	}
	return a.d.Watch.Health(ctx, a.d.CellID, st.Phase), nil
}

// FrozeItself tells whether the agent froze the container: a kept
// container of its operation, isolated with freeze. The D-state scan
// leaves only those out; a container frozen by anyone else is as stuck
// as any other.
func (a *Agent) FrozeItself(handle string) bool {
	st, ok := a.d.Journal.Current()
	if !ok || !(st.Request.Freeze || a.d.Freeze) {
		return false
	}
	if step := st.Step(agentapi.StepIsolateKept); step == nil || step.State == agentapi.StepPending {
		return false
	}
	for _, h := range st.Status.Kept {
		if h == handle {
			return true
		}
	}
	return false
}

// Status is the journaled operation, or idle.
func (a *Agent) Status(context.Context) (agentapi.Status, error) {
	st, ok := a.d.Journal.Current()
	if !ok {
		return a.withBundles(agentapi.Status{CellID: a.d.CellID, Phase: agentapi.PhaseIdle, Steps: []agentapi.Step{}, Kept: []string{}, Pruned: []string{}, UpdatedAt: a.d.Now().UTC(), Version: version.Version}), nil
	}
	st.Status.Version = version.Version
	return a.withBundles(st.Status), nil
}

func (a *Agent) withBundles(st agentapi.Status) agentapi.Status {
	if a.d.Watch != nil && a.d.Watch.FirstResponder != nil {
		st.FirstResponder = a.d.Watch.FirstResponder.Bundles()
	}
	return st
}

// Sequester starts the sequence in the background and returns its status.
// The same operation id returns the status, resuming a failed or
// interrupted run; another id is a conflict while one is journaled.
func (a *Agent) Sequester(ctx context.Context, req agentapi.SequesterRequest) (agentapi.Status, error) {
	if !operationIDPattern.MatchString(req.OperationID) {
		return agentapi.Status{}, invalid("operation_id %q must be 1-128 letters, digits, '.', '_', ':' or '-'", req.OperationID)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	same, err := a.d.Journal.Owner(req.OperationID)
	if err != nil {
		return agentapi.Status{}, fmt.Errorf("%w: %v", agentapi.ErrConflict, err)
	}
	if same {
		st, _ := a.d.Journal.Current()
		if st.Status.Phase != agentapi.PhaseDone && !a.running {
			a.logger.Info("resuming-operation", lager.Data{"operation_id": req.OperationID, "phase": st.Status.Phase})
			// Running before answering, so the caller never reads the old
			// failure as the outcome of this attempt.
			if _, err := a.d.Journal.Update(a.d.Now(), func(s *journal.State) {
				s.Status.Phase, s.Status.Error = agentapi.PhaseRunning, ""
			}); err != nil {
				return agentapi.Status{}, err
			}
			a.startLocked()
		}
		return a.Status(ctx)
	}
	p, err := a.prepare(ctx, req)
	if err != nil {
		a.logger.Info("sequester-refused", lager.Data{"operation_id": req.OperationID, "error": err.Error()})
		return agentapi.Status{}, err
	}
	st := journal.NewState(a.d.CellID, req, Steps, a.d.Now())
	st.Keep, st.Prune, st.Awaited = p.keep, p.prune, p.awaited
	st.Status.Kept = keep.Handles(p.keep)
	st.Status.SSH = p.plan.SSH
	for _, c := range append(append([]agentapi.Container{}, p.keep...), p.prune...) {
		if c.Suspect {
			st.Status.Suspects = append(st.Status.Suspects, c.Handle)
		}
	}
	sort.Strings(st.Status.Suspects)
	if err := a.d.Journal.Begin(st); err != nil {
		if errors.Is(err, journal.ErrOtherOperation) {
			return agentapi.Status{}, fmt.Errorf("%w: %v", agentapi.ErrConflict, err)
		}
		return agentapi.Status{}, err
	}
	a.logger.Info("sequester-accepted", lager.Data{"operation_id": req.OperationID, "kept": st.Status.Kept, "prune_count": len(p.prune), "awaited_count": len(p.awaited)})
	a.startLocked()
	return a.Status(ctx)
}

// Resume restarts a journaled operation that was running when the agent
// stopped. A failed operation waits for its id to be posted again.
func (a *Agent) Resume() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	st, ok := a.d.Journal.Current()
	if !ok || st.Status.Phase != agentapi.PhaseRunning || a.running {
		return false
	}
	a.logger.Info("resuming-operation", lager.Data{"operation_id": st.Request.OperationID})
	a.startLocked()
	return true
}

func (a *Agent) startLocked() {
	a.running = true
	a.done = make(chan struct{})
	done := a.done
	go func() {
		defer close(done)
		a.run(a.ctx)
		a.mu.Lock()
		a.running = false
		a.mu.Unlock()
	}()
}

// Wait blocks until no operation runs in this process (tests, shutdown).
func (a *Agent) Wait() {
	a.mu.Lock()
	done := a.done
	a.mu.Unlock()
	if done != nil {
		<-done
	}
}

// Close interrupts a running operation and waits for it. The step it was
// in stays journaled as running and is re-run on resume.
func (a *Agent) Close() {
	a.cancel()
	a.Wait()
}

func (a *Agent) workers() int {
	if a.d.PruneWorkers > 0 {
		return a.d.PruneWorkers
	}
	return prune.DefaultWorkers
}

func (a *Agent) replacementTimeout(req agentapi.SequesterRequest) time.Duration {
	if req.ReplacementTimeoutSeconds > 0 {
		return time.Duration(req.ReplacementTimeoutSeconds) * time.Second
	}
	return a.d.ReplacementTimeout
}
