package chaos

import (
	"context"
	"fmt"
	"math/rand"
	"net/http"
	"path"
	"strings"
	"time"

	boshdir "github.com/cloudfoundry/bosh-cli/v7/director"

	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/directorsim"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/scenario"
)

// Fault kinds, as the table and --json name them.
const (
	// KindErrandKilled: the flow (what the errand runs) is cancelled at
	// a moment of the run, as the errand's process ending does.
	KindErrandKilled = "errand-killed"
	// KindAgentRestarted: the target's sequester agent is stopped and
	// started again mid-step, with every destroy stretched so a restart
	// can fall inside the prune.
	KindAgentRestarted = "agent-restarted"
	// KindPipelineDeploy: a pipeline deploys the cells' deployment with a
	// change to the cells' jobs at a moment of the run.
	KindPipelineDeploy = "pipeline-deploy"
	// KindDirector5xx: the director answers 500 to a burst of requests
	// on one endpoint the flow uses.
	KindDirector5xx = "director-5xx-burst"
	// KindTaskFails: the director's next task of a kind fails.
	KindTaskFails = "director-task-fails"
)

// Kinds lists every fault kind, in the order the table prints them.
var Kinds = []string{KindErrandKilled, KindAgentRestarted, KindPipelineDeploy, KindDirector5xx, KindTaskFails}

// Fault is one injected fault.
type Fault struct {
	Kind string `json:"kind"`
	// AtSeconds is when, after the start of the first attempt, it was
	// injected (0 for faults armed before the start, which strike when
	// the flow reaches them).
	AtSeconds float64 `json:"at_seconds"`
	Detail    string  `json:"detail"`
	// Endpoint, From and Burst: a 5xx burst's requests; TaskKind: the
	// task that fails.
	Endpoint string `json:"endpoint,omitempty"`
	From     int    `json:"from,omitempty"`
	Burst    int    `json:"burst,omitempty"`
	TaskKind string `json:"task_kind,omitempty"`
	// Struck: the fault happened to the run (a burst answered at least
	// one 500, the task failed, the kill or restart fell inside an
	// attempt); Injected says what happened.
	Struck   bool   `json:"struck"`
	Injected string `json:"injected,omitempty"`
}

// Endpoints the flow calls on the director; a 5xx burst hits one of them.
var endpoints = []string{"/configs", "/deployments/*", "/deployments/*/instances", "/deployments/*/vms", "/tasks/*", "/resurrection", "/deployments"}

// Task kinds the flow starts.
var taskKinds = []string{directorsim.KindUpdateDeployment, directorsim.KindVMs}

// maxAt bounds the moment a timed fault strikes: a clean lab run takes
// about this long from preflight to the report, so the moments spread
// over every step.
const maxAt = 6 * time.Second

// plan draws one or two faults of distinct kinds from rng.
func plan(rng *rand.Rand) []Fault {
	n := 1 + rng.Intn(2)
	perm := rng.Perm(len(Kinds))
	var out []Fault
	for _, i := range perm[:n] {
		f := Fault{Kind: Kinds[i]}
		at := time.Duration(rng.Int63n(int64(maxAt)))
		switch f.Kind {
		case KindErrandKilled, KindPipelineDeploy:
			f.AtSeconds = at.Seconds()
		case KindAgentRestarted:
			f.AtSeconds = at.Seconds()
			f.Detail = fmt.Sprintf("down for %s, every container destroy stretched by %s", agentDown, destroyDelay)
		case KindDirector5xx:
			f.Endpoint, f.From, f.Burst = endpoints[rng.Intn(len(endpoints))], 1+rng.Intn(8), 1+rng.Intn(5)
			f.Detail = fmt.Sprintf("%d request(s) to %s answer 500, from the %s on", f.Burst, f.Endpoint, ordinal(f.From))
		case KindTaskFails:
			f.TaskKind = taskKinds[rng.Intn(len(taskKinds))]
			f.Detail = fmt.Sprintf("the next %s task fails", f.TaskKind)
		}
		out = append(out, f)
	}
	return out
}

const (
	agentDown    = 1500 * time.Millisecond
	destroyDelay = 400 * time.Millisecond
)

func ordinal(n int) string {
	switch n {
	case 1:
		return "1st"
	case 2:
		return "2nd"
	case 3:
		return "3rd"
	}
	return fmt.Sprintf("%dth", n)
}

// armed is what injecting the faults left to do: errand kills cancel the
// first attempt's context.
type armed struct {
	kills []*Fault
}

