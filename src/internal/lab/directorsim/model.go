package directorsim

import (
	"fmt"
	"sort"
	"time"

	"code.cloudfoundry.org/lager/v3"
)

type deployment struct {
	name             string
	manifestText     string
	manifest         *omap
	cloudConfigIDs   []int
	runtimeConfigIDs []int
	instances        []*instance
}

// instance is the director's database record of an instance. Its IP
// reservations (ips) outlive its VM reference: that is what missing_vm
// recreation and empty-body state changes reuse.
type instance struct {
	dbID      int
	group     string
	id        string
	index     int
	az        string
	bootstrap bool
	expectsVM bool
	ignore    bool
	state     string
	networks  []string
	ips       map[string]string
	vm        *vmRef
	vmSpec    string
	spec      string
}

func (i *instance) name() string   { return i.group + "/" + i.id }
func (i *instance) String() string { return fmt.Sprintf("%s/%s (%d)", i.group, i.id, i.index) }

func (i *instance) ipList() []string {
	var out []string
	for _, n := range i.networks {
		if ip := i.ips[n]; ip != "" {
			out = append(out, ip)
		}
	}
	return out
}

// vmRef is the director's VM record for an instance.
type vmRef struct {
	cid       string
	agentID   string
	ips       []string
	createdAt time.Time
}

// iaasVM is a VM that exists in the simulated IaaS, whether or not the
// director still references it.
type iaasVM struct {
	cid        string
	agentID    string
	ips        []string
	deployment string
	group      string
	instanceID string
	createdAt  time.Time
}

type agentState struct {
	override      *bool
	lastHeartbeat time.Time
	// applies counts the deploys and starts that applied to this agent's
	// instance; the agent learns the count from its heartbeat's answer.
	applies int
}

// VM describes a VM of the simulated IaaS.
type VM struct {
	CID        string
	AgentID    string
	IPs        []string
	Deployment string
	Group      string
	InstanceID string
	CreatedAt  time.Time
	// Referenced is whether the director still has this VM as an instance's
	// VM (false after delete_vm_reference).
	Referenced bool
}

// VMRecord is one VM the simulated IaaS ever created.
type VMRecord struct {
	CID        string
	AgentID    string
	IPs        []string
	Deployment string
	Group      string
	InstanceID string
	CreatedAt  time.Time
	// Deleted is zero while the VM lives.
	Deleted time.Time
	// Cause is what created it: deploy, state-change, resurrection,
	// cloud-check.
	Cause string
	// TaskID is the task that created it.
	TaskID int
}

// IPEvent is one change of an instance's IP reservation in the director's
// database.
type IPEvent struct {
	Time       time.Time
	IP         string
	Network    string
	Deployment string
	InstanceID string
	// Action is "allocated" or "released" for a change of the instance's
	// database reservation, "assigned" when a new VM is created on the IP
	// (which is how resurrection, missing_vm recreation and empty-body
	// state changes reuse an old IP without allocating it).
	Action string
	TaskID int
}

// Instance is a snapshot of an instance as the director's database has it.
type Instance struct {
	Deployment string
	Group      string
	ID         string
	Index      int
	AZ         string
	ExpectsVM  bool
	Ignore     bool
	State      string
	// IPs are the instance's reservations by network name; they survive a
	// deleted VM reference.
	IPs map[string]string
	// VMCID and AgentID are empty when the instance has no VM reference.
	VMCID   string
	AgentID string
	// AgentResponsive is what the director would see asking the agent now.
	AgentResponsive bool
}

func (s *Simulator) nextInstanceDBID() int {
	s.nextDBID++
	return s.nextDBID
}

