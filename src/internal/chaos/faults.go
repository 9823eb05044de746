package chaos

import (
	"context"
	"fmt"
	"math/rand"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	boshdir "github.com/cloudfoundry/bosh-cli/v7/director"

	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/directorsim"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/rehearsal"
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
	// KindGardenDestroyHangs: Garden never returns from destroying one of
	// the containers to prune (the agent's deadline on it is 2 s).
	KindGardenDestroyHangs = "garden-destroy-hangs"
)

// Kinds lists every fault kind, in the order the table prints them.
var Kinds = []string{KindErrandKilled, KindAgentRestarted, KindPipelineDeploy, KindDirector5xx, KindTaskFails, KindGardenDestroyHangs}

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
	// Handle: the container Garden hangs on; pick chooses it among the
	// target's containers to prune.
	Handle string `json:"handle,omitempty"`
	pick   int
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

// maxAt bounds the moment a timed fault strikes: a clean lab run reports
// its cell contained about 5 s after its start and completes a few tenths
// later, so the moments spread over every step.
const maxAt = 5 * time.Second

// Plan is the faults a run of seed draws.
func Plan(seed int64) []Fault { return plan(rand.New(rand.NewSource(seed))) }

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
		case KindGardenDestroyHangs:
			f.pick = rng.Intn(1 << 20)
			f.Detail = fmt.Sprintf("Garden's destroy of one container to prune never returns; the agent's deadline on it is %ds", gardenDeadline)
		}
		out = append(out, f)
	}
	return out
}

const (
	agentDown      = 1500 * time.Millisecond
	destroyDelay   = 400 * time.Millisecond
	gardenDeadline = 2
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
	// An agent restarted mid-run has every destroy stretched, so that a
	// restart can land inside the prune; a new Garden deadline needs a
	// new agent too.
	restart, delay := false, time.Duration(0)
	var hung *Fault
	defer func() {
		if !restart {
			return
		}
		var errs []string
		if err := w.StopAgent(w.Target()); err != nil {
			errs = append(errs, "stop before the run: "+err.Error())
		}
		if err := w.StartAgent(w.Target(), delay); err != nil {
			errs = append(errs, "start before the run: "+err.Error())
		}
		// The new agent flags the suspect again after its threshold.
		if _, err := w.WaitForSuspect(ctx); err != nil {
			errs = append(errs, "the restarted agent did not flag the suspect: "+err.Error())
		}
		if hung != nil {
			hung.Injected = "Garden hangs on destroying " + hung.Handle
			if len(errs) > 0 {
				hung.Injected += "; " + strings.Join(errs, "; ")
			}
		}
		r.armErrs = errs
	}()
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
			restart, delay = true, destroyDelay
			timed = append(timed, i)
		case KindGardenDestroyHangs:
			var prune []string
			for _, c := range w.Target().Containers {
				if !c.Suspect {
					prune = append(prune, c.Handle)
				}
			}
			f.Handle = prune[f.pick%len(prune)]
			w.Target().Rig.Garden.HangDestroy(f.Handle)
			w.Target().Rig.AgentConfig.Garden.DestroyTimeoutSeconds = gardenDeadline
			restart = true
			hung = f
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
			// A deploy task that ran and failed (the lock held by the
			// sequestration's own deploy) is a pipeline's deploy all the
			// same: it met the run. The bosh CLI names the task it waited
			// for in its error.
			f.Injected = "deploy failed: " + err.Error()
			if m := taskInError.FindStringSubmatch(err.Error()); m != nil {
				for _, t := range w.Sim.Tasks() {
					if strconv.Itoa(t.ID) == m[1] && t.Kind == directorsim.KindUpdateDeployment {
						f.Struck = true
						f.Injected = fmt.Sprintf("deploy task %d %s: %s", t.ID, t.State, t.Result)
					}
				}
			}
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
		case KindGardenDestroyHangs:
			// It struck when the prune reached the container: runc, not
			// Garden, destroyed it, or it is left isolated.
			list, err := rehearsal.RuncList(r.w.Target())
			_, left := list[f.Handle]
			f.Struck = len(r.armErrs) == 0 && err == nil && !left
			if f.Struck {
				f.Injected += "; the agent destroyed it without Garden"
			} else {
				f.Injected += "; the prune never reached it"
			}
		}
	}
}

var taskInError = regexp.MustCompile(`task '([0-9]+)'`)

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