// arm prepares the faults that strike when the flow reaches them, and
// starts the timed ones; it returns when every timed one has struck (the
// caller runs it in a goroutine) and reports into faults[i].Injected.
func (r *runner) arm(ctx context.Context, faults []Fault) (a armed, timed []int) {
	w := r.w
	for i := range faults {
		f := &faults[i]
		switch f.Kind {
		case KindDirector5xx:
			for k := 0; k < f.Burst; k++ {
				w.Sim.FailRequest("", f.Endpoint, f.From+k)
			}
			f.Injected = "armed in the director simulator"
		case KindTaskFails:
			w.Sim.FailNextTask(f.TaskKind, injectedTaskFailure)
			f.Injected = "armed in the director simulator"
		case KindAgentRestarted:
			// The stretched destroys make the prune last long enough for
			// a restart to land in it.
			if err := w.StopAgent(w.Target()); err != nil {
				f.Injected = "stop before the run: " + err.Error()
			}
			if err := w.StartAgent(w.Target(), destroyDelay); err != nil {
				f.Injected = "start before the run: " + err.Error()
			}
			// The new agent flags the suspect again after its threshold.
			if _, err := w.WaitForSuspect(ctx); err != nil {
				f.Injected = "the restarted agent did not flag the suspect: " + err.Error()
			}
			timed = append(timed, i)
		case KindErrandKilled:
			a.kills = append(a.kills, f)
			f.Injected = "the first attempt ended before the kill"
		case KindPipelineDeploy:
			timed = append(timed, i)
		}
	}
	return a, timed
}

// strike injects the timed fault faults[i] at its moment after start.
func (r *runner) strike(ctx context.Context, start time.Time, f *Fault) {
	select {
	case <-ctx.Done():
		f.Injected = "not injected: the run ended first"
		return
	case <-time.After(time.Until(start.Add(time.Duration(f.AtSeconds * float64(time.Second))))):
	}
	w := r.w
	switch f.Kind {
	case KindAgentRestarted:
		if err := w.StopAgent(w.Target()); err != nil {
			f.Injected = "stopped with: " + err.Error() + "; "
		}
		time.Sleep(agentDown)
		if err := w.StartAgent(w.Target(), destroyDelay); err != nil {
			f.Injected += "restart failed: " + err.Error()
			return
		}
		f.Injected += "stopped and started again"
		f.Struck = true
	case KindPipelineDeploy:
		r.deploys++
		if err := deploy(w, r.deploys); err != nil {
			f.Injected = "deploy: " + err.Error()
			return
		}
		f.Injected = "deployed"
		f.Struck = true
	}
}

// settle finds out from the director simulator whether the armed faults
// struck: how many requests the burst answered with 500, whether the task
// failed.
func (r *runner) settle(faults []Fault) {
	for i := range faults {
		f := &faults[i]
		switch f.Kind {
		case KindDirector5xx:
			n := 0
			for _, req := range r.w.Sim.Requests() {
				if ok, _ := path.Match(f.Endpoint, req.Path); ok && req.Status == http.StatusInternalServerError {
					n++
				}
			}
			f.Struck = n > 0
			f.Injected = fmt.Sprintf("%d request(s) answered 500", n)
		case KindTaskFails:
			for _, t := range r.w.Sim.Tasks() {
				if t.Kind == f.TaskKind && strings.Contains(t.Result, injectedTaskFailure) {
					f.Struck = true
					f.Injected = fmt.Sprintf("task %d (%s) failed", t.ID, t.Description)
				}
			}
			if !f.Struck {
				f.Injected = "no such task ran"
			}
		}
	}
}

const injectedTaskFailure = "chaos: injected task failure"

// deploy is a pipeline's deploy of the cells' deployment: the deployed
// manifest with a new property on the cells' rep job, so the deploy
// changes, and applies to, every cell.
func deploy(w *scenario.World, generation int) error {
	dep, err := w.Conn.Director.FindDeployment(scenario.Deployment)
	if err != nil {
		return err
	}
	current, err := dep.Manifest()
	if err != nil {
		return err
	}
	manifest := strings.Replace(current, "  - name: rep\n    release: diego\n",
		fmt.Sprintf("  - name: rep\n    release: diego\n    properties: {chaos_generation: %d}\n", generation), 1)
	if manifest == current {
		return fmt.Errorf("the deployed manifest has no rep job to change")
	}
	return dep.Update([]byte(manifest), boshdir.UpdateOpts{})
}
