package directorsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"code.cloudfoundry.org/lager/v3"
)

// resurrectionRule is one rule of a `resurrection` config, as the health
// monitor reads it: enabled, include/exclude filters by deployment and
// instance group.
type resurrectionRule struct {
	enabled bool
	include ruleFilter
	exclude ruleFilter
}

type ruleFilter struct {
	deployments    []string
	instanceGroups []string
}

func (f ruleFilter) any() bool { return len(f.deployments) > 0 || len(f.instanceGroups) > 0 }

func (f ruleFilter) matches(dep, group string, include bool) bool {
	if len(f.instanceGroups) > 0 && !contains(f.instanceGroups, group) {
		return false
	}
	if len(f.deployments) > 0 && !contains(f.deployments, dep) {
		return false
	}
	if include {
		return true
	}
	return f.any()
}

func (r resurrectionRule) applies(dep, group string) bool {
	return r.include.matches(dep, group, true) && !r.exclude.matches(dep, group, false)
}

func parseRuleFilter(v any) ruleFilter {
	m, _ := v.(*omap)
	var f ruleFilter
	for _, d := range asList(m.get("deployments")) {
		f.deployments = append(f.deployments, asString(d))
	}
	for _, g := range asList(m.get("instance_groups")) {
		f.instanceGroups = append(f.instanceGroups, asString(g))
	}
	return f
}

// loadRulesLocked re-reads the latest resurrection configs; rules that do
// not parse are skipped, as the health monitor does.
func (s *Simulator) loadRulesLocked() {
	var rules []resurrectionRule
	for _, c := range s.latestSetLocked("resurrection") {
		m, err := parseYAMLMap(c.content)
		if err != nil {
			s.logger.Error("resurrection-config-unparseable", err, lager.Data{"config_id": c.id})
			continue
		}
		for _, rv := range asList(m.get("rules")) {
			rm, ok := rv.(*omap)
			if !ok {
				continue
			}
			enabled, ok := rm.get("enabled").(bool)
			if !ok {
				s.logger.Error("resurrection-rule-invalid", fmt.Errorf("required property 'enabled' missing or not a boolean"), lager.Data{"config_id": c.id})
				continue
			}
			rules = append(rules, resurrectionRule{enabled: enabled, include: parseRuleFilter(rm.get("include")), exclude: parseRuleFilter(rm.get("exclude"))})
		}
	}
	s.rules = rules
	s.rulesReadAt = time.Now()
	s.rulesLoaded = true
}

// resurrectionEnabledLocked combines the rules the health monitor last read:
// every applicable rule must be enabled.
func (s *Simulator) resurrectionEnabledLocked(dep, group string) bool {
	enabled := true
	for _, r := range s.rules {
		if r.applies(dep, group) {
			enabled = enabled && r.enabled
		}
	}
	return enabled
}

// Heartbeat records a heartbeat from an agent (the stand-in agent's
// POST /_sim/heartbeat/:agent_id) and returns how many applies reached the
// agent's instance so far. Heartbeats matter for responsiveness only in
// heartbeat mode.
func (s *Simulator) Heartbeat(agentID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.agents[agentID]
	if st == nil {
		st = &agentState{}
		s.agents[agentID] = st
	}
	st.lastHeartbeat = time.Now()
	s.logger.Debug("heartbeat", lager.Data{"agent_id": agentID})
	return st.applies
}

// applyLocked is the director sending `apply` and `start` to the agent of
// an instance a deploy or start touches: the real BOSH agent then runs
// `monit start` for every job [bosh-agent: agent/action/start.go,
// jobsupervisor/monit_job_supervisor.go Start]. An agent that is down
// never hears it; the stand-in hears it in its next heartbeat's answer.
func (s *Simulator) applyLocked(inst *instance) {
	if inst.vm == nil || inst.ignore {
		return
	}
	st := s.agents[inst.vm.agentID]
	if st == nil {
		st = &agentState{}
		s.agents[inst.vm.agentID] = st
	}
	st.applies++
	s.logger.Info("apply", lager.Data{"agent_id": inst.vm.agentID, "instance": inst.name(), "applies": st.applies})
}

