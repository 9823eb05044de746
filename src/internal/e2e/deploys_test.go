package e2e_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"code.cloudfoundry.org/bbs/models"
	"code.cloudfoundry.org/lager/v3"
	boshdir "github.com/cloudfoundry/bosh-cli/v7/director"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/agent"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/evidence"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/journal"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/monitd"
)

// TestAPipelineDeployAtEveryCellStepNeverBringsTheRepOrTheRouteEmitterBack
// deploys the cells' deployment, as CI pipelines do many times a day, with
// a change to the cells' jobs at the start of every step the agent runs,
// and once more after the run. A deploy that applies to the target makes
// its BOSH agent start every monit job; from the contain phase's first
// change on, the BOSH agent is already down, so the rep and the route
// emitter never come back and the kept container survives every deploy.
func TestAPipelineDeployAtEveryCellStepNeverBringsTheRepOrTheRouteEmitterBack(t *testing.T) {
	l := newLab(t)
	p := &pipeline{l: l, deployed: map[string]error{}}

	// The stand-in BOSH agent acts on applies: a deploy changing the cells
	// makes it start every monit job (here: all running already).
	if err := p.deploy(); err != nil {
		t.Fatalf("pipeline deploy before the run: %v", err)
	}
	waitFor(t, 10*time.Second, "the BOSH agent stand-in to act on the apply", func() bool { return len(l.rig.AppliesActedOn()) == 1 })

	l.mu.Lock()
	l.beforeSSHCheck = p.atStep
	l.wrapDeps = p.wrap
	l.mu.Unlock()
	l.startAgent(0)
	rep, err := l.run()
	if err != nil {
		t.Fatalf("run: %v\nsteps:\n%s", err, fmtSteps(rep))
	}
	// And once more after the run, against the replacement.
	if err := p.deploy(); err != nil {
		t.Errorf("pipeline deploy after the run: %v", err)
	}
	time.Sleep(5 * heartbeatInterval)

	p.mu.Lock()
	for _, step := range agent.Steps {
		err, ok := p.deployed[step]
		if !ok {
			t.Errorf("no deploy at the start of cell step %s", step)
			continue
		}
		t.Logf("deploy at the start of %s: %v", step, err)
	}
	p.mu.Unlock()
	// The deploys before the BOSH agent's stop reached it; none after.
	acted := l.rig.AppliesActedOn()
	t.Logf("applies the BOSH agent stand-in acted on: %q", acted)
	if len(acted) < 2 {
		t.Errorf("the BOSH agent stand-in acted on %d applies; want the one before the run and those of the steps before its stop", len(acted))
	}
	l.checkCompleted(rep)
	l.checkInvariants()
	l.checkResurrection(false)
	if starts, shutdowns := l.rig.RepStartCount(); starts != 1 || shutdowns != 0 {
		t.Errorf("rep starts=%d shutdowns=%d: a deploy brought it back", starts, shutdowns)
	}
	if monitd.Alive(monitd.PidFromFile(l.emitterPid)) || l.router.Registering() {
		t.Error("a deploy brought the route emitter back")
	}
	t.Logf("time to contain with a deploy at every contain step: %.3fs after preflight", rep.TimeToContainAfterPreflightSeconds)
}

// pipeline deploys "cf" with a new property on the cells' rep job each
// time, so every deploy changes (and applies to) every cell.
type pipeline struct {
	l          *lab
	mu         sync.Mutex
	generation int
	deployed   map[string]error // by the agent's step it started in
	// base is the manifest as the lab deployed it, before any pipeline.
	base string
}

func (p *pipeline) deploy() error {
	p.mu.Lock()
	p.generation++
	gen := p.generation
	p.mu.Unlock()
	dep, err := p.l.conn.Director.FindDeployment("cf")
	if err != nil {
		return err
	}
	// The pipeline's change: the manifest the lab deployed first, with a
	// new property each time.
	if p.base == "" {
		if p.base, err = dep.Manifest(); err != nil {
			return err
		}
	}
	manifest := strings.Replace(p.base, "  - name: rep\n    release: diego\n",
		fmt.Sprintf("  - name: rep\n    release: diego\n    properties: {generation: %d}\n", gen), 1)
	if manifest == p.base {
		return fmt.Errorf("the deployed manifest has no rep job to change:\n%s", p.base)
	}
	return dep.Update([]byte(manifest), boshdir.UpdateOpts{})
}

// atStep deploys once per agent step, when the step first calls one of the
// cell's parts, and gives the BOSH agent three heartbeats to hear of it.
func (p *pipeline) atStep() {
	st, err := journal.Read(p.l.agentCfg.StateDir)
	if err != nil {
		return // the plan, before any operation
	}
	var step string
	for _, s := range st.Status.Steps {
		if s.State == agentapi.StepRunning {
			step = s.Name
		}
	}
	p.mu.Lock()
	_, done := p.deployed[step]
	if step != "" && !done {
		p.deployed[step] = nil
	}
	p.mu.Unlock()
	if step == "" || done {
		return
	}
	err = p.deploy()
	p.mu.Lock()
	p.deployed[step] = err
	p.mu.Unlock()
	time.Sleep(3 * heartbeatInterval)
}

// wrap puts atStep in front of every part a cell step calls first.
func (p *pipeline) wrap(d *agent.Deps) {
	d.BoshAgent = stepStopper{d.BoshAgent, p}
	d.RouteEmitter = stepStopper{d.RouteEmitter, p}
	d.Rep = stepStopper{d.Rep, p}
	d.Isolator = stepIsolator{d.Isolator, p}
	d.Evidence = stepCapturer{d.Evidence, p}
	d.BBS = stepBBS{d.BBS, p}
	backend := d.Backend
	d.Backend = func(ctx context.Context) (containers.Backend, error) {
		p.atStep()
		return backend(ctx)
	}
}

type stepStopper struct {
	agent.Stopper
	p *pipeline
}

func (s stepStopper) Stop(ctx context.Context) (string, error) {
	s.p.atStep()
	return s.Stopper.Stop(ctx)
}

type stepIsolator struct {
	agent.Isolator
	p *pipeline
}

func (s stepIsolator) Isolate(ctx context.Context, kept []agentapi.Container, opts agent.IsolationOptions) (string, error) {
	s.p.atStep()
	return s.Isolator.Isolate(ctx, kept, opts)
}

type stepCapturer struct {
	agent.Capturer
	p *pipeline
}

func (s stepCapturer) Capture(ctx context.Context, name string) (evidence.Bundle, error) {
	s.p.atStep()
	return s.Capturer.Capture(ctx, name)
}

type stepBBS struct {
	agent.BBS
	p *pipeline
}

func (s stepBBS) ActualLRPs(logger lager.Logger, traceID string, filter models.ActualLRPFilter) ([]*models.ActualLRP, error) {
	s.p.atStep()
	return s.BBS.ActualLRPs(logger, traceID, filter)
}
