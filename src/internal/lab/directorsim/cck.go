package directorsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Problem types the simulator's scan finds.
const (
	ProblemUnresponsiveAgent = "unresponsive_agent"
	ProblemMissingVM         = "missing_vm"
)

type problem struct {
	id         int
	deployment string
	typ        string
	inst       *instance
	state      string
	createdAt  time.Time
}

type resolution struct{ name, plan string }

// resolutionsFor lists resolutions in the director's order for each handler.
func resolutionsFor(typ string) []resolution {
	switch typ {
	case ProblemUnresponsiveAgent:
		return []resolution{
			{"ignore", "Skip for now"},
			{"reboot_vm", "Reboot VM"},
			{"recreate_vm_without_wait", "Recreate VM without waiting for processes to start"},
			{"recreate_vm", "Recreate VM and wait for processes to start"},
			{"delete_vm", "Delete VM"},
			{"delete_vm_reference", "Delete VM reference (forceful; may need to manually delete VM from the Cloud to avoid IP conflicts)"},
		}
	case ProblemMissingVM:
		return []resolution{
			{"ignore", "Skip for now"},
			{"recreate_vm_without_wait", "Recreate VM without waiting for processes to start"},
			{"recreate_vm", "Recreate VM and wait for processes to start"},
			{"delete_vm_reference", "Delete VM reference"},
		}
	}
	return nil
}

func autoResolution(typ string) string {
	if typ == ProblemMissingVM {
		return "recreate_vm_without_wait"
	}
	return "ignore"
}

func handlerClass(typ string) string {
	if typ == ProblemMissingVM {
		return "MissingVM"
	}
	return "UnresponsiveAgent"
}

// description is built from the instance's current record, as the
// director's handlers do: "VM for 'group/uuid (index)' with cloud ID '...'".
func (p *problem) description() string {
	withCID := ""
	if p.inst.vm != nil {
		withCID = fmt.Sprintf(" with cloud ID '%s'", p.inst.vm.cid)
	}
	if p.typ == ProblemMissingVM {
		return fmt.Sprintf("VM for '%s'%s missing.", p.inst.String(), withCID)
	}
	return fmt.Sprintf("VM for '%s'%s is not responding.", p.inst.String(), withCID)
}

func (p *problem) toJSON() map[string]any {
	res := []map[string]any{}
	for _, r := range resolutionsFor(p.typ) {
		res = append(res, map[string]any{"name": r.name, "plan": r.plan})
	}
	return map[string]any{
		"id":             p.id,
		"type":           p.typ,
		"data":           map[string]any{},
		"description":    p.description(),
		"resolutions":    res,
		"instance_group": p.inst.group,
	}
}

const scanLockError = "Unable to get deployment lock, maybe a deployment is in progress. Try again later."

// scanLocked closes the open problems of the scanned instances and records
// what it finds: a VM-less instance (or one whose VM is gone from the IaaS)
// is missing_vm, a VM whose agent does not answer is unresponsive_agent.
func (s *Simulator) scanLocked(r *taskRun, d *deployment, only map[*instance]bool) []*problem {
	var targets []*instance
	ignored := 0
	for _, inst := range d.instances {
		if !inst.expectsVM || (only != nil && !only[inst]) {
			continue
		}
		if inst.ignore {
			ignored++
			continue
		}
		targets = append(targets, inst)
	}
	for _, p := range s.problems {
		if p.deployment == d.name && p.state == "open" && (only == nil || only[p.inst]) {
			p.state = "closed"
		}
	}
	st := r.stageLocked(fmt.Sprintf("Scanning %d VMs", len(targets)+ignored), 2)
	var found []*problem
	ok, unresponsive, missing := 0, 0, 0
	for _, inst := range targets {
		typ := ""
		switch {
		case inst.vm == nil:
			typ = ProblemMissingVM
		case s.agentResponsiveLocked(inst.vm.agentID):
			ok++
			continue
		case s.iaas[inst.vm.cid] == nil:
			typ = ProblemMissingVM
		default:
			typ = ProblemUnresponsiveAgent
		}
		if typ == ProblemMissingVM {
			missing++
		} else {
			unresponsive++
		}
		p := &problem{id: len(s.problems) + 1, deployment: d.name, typ: typ, inst: inst, state: "open", createdAt: time.Now()}
		s.problems = append(s.problems, p)
		found = append(found, p)
	}
	st.stepLocked("Checking VM states", nil)
	summary := fmt.Sprintf("%d OK, %d unresponsive, %d missing, 0 unbound", ok, unresponsive, missing)
	if ignored > 0 {
		summary += fmt.Sprintf(", %d ignored", ignored)
	}
	st.stepLocked(summary, nil)
	disks := r.stageLocked("Scanning 0 persistent disks", 2)
	disks.stepLocked("Looking for inactive disks", nil)
	disks.stepLocked("0 OK, 0 missing, 0 inactive, 0 mount-info mismatch", nil)
	return found
}

// POST /deployments/:d/scans: a task that fails at once when the deployment
// is locked (the scan never waits for the lock).
func (s *Simulator) handleScan(w http.ResponseWriter, dep string) {
	t := s.startTask(KindScan, "scan cloud", dep, "", func(r *taskRun) (string, error) {
		res, err := r.withLock(dep, 0, func() (string, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.scanLocked(r, s.deployments[dep], nil)
			return "scan complete", nil
		})
		if err != nil && strings.HasPrefix(err.Error(), "Failed to acquire lock") {
			return "", fmt.Errorf("%s", scanLockError)
		}
		return res, err
	})
	redirectTask(w, t)
}