// Applies returns how many applies the agent's instance received.
func (s *Simulator) Applies(agentID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.agents[agentID]; st != nil {
		return st.applies
	}
	return 0
}

func (s *Simulator) hmLoop(every time.Duration) {
	defer close(s.hmDone)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.hmStop:
			return
		case <-t.C:
			s.Tick()
		}
	}
}

// Tick runs one pass of the simulated health monitor and waits for the
// resurrection tasks it starts: it re-reads the resurrection rules when
// ResurrectionRulesInterval has passed, and unless resurrection is paused
// globally it asks the director to scan and fix (recreate_vm) every
// instance whose agent does not answer or that has no VM, where the rules
// allow it. Locked deployments are skipped, as the health monitor does. It
// returns the ids of the tasks it started.
func (s *Simulator) Tick() []int {
	s.mu.Lock()
	if !s.rulesLoaded || time.Since(s.rulesReadAt) >= s.opts.ResurrectionRulesInterval {
		s.loadRulesLocked()
	}
	if s.paused {
		s.mu.Unlock()
		return nil
	}
	targets := map[string][]*instance{}
	for _, name := range s.sortedDeploymentNames() {
		if s.lockedLocked(name) {
			s.logger.Info("hm-skipping-locked-deployment", lager.Data{"deployment": name})
			continue
		}
		for _, inst := range s.deployments[name].instances {
			if inst.ignore || !inst.expectsVM {
				continue
			}
			if inst.vm != nil && s.agentResponsiveLocked(inst.vm.agentID) {
				continue
			}
			if !s.resurrectionEnabledLocked(name, inst.group) {
				continue
			}
			targets[name] = append(targets[name], inst)
		}
	}
	s.mu.Unlock()

	var names []string
	for n := range targets {
		names = append(names, n)
	}
	sort.Strings(names)
	var started []*task
	for _, name := range names {
		started = append(started, s.startScanAndFix(name, targets[name]))
	}
	var ids []int
	for _, t := range started {
		<-t.done
		ids = append(ids, t.id)
	}
	return ids
}

// PUT /deployments/:d/scan_and_fix {"jobs":{"<group>":["<id>",...]}}: what
// the health monitor's resurrector calls; refused while resurrection is
// paused globally.
func (s *Simulator) handleScanAndFix(w http.ResponseWriter, r *http.Request, dep string) {
	var body struct {
		Jobs map[string][]string `json:"jobs"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, 440001, "Invalid JSON request body: "+err.Error())
		return
	}
	s.mu.Lock()
	if s.paused {
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, 110006, "Resurrector is paused")
		return
	}
	d := s.deployments[dep]
	var insts []*instance
	for group, ids := range body.Jobs {
		for _, id := range ids {
			if inst := d.findInstance(group, id); inst != nil && !inst.ignore {
				insts = append(insts, inst)
			}
		}
	}
	s.mu.Unlock()
	redirectTask(w, s.startScanAndFix(dep, insts))
}

// startScanAndFix is the resurrector's call: scan the given instances and
// recreate their VMs from the database (old IPs), never waiting for the lock.
func (s *Simulator) startScanAndFix(dep string, insts []*instance) *task {
	s.logger.Info("resurrecting", lager.Data{"deployment": dep, "instances": len(insts)})
	return s.startTask(KindScanAndFix, "scan and fix", dep, "", func(r *taskRun) (string, error) {
		var created []VM
		res, err := r.withLock(dep, 0, func() (string, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			d := s.deployments[dep]
			only := map[*instance]bool{}
			for _, i := range insts {
				only[i] = true
			}
			found := s.scanLocked(r, d, only)
			names := map[int]string{}
			for _, p := range found {
				names[p.id] = "recreate_vm"
			}
			_, vms, errs := s.applyResolutionsLocked(r, found, names, "resurrection")
			created = vms
			if len(errs) > 0 {
				return "", errCode(470000, "%s", strings.Join(errs, "\n"))
			}
			return "scan and fix complete", nil
		})
		s.notifyVMCreated(created)
		if err != nil && strings.HasPrefix(err.Error(), "Failed to acquire lock") {
			return "", fmt.Errorf("%s", scanLockError)
		}
		return res, err
	})
}
