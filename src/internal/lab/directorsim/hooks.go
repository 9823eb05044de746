package directorsim

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"time"

	"code.cloudfoundry.org/lager/v3"
)

// TaskInfo is a snapshot of a task.
type TaskInfo struct {
	ID          int
	Kind        string
	Description string
	Deployment  string
	State       string
	Result      string
	CreatedAt   time.Time
	FinishedAt  time.Time
}

func (t *task) info() TaskInfo {
	return TaskInfo{ID: t.id, Kind: t.kind, Description: t.description, Deployment: t.deployment, State: t.state, Result: t.result, CreatedAt: t.createdAt, FinishedAt: t.finishedAt}
}

// SetConfig stores a config (a new version unless the content is the same)
// and returns its id, as POST /configs does.
func (s *Simulator) SetConfig(typ, name, content string) (string, error) {
	if _, err := parseYAMLMap(content); err != nil {
		return "", fmt.Errorf("config must be a YAML hash: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return strconv.Itoa(s.createConfigLocked(typ, name, content).id), nil
}

// SetCloudConfig stores a named cloud config ("default" when name is empty).
func (s *Simulator) SetCloudConfig(name, content string) (string, error) {
	if name == "" {
		name = "default"
	}
	return s.SetConfig("cloud", name, content)
}

// Deploy deploys a manifest against the latest configs through the same task
// as POST /deployments and waits for it.
func (s *Simulator) Deploy(manifest string) (TaskInfo, error) {
	m, igs, err := parseManifest(manifest)
	if err != nil {
		return TaskInfo{}, err
	}
	name := asString(m.get("name"))
	if name == "" {
		return TaskInfo{}, errors.New("Deployment manifest must have a 'name' key")
	}
	s.mu.Lock()
	cloudIDs := configIDs(s.latestSetLocked("cloud"))
	runtimeIDs := configIDs(s.latestSetLocked("runtime"))
	s.mu.Unlock()
	t := s.startDeployTask("create deployment", name, "", manifest, m, igs, cloudIDs, runtimeIDs, deployOpts{cause: "deploy"})
	info := s.WaitTask(t.id)
	if info.State != "done" {
		return info, fmt.Errorf("deploy task %d %s: %s", info.ID, info.State, info.Result)
	}
	return info, nil
}

// WaitTask blocks until the task finishes and returns it.
func (s *Simulator) WaitTask(id int) TaskInfo {
	s.mu.Lock()
	if id < 1 || id > len(s.tasks) {
		s.mu.Unlock()
		return TaskInfo{}
	}
	t := s.tasks[id-1]
	s.mu.Unlock()
	<-t.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return t.info()
}

// SetAgentResponsive forces what the director sees when it asks this agent;
// it overrides heartbeat mode for that agent.
func (s *Simulator) SetAgentResponsive(agentID string, responsive bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.agents[agentID]
	if st == nil {
		st = &agentState{lastHeartbeat: time.Now()}
		s.agents[agentID] = st
	}
	v := responsive
	st.override = &v
	s.logger.Info("agent-responsiveness-set", lager.Data{"agent_id": agentID, "responsive": responsive})
}

// SetInstanceAgentResponsive sets the responsiveness of the agent of the
// instance's current VM; indexOrID is an index or an instance id.
func (s *Simulator) SetInstanceAgentResponsive(dep, group, indexOrID string, responsive bool) error {
	s.mu.Lock()
	d := s.deployments[dep]
	if d == nil {
		s.mu.Unlock()
		return fmt.Errorf("deployment '%s' doesn't exist", dep)
	}
	inst := d.findInstance(group, indexOrID)
	if inst == nil || inst.vm == nil {
		s.mu.Unlock()
		return fmt.Errorf("instance '%s/%s' has no VM", group, indexOrID)
	}
	agentID := inst.vm.agentID
	s.mu.Unlock()
	s.SetAgentResponsive(agentID, responsive)
	return nil
}

// SetResurrectionPaused sets the global resurrection flag (PUT /resurrection).
func (s *Simulator) SetResurrectionPaused(paused bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.paused = paused
	s.logger.Info("resurrection-updated", lager.Data{"paused": paused})
}

// ResurrectionPaused reports the global flag.
func (s *Simulator) ResurrectionPaused() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paused
}

// ReloadResurrectionRules makes the simulated health monitor re-read the
// resurrection configs now, whatever the interval.
func (s *Simulator) ReloadResurrectionRules() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loadRulesLocked()
}

// ResurrectionEnabled is what the simulated health monitor, with the rules it
// last read, would decide for an instance group.
func (s *Simulator) ResurrectionEnabled(dep, group string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.paused && s.resurrectionEnabledLocked(dep, group)
}

// FailRequest makes the nth request (counted from now, 1-based) whose method
// matches (empty matches any) and whose path matches pattern (path.Match: a
// * stands for one path segment, e.g. "/deployments/*/problems") answer 500.
func (s *Simulator) FailRequest(method, pattern string, nth int) {
	if nth < 1 {
		nth = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqFaults = append(s.reqFaults, &requestFault{method: method, pattern: pattern, nth: nth})
}

// FailNextTask makes the next task of a kind (Kind* constants) fail at once
// with message, before it changes anything.
func (s *Simulator) FailNextTask(kind, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.taskFaults[kind] = append(s.taskFaults[kind], message)
}

// SetTaskDelay sets how long tasks work (holding their locks).
func (s *Simulator) SetTaskDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.taskDelay = d
}