func (s *Simulator) sortedDeploymentNames() []string {
	var names []string
	for n := range s.deployments {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func sortInstances(list []*instance) {
	sort.SliceStable(list, func(a, b int) bool {
		if list[a].group != list[b].group {
			return list[a].group < list[b].group
		}
		return list[a].index < list[b].index
	})
}

// findInstance resolves group/index-or-id within a deployment.
func (d *deployment) findInstance(group, indexOrID string) *instance {
	for _, i := range d.instances {
		if i.group != group {
			continue
		}
		if i.id == indexOrID || fmt.Sprint(i.index) == indexOrID {
			return i
		}
	}
	return nil
}

// agentResponsiveLocked answers as the director's get_state would: an
// explicit override wins; in heartbeat mode the agent must have sent a
// heartbeat within HeartbeatTimeout; otherwise agents answer.
func (s *Simulator) agentResponsiveLocked(agentID string) bool {
	if agentID == "" {
		return false
	}
	st := s.agents[agentID]
	if st == nil {
		return s.opts.HeartbeatTimeout <= 0
	}
	if st.override != nil {
		return *st.override
	}
	if s.opts.HeartbeatTimeout > 0 {
		return time.Since(st.lastHeartbeat) < s.opts.HeartbeatTimeout
	}
	return true
}

// createVMLocked creates a VM in the simulated IaaS for inst on its current
// IP reservations and makes it the instance's VM.
func (s *Simulator) createVMLocked(d *deployment, inst *instance, cause string, taskID int) VM {
	now := time.Now()
	cid := "vm-" + newUUID()
	agentID := newUUID()
	ips := inst.ipList()
	inst.vm = &vmRef{cid: cid, agentID: agentID, ips: ips, createdAt: now}
	s.iaas[cid] = &iaasVM{cid: cid, agentID: agentID, ips: ips, deployment: d.name, group: inst.group, instanceID: inst.id, createdAt: now}
	s.agents[agentID] = &agentState{lastHeartbeat: now}
	s.vmHistory = append(s.vmHistory, &VMRecord{
		CID: cid, AgentID: agentID, IPs: ips, Deployment: d.name, Group: inst.group,
		InstanceID: inst.id, CreatedAt: now, Cause: cause, TaskID: taskID,
	})
	for _, n := range inst.networks {
		if ip := inst.ips[n]; ip != "" {
			s.recordIPLocked("assigned", ip, n, d.name, inst.id, taskID)
		}
	}
	s.addEventLocked(event{action: "create", objectType: "vm", objectName: cid, task: taskID, deployment: d.name, instance: inst.name()})
	s.logger.Info("vm-created", lager.Data{"vm_cid": cid, "instance": inst.name(), "ips": ips, "cause": cause})
	return VM{CID: cid, AgentID: agentID, IPs: ips, Deployment: d.name, Group: inst.group, InstanceID: inst.id, CreatedAt: now, Referenced: true}
}

// deleteIaaSVMLocked destroys a VM in the simulated IaaS; a VM that is not
// there is skipped, like the CPI's VMNotFound.
func (s *Simulator) deleteIaaSVMLocked(cid string, taskID int, deploymentName, instanceName string) bool {
	vm, ok := s.iaas[cid]
	if !ok {
		return false
	}
	delete(s.iaas, cid)
	for _, r := range s.vmHistory {
		if r.CID == cid && r.Deleted.IsZero() {
			r.Deleted = time.Now()
		}
	}
	s.addEventLocked(event{action: "delete", objectType: "vm", objectName: cid, task: taskID, deployment: deploymentName, instance: instanceName})
	s.logger.Info("vm-deleted", lager.Data{"vm_cid": cid, "agent_id": vm.agentID})
	return true
}

func (s *Simulator) recordIPLocked(action, ip, network, dep, instID string, taskID int) {
	s.ipHistory = append(s.ipHistory, IPEvent{Time: time.Now(), IP: ip, Network: network, Deployment: dep, InstanceID: instID, Action: action, TaskID: taskID})
}

func (s *Simulator) notifyVMCreated(vms []VM) {
	if s.opts.OnVMCreated == nil {
		return
	}
	for _, vm := range vms {
		s.opts.OnVMCreated(vm)
	}
}
