package directorsim

import (
	"encoding/json"
	"net/http"
	"time"
)

func iso(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// igOf finds an instance's group in the deployed manifest.
func igOf(d *deployment, group string) *omap {
	for _, ig := range asList(d.manifest.get("instance_groups")) {
		if m, ok := ig.(*omap); ok && asString(m.get("name")) == group {
			return m
		}
	}
	return nil
}

// vmStateLocked is one result line of GET .../vms|instances?format=full, with
// the fields the director's VmState job writes. An agent that does not answer
// gives job_state "unresponsive agent" and no vitals or processes.
func (s *Simulator) vmStateLocked(d *deployment, inst *instance) map[string]any {
	ig := igOf(d, inst.group)
	var cid, agentID, created, jobState, vitals any
	ips := []string{}
	processes := []map[string]any{}
	if vm := inst.vm; vm != nil {
		cid, agentID, created = vm.cid, vm.agentID, iso(vm.createdAt)
		ips = append(ips, vm.ips...)
		if s.agentResponsiveLocked(vm.agentID) {
			procState := "running"
			if inst.state != "started" {
				procState = "stopped"
			}
			jobState = procState
			uptime := uint64(time.Since(vm.createdAt).Seconds())
			vitals = map[string]any{
				"cpu":    map[string]any{"sys": "0.4", "user": "1.2", "wait": "0.1"},
				"mem":    map[string]any{"kb": "524288", "percent": "12"},
				"swap":   map[string]any{"kb": "0", "percent": "0"},
				"load":   []string{"0.05", "0.10", "0.08"},
				"disk":   map[string]any{"system": map[string]any{"percent": "34", "inode_percent": "12"}, "ephemeral": map[string]any{"percent": "5", "inode_percent": "1"}},
				"uptime": map[string]any{"secs": uptime},
			}
			for _, j := range asList(ig.get("jobs")) {
				if jm, ok := j.(*omap); ok {
					processes = append(processes, map[string]any{
						"name": asString(jm.get("name")), "state": procState,
						"uptime": map[string]any{"secs": uptime},
						"mem":    map[string]any{"kb": 20480, "percent": 0.5},
						"cpu":    map[string]any{"total": 0.3},
					})
				}
			}
		} else {
			jobState = "unresponsive agent"
		}
	}
	stemcell := map[string]any{"name": nil, "version": nil, "api_version": nil}
	if inst.vm != nil {
		st := manifestStemcells(d.manifest)
		if len(st) > 0 {
			stemcell = map[string]any{"name": st[0]["name"], "version": st[0]["version"], "api_version": 3}
		}
	}
	return map[string]any{
		"vm_cid":           cid,
		"active":           inst.vm != nil,
		"vm_created_at":    created,
		"cloud_properties": map[string]any{},
		"disk_cid":         nil,
		"disk_cids":        []string{},
		"ips":              ips,
		"agent_id":         agentID,
		"job_name":         inst.group,
		"index":            inst.index,
		"job_state":        jobState,
		"state":            inst.state,
		"vm_type":          asString(ig.get("vm_type")),
		"vitals":           vitals,
		"processes":        processes,
		"az":               nilIfEmpty(inst.az),
		"id":               inst.id,
		"bootstrap":        inst.bootstrap,
		"ignore":           inst.ignore,
		"stemcell":         stemcell,
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// handleVMs answers GET /deployments/:d/vms and /instances. With
// format=full it is a task whose result is one JSON object per line (vms:
// instances with a VM; instances: every instance); without, a synchronous
// list.
func (s *Simulator) handleVMs(w http.ResponseWriter, r *http.Request, dep string, allInstances bool) {
	if r.URL.Query().Get("format") == "full" {
		t := s.startTask(KindVMs, "retrieve vm-stats", dep, r.Header.Get("X-Bosh-Context-Id"), func(run *taskRun) (string, error) {
			run.work()
			s.mu.Lock()
			defer s.mu.Unlock()
			d := s.deployments[dep]
			if d == nil {
				return "", errCode(70000, "Deployment '%s' doesn't exist", dep)
			}
			for _, inst := range d.instances {
				if !allInstances && inst.vm == nil {
					continue
				}
				line, _ := json.Marshal(s.vmStateLocked(d, inst))
				run.resultLocked(string(line) + "\n")
			}
			return "", nil
		})
		redirectTask(w, t)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deployments[dep]
	out := []map[string]any{}
	for _, inst := range d.instances {
		if !allInstances && inst.vm == nil {
			continue
		}
		entry := map[string]any{
			"agent_id": nil, "cid": nil, "job": inst.group, "index": inst.index, "id": inst.id,
			"az": nilIfEmpty(inst.az), "ips": []string{}, "vm_created_at": nil,
		}
		if vm := inst.vm; vm != nil {
			entry["agent_id"], entry["cid"], entry["ips"], entry["vm_created_at"] = vm.agentID, vm.cid, vm.ips, iso(vm.createdAt)
		}
		if allInstances {
			entry["expects_vm"] = inst.expectsVM
		} else {
			entry["active"] = true
			entry["permanent_nats_credentials"] = false
		}
		out = append(out, entry)
	}
	writeJSON(w, http.StatusOK, out)
}