// SetErrandDuration sets how long errand runs hold the deployment lock.
func (s *Simulator) SetErrandDuration(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errandDelay = d
}

// ReleaseErrands ends every running errand now.
func (s *Simulator) ReleaseErrands() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.errandCancel)
	s.errandCancel = make(chan struct{})
}

// Requests returns the log of answered requests.
func (s *Simulator) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request{}, s.requests...)
}

// RequestCount counts logged requests by method (empty: any) and path
// pattern (as in FailRequest).
func (s *Simulator) RequestCount(method, pattern string) int {
	n := 0
	for _, r := range s.Requests() {
		if method != "" && r.Method != method {
			continue
		}
		if ok, _ := path.Match(pattern, r.Path); ok {
			n++
		}
	}
	return n
}

// Tasks returns every task, oldest first.
func (s *Simulator) Tasks() []TaskInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []TaskInfo
	for _, t := range s.tasks {
		out = append(out, t.info())
	}
	return out
}

// TaskCounts counts tasks by kind since the start (or ResetStats).
func (s *Simulator) TaskCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for _, t := range s.tasks {
		if !t.createdAt.Before(s.statsSince()) {
			out[t.kind]++
		}
	}
	return out
}

// ResetStats clears the request log and restarts task counting, so a test
// can measure one run after its setup.
func (s *Simulator) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
	s.statsFrom = time.Now()
}

func (s *Simulator) statsSince() time.Time { return s.statsFrom }

func (s *Simulator) snapshotLocked(d *deployment, inst *instance) Instance {
	out := Instance{
		Deployment: d.name, Group: inst.group, ID: inst.id, Index: inst.index, AZ: inst.az,
		ExpectsVM: inst.expectsVM, Ignore: inst.ignore, State: inst.state, IPs: map[string]string{},
	}
	for k, v := range inst.ips {
		out.IPs[k] = v
	}
	if inst.vm != nil {
		out.VMCID, out.AgentID = inst.vm.cid, inst.vm.agentID
		out.AgentResponsive = s.agentResponsiveLocked(inst.vm.agentID)
	}
	return out
}

// Instances lists a deployment's instances by group and index.
func (s *Simulator) Instances(dep string) []Instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deployments[dep]
	if d == nil {
		return nil
	}
	var out []Instance
	for _, inst := range d.instances {
		out = append(out, s.snapshotLocked(d, inst))
	}
	return out
}

// Instance finds one instance by group and index or id.
func (s *Simulator) Instance(dep, group, indexOrID string) (Instance, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deployments[dep]
	if d == nil {
		return Instance{}, false
	}
	inst := d.findInstance(group, indexOrID)
	if inst == nil {
		return Instance{}, false
	}
	return s.snapshotLocked(d, inst), true
}

// VMHistory lists every VM the simulated IaaS created, oldest first.
func (s *Simulator) VMHistory() []VMRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []VMRecord
	for _, r := range s.vmHistory {
		c := *r
		c.IPs = append([]string{}, r.IPs...)
		out = append(out, c)
	}
	return out
}

// InstanceVMs lists the VMs created for one instance, oldest first.
func (s *Simulator) InstanceVMs(dep, instanceID string) []VMRecord {
	var out []VMRecord
	for _, r := range s.VMHistory() {
		if r.Deployment == dep && r.InstanceID == instanceID {
			out = append(out, r)
		}
	}
	return out
}

// IaaSVMs lists the VMs alive in the simulated IaaS, including those the
// director no longer references, by creation time.
func (s *Simulator) IaaSVMs() []VM {
	s.mu.Lock()
	defer s.mu.Unlock()
	referenced := map[string]bool{}
	for _, d := range s.deployments {
		for _, inst := range d.instances {
			if inst.vm != nil {
				referenced[inst.vm.cid] = true
			}
		}
	}
	var out []VM
	for _, v := range s.iaas {
		out = append(out, VM{CID: v.cid, AgentID: v.agentID, IPs: append([]string{}, v.ips...), Deployment: v.deployment,
			Group: v.group, InstanceID: v.instanceID, CreatedAt: v.createdAt, Referenced: referenced[v.cid]})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].CreatedAt.Before(out[b].CreatedAt) })
	return out
}

// IPHistory lists every IP reservation change, oldest first.
func (s *Simulator) IPHistory() []IPEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]IPEvent{}, s.ipHistory...)
}

// LockHolder reports the task holding a deployment's lock.
func (s *Simulator) LockHolder(dep string) (taskID int, locked bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h := s.locks[dep]; h != nil {
		return h.taskID, true
	}
	return 0, false
}

// Deployments lists the deployed deployments by name.
func (s *Simulator) Deployments() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sortedDeploymentNames()
}

// Manifest returns a deployment's manifest as last deployed and the ids of
// the cloud configs pinned to it.
func (s *Simulator) Manifest(dep string) (manifest string, cloudConfigIDs []string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deployments[dep]
	if d == nil {
		return "", nil, false
	}
	for _, id := range d.cloudConfigIDs {
		cloudConfigIDs = append(cloudConfigIDs, strconv.Itoa(id))
	}
	return d.manifestText, cloudConfigIDs, true
}
