package directorsim

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// KindUpdateInstance is the task of the --no-converge instance actions.
const KindUpdateInstance = "update_instance"

// POST /deployments/:d/instance_groups/:ig/:id/actions/{start,stop,restart,recreate}:
// the --no-converge actions act on one instance from the database's view
// (InstancePlanFromDB), so a VM they create comes back on the instance's old
// IP reservation whatever the cloud config now says. Other instances are
// not bound.
func (s *Simulator) handleInstanceAction(w http.ResponseWriter, r *http.Request, dep, group, indexOrID, action string) {
	_, _ = io.Copy(io.Discard, r.Body)
	if _, err := strconv.Atoi(indexOrID); err != nil && !instanceIDPattern.MatchString(indexOrID) {
		writeError(w, http.StatusBadRequest, 140002, fmt.Sprintf("Invalid instance index or id '%s'", indexOrID))
		return
	}
	q := r.URL.Query()
	hard := action == "recreate" || q.Get("hard") == "true"
	ignoreUnresponsive := q.Get("ignore_unresponsive_agent") == "true"
	s.mu.Lock()
	inst := s.deployments[dep].findInstance(group, indexOrID)
	s.mu.Unlock()
	if inst == nil {
		writeError(w, http.StatusNotFound, 80005, fmt.Sprintf("'%s/%s' doesn't exist", group, indexOrID))
		return
	}
	t := s.startTask(KindUpdateInstance, action+" instance", dep, r.Header.Get("X-Bosh-Context-Id"), func(run *taskRun) (string, error) {
		var created []VM
		res, err := run.withLock(dep, s.opts.LockWait, func() (string, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			d := s.deployments[dep]
			if ig := igOf(d, inst.group); asString(ig.get("lifecycle")) == "errand" {
				return "", errCode(140015, "Isolated %s can not be run on instances of type errand. Try the bosh run-errand command.", action)
			}
			if inst.ignore {
				return "", errCode(190024, "You are trying to change the state of the ignored instance '%s'.This operation is not allowed. You need to unignore it first.", inst.name())
			}
			st := run.stageLocked("Updating instance "+inst.String(), 0)
			unresponsive := inst.vm != nil && !s.agentResponsiveLocked(inst.vm.agentID)
			timedOut := func() error {
				return errCode(450002, "Timed out sending 'get_state' to instance: '%s', agent-id: '%s' after 45 seconds", inst.name(), inst.vm.agentID)
			}
			switch action {
			case "stop":
				if unresponsive {
					return "", timedOut()
				}
				st.stepLocked("Stopping instance", nil)
				inst.state = "stopped"
				if hard && inst.vm != nil {
					s.deleteIaaSVMLocked(inst.vm.cid, run.t.id, dep, inst.name())
					inst.vm = nil
					inst.state, inst.expectsVM = "detached", false
					st.stepLocked("Deleting VM", nil)
				}
			case "start":
				if unresponsive {
					return "", timedOut()
				}
				if inst.vm == nil {
					created = append(created, s.createVMLocked(d, inst, "instance-action", run.t.id))
					st.stepLocked("Creating VM", nil)
				}
				inst.state, inst.expectsVM = "started", true
				s.applyLocked(inst)
				st.stepLocked("Starting instance", nil)
			case "restart", "recreate":
				if unresponsive && !(hard && ignoreUnresponsive) {
					return "", timedOut()
				}
				if hard {
					if inst.vm != nil {
						s.deleteIaaSVMLocked(inst.vm.cid, run.t.id, dep, inst.name())
						inst.vm = nil
						st.stepLocked("Deleting VM", nil)
					}
					created = append(created, s.createVMLocked(d, inst, "instance-action", run.t.id))
					st.stepLocked("Creating VM", nil)
				}
				inst.state, inst.expectsVM = "started", true
				s.applyLocked(inst)
				st.stepLocked("Restarting instance", nil)
			}
			return inst.name(), nil
		})
		s.notifyVMCreated(created)
		return res, err
	})
	redirectTask(w, t)
}
