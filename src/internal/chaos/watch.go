package chaos

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/monitd"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/rehearsal"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/scenario"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
)

// watcher samples, while the attempts run, the invariants that must hold
// at every moment and not only at the end: the kept container and its
// process never gone, the old IP never on another VM while the old VM
// lives, no other instance's VM replaced, at most one new VM and only for
// the target. The first breach of each is kept as evidence.
type watcher struct {
	w        *scenario.World
	kept     string
	keptPid  int
	oldIP    string
	oldCID   string
	mu       sync.Mutex
	samples  int
	breaches map[string]string
}

const (
	invKeptAlive   = "kept container never destroyed, its process alive"
	invOldIP       = "old IP never on another VM while the old VM lives"
	invOtherVMs    = "no other instance's VM changed"
	invOneNewVM    = "at most one new VM, only for the target"
	sampleInterval = 200 * time.Millisecond
	// runc is asked every runcEvery samples: it forks a process.
	runcEvery = 5
)

var watched = []string{invKeptAlive, invOldIP, invOtherVMs, invOneNewVM}

func newWatcher(w *scenario.World, kept string, keptPid int) *watcher {
	t := w.Target()
	return &watcher{w: w, kept: kept, keptPid: keptPid, oldIP: t.IP(), oldCID: t.Instance.VMCID, breaches: map[string]string{}}
}

func (v *watcher) loop(ctx context.Context) {
	for {
		v.sample()
		select {
		case <-ctx.Done():
			v.sample()
			return
		case <-time.After(sampleInterval):
		}
	}
}

func (v *watcher) breach(inv, format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.breaches[inv]; !ok {
		v.breaches[inv] = time.Now().UTC().Format("15:04:05.000") + ": " + fmt.Sprintf(format, args...)
	}
}

func (v *watcher) sample() {
	w := v.w
	v.mu.Lock()
	v.samples++
	n := v.samples
	v.mu.Unlock()

	if v.keptPid <= 0 || !monitd.Alive(v.keptPid) {
		v.breach(invKeptAlive, "the kept container %s's process %d is gone", v.kept, v.keptPid)
	}
	if n%runcEvery == 1 {
		list, err := rehearsal.RuncList(w.Target())
		if err == nil && list[v.kept] != "running" && list[v.kept] != "paused" {
			v.breach(invKeptAlive, "runc list has the kept container %s as %q", v.kept, list[v.kept])
		}
	}

	oldAlive := false
	var holders []string
	for _, vm := range w.Sim.IaaSVMs() {
		if vm.CID == v.oldCID {
			oldAlive = true
			continue
		}
		for _, ip := range vm.IPs {
			if ip == v.oldIP {
				holders = append(holders, fmt.Sprintf("%s (%s/%s)", vm.CID, vm.Group, vm.InstanceID))
			}
		}
	}
	if oldAlive && len(holders) > 0 {
		v.breach(invOldIP, "%s is on VM(s) %v while the old VM %s lives", v.oldIP, holders, v.oldCID)
	}

	t := w.Target()
	for _, in := range w.Sim.Instances(scenario.Deployment) {
		if in.ID == t.Instance.ID {
			continue
		}
		if b, ok := w.Before[in.ID]; ok && b.VMCID != in.VMCID {
			v.breach(invOtherVMs, "%s/%s moved from VM %q to %q", in.Group, in.ID, b.VMCID, in.VMCID)
		}
	}
	var created []string
	forOthers := false
	for _, vm := range w.Sim.VMHistory() {
		if vm.CreatedAt.After(w.SetUpAt) {
			created = append(created, fmt.Sprintf("%s for %s/%s (%s)", vm.CID, vm.Group, vm.InstanceID, vm.Cause))
			forOthers = forOthers || vm.InstanceID != t.Instance.ID
		}
	}
	if len(created) > 1 || forOthers {
		v.breach(invOneNewVM, "VMs created since setup: %v", created)
	}
}

func (v *watcher) checks() []rehearsal.Check {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []rehearsal.Check
	for _, inv := range watched {
		ev, broken := v.breaches[inv]
		if !broken {
			ev = fmt.Sprintf("held in all %d samples, one every %s", v.samples, sampleInterval)
		}
		out = append(out, rehearsal.Check{Name: "throughout: " + inv, OK: !broken, Detail: ev})
	}
	return out
}

// afterFailure checks a run that did not complete after its re-runs (or
// was refused only after a faulted attempt had changed things): once the
// cell is contained (its rep dead) every container still on it is kept or
// isolated; resurrection is paused only while the old VM is silent (the
// window where resuming it would have the health monitor recreate a VM
// with the kept containers); the record does not claim completion.
func (ru *runner) afterFailure(r *Run, kept string) {
	w := ru.w
	t := w.Target()
	repPid := monitd.PidFromFile(t.Rig.RepPid)
	contained := repPid <= 0 || !monitd.Alive(repPid)
	list, err := rehearsal.RuncList(t)
	var open []string
	if contained && err == nil {
		for _, c := range t.Containers {
			if c.Handle == kept || list[c.Handle] == "" {
				continue
			}
			if out, _ := scenario.Dial("", c.Addr(), time.Second); out == "accepted" {
				open = append(open, fmt.Sprintf("%s (%s) %s", c.Handle, c.Addr(), list[c.Handle]))
			}
		}
	}
	r.check("no container on the contained target neither kept nor isolated", err == nil && len(open) == 0,
		"rep dead: %v; containers still accepting outsiders: %v%s", contained, open, errText(err))

	before := w.Heartbeats(t.Instance.AgentID)
	time.Sleep(5 * scenario.HeartbeatInterval)
	silent := w.Heartbeats(t.Instance.AgentID) == before
	w.Sim.ReloadResurrectionRules()
	paused := w.Sim.ResurrectionPaused()
	enabled := w.Sim.ResurrectionEnabled(scenario.Deployment, scenario.CellGroup)
	asBefore := paused == w.PriorPaused && enabled == !w.PriorPaused
	r.check("resurrection as it was, or paused only while the old VM is silent", asBefore || silent,
		"globally paused %v (before %v), enabled for %s %v, old VM's BOSH agent silent: %v", paused, w.PriorPaused, scenario.CellGroup, enabled, silent)

	rec, _, err := record.NewStore(w.Conn.Director, "", w.Logger).Get(scenario.Deployment, t.Instance.ID)
	r.check("record does not claim a completion that did not happen", err != nil || rec.State != record.StateComplete,
		"record state %s%s", rec.State, errText(err))
}

func errText(err error) string {
	if err != nil {
		return " (" + err.Error() + ")"
	}
	return ""
}