// GET /deployments/:d/problems: open problems only.
func (s *Simulator) handleListProblems(w http.ResponseWriter, dep string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, p := range s.problems {
		if p.deployment == dep && p.state == "open" {
			out = append(out, p.toJSON())
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// PUT /deployments/:d/problems {"resolutions":{"<id>":"<name>"|null}}:
// only the listed problems are resolved; null takes the auto resolution.
func (s *Simulator) handleResolve(w http.ResponseWriter, r *http.Request, dep string) {
	var body struct {
		Resolutions map[string]*string `json:"resolutions"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, 440001, "Invalid JSON request body: "+err.Error())
		return
	}
	if body.Resolutions == nil {
		writeError(w, http.StatusBadRequest, 110002, "Invalid format for resolutions, Hash expected, NilClass is given")
		return
	}
	t := s.startTask(KindApplyResolutions, "apply resolutions", dep, r.Header.Get("X-Bosh-Context-Id"), func(run *taskRun) (string, error) {
		var created []VM
		res, err := run.withLock(dep, s.opts.LockWait, func() (string, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			var picked []*problem
			for _, p := range s.problems {
				if p.deployment != dep {
					continue
				}
				if _, ok := body.Resolutions[fmt.Sprint(p.id)]; ok {
					picked = append(picked, p)
				}
			}
			sort.Slice(picked, func(a, b int) bool { return picked[a].id < picked[b].id })
			names := map[int]string{}
			for _, p := range picked {
				if n := body.Resolutions[fmt.Sprint(p.id)]; n != nil {
					names[p.id] = *n
				}
			}
			count, vms, errs := s.applyResolutionsLocked(run, picked, names, "cloud-check")
			created = vms
			if len(errs) > 0 {
				return "", errCode(470000, "%s", strings.Join(errs, "\n"))
			}
			return fmt.Sprintf("%d resolved", count), nil
		})
		s.notifyVMCreated(created)
		return res, err
	})
	redirectTask(w, t)
}

// applyResolutionsLocked applies resolutions like the director's problem
// resolver: a handler error (such as "Agent is responding now") is logged
// and the problem still counts as resolved; the errors fail the task.
func (s *Simulator) applyResolutionsLocked(r *taskRun, picked []*problem, names map[int]string, cause string) (int, []VM, []string) {
	st := r.stageLocked("Applying problem resolutions", len(picked))
	count := 0
	var created []VM
	var errs []string
	for _, p := range picked {
		if p.state != "open" {
			st.stepLocked(fmt.Sprintf("Ignoring problem %d (state is '%s')", p.id, p.state), nil)
			continue
		}
		name, ok := names[p.id]
		if !ok || name == "" {
			name = autoResolution(p.typ)
		}
		plan := "no resolution"
		for _, res := range resolutionsFor(p.typ) {
			if res.name == name {
				plan = res.plan
			}
		}
		stepName := fmt.Sprintf("%s (%s %d): %s", p.description(), p.typ, p.inst.dbID, plan)
		vm, err := s.resolveLocked(r, p, name, cause)
		if vm != nil {
			created = append(created, *vm)
		}
		st.stepLocked(stepName, err)
		if err != nil {
			errs = append(errs, fmt.Sprintf("Error resolving problem '%d': %s", p.id, err.Error()))
		}
		p.state = "resolved"
		count++
	}
	return count, created, errs
}

func (s *Simulator) deploymentOfLocked(inst *instance) *deployment {
	for _, d := range s.deployments {
		for _, i := range d.instances {
			if i == inst {
				return d
			}
		}
	}
	return nil
}

// resolveLocked applies one resolution to one problem.
func (s *Simulator) resolveLocked(r *taskRun, p *problem, name, cause string) (*VM, error) {
	inst := p.inst
	d := s.deploymentOfLocked(inst)
	if d == nil {
		return nil, fmt.Errorf("Instance '%s' no longer exists", inst.name())
	}
	valid := false
	for _, res := range resolutionsFor(p.typ) {
		valid = valid || res.name == name
	}
	if !valid {
		return nil, fmt.Errorf("Cannot find '%s' resolution for 'Bosh::Director::ProblemHandlers::%s'", name, handlerClass(p.typ))
	}
	// unresponsive_agent resolutions (but ignore) first ping the agent
	if p.typ == ProblemUnresponsiveAgent && name != "ignore" {
		if inst.vm == nil {
			return nil, fmt.Errorf("VM '' is no longer in the database")
		}
		if s.agentResponsiveLocked(inst.vm.agentID) {
			return nil, fmt.Errorf("Agent is responding now, skipping resolution")
		}
	}
	switch name {
	case "ignore":
		return nil, nil
	case "reboot_vm":
		return nil, fmt.Errorf("Agent still unresponsive after reboot")
	case "delete_vm_reference":
		// only the director's record goes; the IaaS VM keeps running
		inst.vm = nil
		return nil, nil
	case "delete_vm":
		if inst.vm != nil {
			s.deleteIaaSVMLocked(inst.vm.cid, r.t.id, d.name, inst.name())
			inst.vm = nil
		}
		return nil, nil
	case "recreate_vm", "recreate_vm_without_wait":
		// recreation plans from the database: the instance's old IP
		// reservations, whatever the cloud config now says
		if inst.vm != nil {
			s.deleteIaaSVMLocked(inst.vm.cid, r.t.id, d.name, inst.name())
			inst.vm = nil
		}
		vm := s.createVMLocked(d, inst, cause, r.t.id)
		s.addEventLocked(event{action: "recreate", objectType: "instance", objectName: inst.name(), task: r.t.id, deployment: d.name, instance: inst.name()})
		return &vm, nil
	}
	return nil, nil
}
