package directorsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"code.cloudfoundry.org/lager/v3"
)

// igSpec is an instance group of a deployment manifest, reduced to what the
// simulator plans with.
type igSpec struct {
	name      string
	instances int
	azs       []string
	networks  []igNetwork
	lifecycle string
	vmType    string
	jobs      []string
	raw       *omap
}

type igNetwork struct {
	name      string
	staticIPs []string
}

// parseManifest validates a deployment manifest the way the director does
// before it plans, and extracts its instance groups.
func parseManifest(text string) (*omap, []igSpec, error) {
	m, err := parseYAMLMap(text)
	if err != nil {
		return nil, nil, errCode(440001, "Incorrect YAML structure of the uploaded manifest: %s", err.Error())
	}
	for _, k := range []string{"vm_types", "azs", "disk_types", "compilation"} {
		if m.has(k) {
			return nil, nil, errCode(190020, "Deployment manifest contains '%s' section, but this can only be set in a cloud-config.", k)
		}
	}
	if m.has("networks") {
		return nil, nil, errCode(190019, "Deployment 'networks' are no longer supported. Network definitions must now be provided in a cloud-config.")
	}
	var igs []igSpec
	for _, v := range asList(m.get("instance_groups")) {
		im, ok := v.(*omap)
		if !ok {
			return nil, nil, errCode(190000, "Instance group is not a hash")
		}
		ig := igSpec{name: asString(im.get("name")), lifecycle: asString(im.get("lifecycle")), vmType: asString(im.get("vm_type")), raw: im}
		if ig.name == "" {
			return nil, nil, errCode(190000, "Required property 'name' was not specified in object")
		}
		n, ok := asInt(im.get("instances"))
		if !ok {
			return nil, nil, errCode(190000, "Required property 'instances' was not specified in object (%s)", ig.name)
		}
		ig.instances = n
		for _, a := range asList(im.get("azs")) {
			ig.azs = append(ig.azs, asString(a))
		}
		for _, j := range asList(im.get("jobs")) {
			if jm, ok := j.(*omap); ok {
				ig.jobs = append(ig.jobs, asString(jm.get("name")))
			}
		}
		for _, nv := range asList(im.get("networks")) {
			nm, ok := nv.(*omap)
			if !ok {
				continue
			}
			in := igNetwork{name: asString(nm.get("name"))}
			for _, sv := range asList(nm.get("static_ips")) {
				r, err := parseIPEntry(asString(sv))
				if err != nil {
					return nil, nil, errCode(190000, "Invalid static IP '%v' in instance group '%s'", sv, ig.name)
				}
				for ip := r.first; ip <= r.last && ip >= r.first; ip++ {
					in.staticIPs = append(in.staticIPs, intToIP(ip))
				}
			}
			ig.networks = append(ig.networks, in)
		}
		if len(ig.networks) == 0 {
			return nil, nil, errCode(190000, "Instance group '%s' must specify at least one network", ig.name)
		}
		igs = append(igs, ig)
	}
	return m, igs, nil
}

// canonical renders a value with sorted keys so fingerprints do not depend
// on key order.
func canonical(v any) string {
	switch t := v.(type) {
	case *omap:
		keys := append([]string{}, t.keys...)
		sort.Strings(keys)
		var b strings.Builder
		b.WriteString("{")
		for _, k := range keys {
			b.WriteString(strconv.Quote(k) + ":" + canonical(t.vals[k]) + ",")
		}
		b.WriteString("}")
		return b.String()
	case []any:
		var parts []string
		for _, e := range t {
			parts = append(parts, canonical(e))
		}
		return "[" + strings.Join(parts, ",") + "]"
	default:
		out, _ := json.Marshal(t)
		return string(out)
	}
}

// vmFingerprint is what, when it changes, makes the director replace the VM.
func vmFingerprint(ig *igSpec, spec *cloudSpec, az string) string {
	v := newOmap()
	v.set("vm_type", ig.vmType)
	v.set("vm_type_cloud_properties", spec.vmTypes[ig.vmType])
	for _, k := range []string{"stemcell", "vm_extensions", "env", "persistent_disk", "persistent_disk_type"} {
		v.set(k, ig.raw.get(k))
	}
	var nets []any
	for _, n := range ig.networks {
		nets = append(nets, n.name)
	}
	v.set("networks", nets)
	v.set("az", az)
	return canonical(v)
}

// specFingerprint is what, when it changes, makes the director update the
// instance in place.
func specFingerprint(ig *igSpec, vmFP string) string {
	v := newOmap()
	for _, k := range []string{"jobs", "properties", "update"} {
		v.set(k, ig.raw.get(k))
	}
	v.set("vm", vmFP)
	return canonical(v)
}

type deployOpts struct {
	recreate bool
	fix      bool
	dryRun   bool
	// states are instance state changes by instance id (PUT .../jobs).
	states map[string]string
	cause  string
}

type instPlan struct {
	inst      *instance
	isNew     bool
	ig        *igSpec
	az        string
	ips       map[string]string
	state     string
	expectsVM bool
	needVM    bool
	deleteOld bool
	updated   bool
	vmFP      string
	specFP    string
}

func contains(list []string, v string) bool {
	for _, e := range list {
		if e == v {
			return true
		}
	}
	return false
}

// deployLocked plans a deployment against the cloud configs with the given
// ids and, unless it is a dry run, applies every change to every instance.
// It returns the VMs it created so the caller can report them after
// releasing s.mu.
func (s *Simulator) deployLocked(r *taskRun, name, text string, manifest *omap, igs []igSpec, cloudIDs, runtimeIDs []int, o deployOpts) (string, []VM, error) {
	prep := r.stageLocked("Preparing deployment", 1)
	fail := func(err error) (string, []VM, error) {
		prep.stepLocked("Preparing deployment", err)
		return "", nil, err
	}
	spec, err := s.cloudSpecForLocked(cloudIDs)
	if err != nil {
		return fail(err)
	}
	for _, ig := range igs {
		for _, n := range ig.networks {
			net := spec.networks[n.name]
			if net == nil {
				return fail(errCode(190014, "Instance group '%s' references a network '%s' which is not defined", ig.name, n.name))
			}
			for _, ip := range n.staticIPs {
				v, _ := parseIPv4(ip)
				if _, ok := net.subnetFor(v); !ok || !net.isStatic(v) {
					return fail(errCode(190000, "Instance group '%s' asks for a static IP %s but it's in the dynamic pool or outside of network '%s'", ig.name, ip, n.name))
				}
			}
		}
		for _, az := range ig.azs {
			if len(spec.azs) > 0 && !contains(spec.azs, az) {
				return fail(errCode(190000, "Instance group '%s' must specify availability zone that matches availability zones configured in cloud-config, got '%s'", ig.name, az))
			}
		}
	}

	d := s.deployments[name]
	if d == nil {
		d = &deployment{name: name}
	}

	// Binding: the director asks every agent for its state before it
	// changes anything; an unresponsive one fails the whole deploy unless
	// --fix lets it recreate that instance.
	recreateUnresponsive := map[*instance]bool{}
	for _, inst := range d.instances {
		if inst.ignore || inst.vm == nil {
			continue
		}
		if !s.agentResponsiveLocked(inst.vm.agentID) {
			if o.fix {
				recreateUnresponsive[inst] = true
				continue
			}
			return fail(errCode(450002, "Timed out sending 'get_state' to instance: '%s', agent-id: '%s' after 45 seconds", inst.name(), inst.vm.agentID))
		}
	}

	// Instances to keep, create and delete.
	var plans []*instPlan
	var obsolete []*instance
	byGroup := map[string][]*instance{}
	for _, inst := range d.instances {
		byGroup[inst.group] = append(byGroup[inst.group], inst)
	}
	wanted := map[string]bool{}
	for gi := range igs {
		ig := &igs[gi]
		wanted[ig.name] = true
		existing := byGroup[ig.name]
		sortInstances(existing)
		azCount := map[string]int{}
		for i, inst := range existing {
			if i < ig.instances {
				az := inst.az
				if len(ig.azs) > 0 && !contains(ig.azs, az) {
					az = ""
				}
				if az != "" {
					azCount[az]++
				}
				plans = append(plans, &instPlan{inst: inst, ig: ig, az: az})
			} else {
				obsolete = append(obsolete, inst)
			}
		}
		nextIndex := 0
		for _, inst := range existing {
			if inst.index >= nextIndex {
				nextIndex = inst.index + 1
			}
		}
		for len(existing) < ig.instances {
			inst := &instance{group: ig.name, id: newUUID(), index: nextIndex, ips: map[string]string{}, state: "started"}
			nextIndex++
			existing = append(existing, inst)
			plans = append(plans, &instPlan{inst: inst, isNew: true, ig: ig})
		}
		for _, p := range plans {
			if p.ig == ig && p.az == "" && len(ig.azs) > 0 {
				best := ig.azs[0]
				for _, az := range ig.azs {
					if azCount[az] < azCount[best] {
						best = az
					}
				}
				p.az = best
				azCount[best]++
			}
		}
	}
	for g, list := range byGroup {
		if !wanted[g] {
			obsolete = append(obsolete, list...)
		}
	}
	// IP addresses the director's database holds: every reservation of
	// every instance it knows. A VM whose reference was deleted is not in
	// it once its instance moved on, which is why it can be handed out.
	inUse := map[string]*instance{}
	for _, dd := range s.deployments {
		for _, inst := range dd.instances {
			for _, ip := range inst.ips {
				inUse[ip] = inst
			}
		}
	}

	for _, p := range plans {
		inst := p.inst
		p.state = inst.state
		if st, ok := o.states[inst.id]; ok {
			switch st {
			case "started", "restart", "recreate":
				p.state = "started"
			case "stopped", "detached":
				p.state = st
			default:
				return fail(errCode(190000, "Unknown state '%s'", st))
			}
		}
		p.expectsVM = p.ig.lifecycle != "errand" && p.state != "detached"
		if inst.ignore && !p.isNew {
			// an ignored instance is left exactly as it is
			p.state, p.expectsVM = inst.state, inst.expectsVM
			p.ips = map[string]string{}
			for k, v := range inst.ips {
				p.ips[k] = v
			}
			p.vmFP, p.specFP = inst.vmSpec, inst.spec
			continue
		}
		p.ips = map[string]string{}
		for _, n := range p.ig.networks {
			net := spec.networks[n.name]
			if net.typ != "manual" {
				continue
			}
			if len(n.staticIPs) > 0 {
				if inst.index < len(n.staticIPs) {
					p.ips[n.name] = n.staticIPs[inst.index]
					inUse[n.staticIPs[inst.index]] = inst
					continue
				}
				return fail(errCode(190000, "Instance group '%s' has %d instances but was allocated %d static IPs in network '%s'", p.ig.name, p.ig.instances, len(n.staticIPs), n.name))
			}
			if cur := inst.ips[n.name]; cur != "" {
				v, _ := parseIPv4(cur)
				if sn, ok := net.subnetFor(v); ok && sn.inAZ(p.az) && !sn.restricted(v) && !net.isStatic(v) {
					p.ips[n.name] = cur
					continue
				}
			}
			ip, ok := allocateIP(net, p.az, inUse)
			if !ok {
				return fail(errCode(130001, "Failed to reserve IP for '%s' for manual network '%s': no more available", inst.String(), n.name))
			}
			p.ips[n.name] = ip
			inUse[ip] = inst
		}
		ipsChanged := len(p.ips) != len(inst.ips)
		for k, v := range p.ips {
			if inst.ips[k] != v {
				ipsChanged = true
			}
		}
		p.vmFP = vmFingerprint(p.ig, spec, p.az)
		p.specFP = specFingerprint(p.ig, p.vmFP)
		stateChange := o.states[inst.id]
		p.needVM = p.expectsVM && (inst.vm == nil || o.recreate || stateChange == "recreate" || ipsChanged ||
			(inst.vmSpec != "" && inst.vmSpec != p.vmFP) || recreateUnresponsive[inst])
		p.deleteOld = inst.vm != nil && (p.needVM || !p.expectsVM)
		p.updated = p.isNew || p.needVM || p.deleteOld || inst.spec != p.specFP || p.state != inst.state || stateChange == "restart"
	}

	prep.stepLocked("Preparing deployment", nil)
	if o.dryRun {
		return "/deployments/" + name, nil, nil
	}

	var created []VM
	for _, inst := range obsolete {
		if inst.vm != nil {
			s.deleteIaaSVMLocked(inst.vm.cid, r.t.id, name, inst.name())
		}
		for n, ip := range inst.ips {
			s.recordIPLocked("released", ip, n, name, inst.id, r.t.id)
		}
		s.addEventLocked(event{action: "delete", objectType: "instance", objectName: inst.name(), task: r.t.id, deployment: name, instance: inst.name()})
	}

	var missing []*instPlan
	for _, p := range plans {
		if p.needVM && (p.inst.vm == nil) {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		st := r.stageLocked("Creating missing vms", len(missing))
		for _, p := range missing {
			s.applyNetworkLocked(p, name, r.t.id)
			p.inst.az = p.az
			created = append(created, s.createVMLocked(d, p.inst, o.cause, r.t.id))
			st.stepLocked(p.inst.String(), nil)
		}
	}

	canary := true
	var updating *stage
	groupOf := ""
	var kept []*instance
	for _, p := range plans {
		inst := p.inst
		if p.isNew {
			inst.dbID = s.nextInstanceDBID()
		}
		kept = append(kept, inst)
		if !p.updated {
			continue
		}
		if updating == nil || groupOf != inst.group {
			count := 0
			for _, q := range plans {
				if q.ig == p.ig && q.updated {
					count++
				}
			}
			updating = r.stageLocked("Updating instance", count, inst.group)
			groupOf = inst.group
			canary = true
		}
		if p.deleteOld {
			s.deleteIaaSVMLocked(inst.vm.cid, r.t.id, name, inst.name())
			inst.vm = nil
		}
		s.applyNetworkLocked(p, name, r.t.id)
		inst.az = p.az
		if p.needVM && inst.vm == nil {
			created = append(created, s.createVMLocked(d, inst, o.cause, r.t.id))
		}
		stepName := inst.String()
		if canary {
			stepName += " (canary)"
			canary = false
		}
		updating.stepLocked(stepName, nil)
		action := "update"
		if p.isNew {
			action = "create"
		}
		s.addEventLocked(event{action: action, objectType: "instance", objectName: inst.name(), task: r.t.id, deployment: name, instance: inst.name()})
	}
	for _, p := range plans {
		if p.updated && p.state == "started" {
			s.applyLocked(p.inst)
		}
	}
	for _, p := range plans {
		inst := p.inst
		inst.state = p.state
		inst.expectsVM = p.expectsVM
		inst.vmSpec = p.vmFP
		inst.spec = p.specFP
		inst.networks = nil
		for _, n := range p.ig.networks {
			inst.networks = append(inst.networks, n.name)
		}
	}
	sortInstances(kept)
	for i, inst := range kept {
		inst.bootstrap = i == 0 || kept[i-1].group != inst.group
	}
	d.instances = kept
	d.manifestText = text
	d.manifest = manifest
	d.cloudConfigIDs = cloudIDs
	d.runtimeConfigIDs = runtimeIDs
	_, existed := s.deployments[name]
	s.deployments[name] = d
	action := "update"
	if !existed {
		action = "create"
	}
	s.addEventLocked(event{action: action, objectType: "deployment", objectName: name, task: r.t.id, deployment: name})
	return "/deployments/" + name, created, nil
}

// applyNetworkLocked moves the instance's database reservations to the
// planned IPs, recording what was released and allocated.
func (s *Simulator) applyNetworkLocked(p *instPlan, dep string, taskID int) {
	inst := p.inst
	for n, old := range inst.ips {
		if p.ips[n] != old {
			s.recordIPLocked("released", old, n, dep, inst.id, taskID)
		}
	}
	for n, ip := range p.ips {
		if inst.ips[n] != ip {
			s.recordIPLocked("allocated", ip, n, dep, inst.id, taskID)
		}
	}
	inst.ips = map[string]string{}
	for n, ip := range p.ips {
		inst.ips[n] = ip
	}
	inst.networks = nil
	for _, n := range p.ig.networks {
		inst.networks = append(inst.networks, n.name)
	}
}

// allocateIP hands out the lowest address of a subnet in the AZ that is
// neither restricted (network, broadcast, gateway, reserved), static, nor
// held in the database.
func allocateIP(net *network, az string, inUse map[string]*instance) (string, bool) {
	for _, sn := range net.subnets {
		if !sn.inAZ(az) {
			continue
		}
		for ip := sn.rng.first; ip <= sn.rng.last && ip >= sn.rng.first; ip++ {
			if sn.restricted(ip) || inRanges(ip, sn.static) {
				continue
			}
			if _, taken := inUse[intToIP(ip)]; taken {
				continue
			}
			return intToIP(ip), true
		}
	}
	return "", false
}

var instanceIDPattern = regexp.MustCompile(`^[A-Fa-f0-9]{8}-[A-Fa-f0-9-]{27}$`)

type deployContext struct {
	CloudConfigIDs   []any `json:"cloud_config_ids"`
	RuntimeConfigIDs []any `json:"runtime_config_ids"`
}

func (s *Simulator) idsFromContextLocked(list []any, typ string) ([]int, error) {
	out := []int{}
	for _, v := range list {
		id, err := strconv.Atoi(strings.TrimSuffix(fmt.Sprint(v), ".0"))
		if f, ok := v.(float64); ok {
			id, err = int(f), nil
		}
		c := s.configByIDLocked(id)
		if err != nil || c == nil || c.typ != typ {
			return nil, errCode(440003, "Context includes invalid config ID")
		}
		out = append(out, id)
	}
	sort.Ints(out)
	return out, nil
}

// POST /deployments (text/yaml; recreate, fix, skip_drain, canaries,
// max_in_flight, dry_run, context)
func (s *Simulator) handleDeploy(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	manifest, igs, err := parseManifest(string(body))
	if err != nil {
		writeDirectorError(w, http.StatusBadRequest, err)
		return
	}
	name := asString(manifest.get("name"))
	if name == "" {
		writeError(w, http.StatusBadRequest, 190000, "Deployment manifest must have a 'name' key")
		return
	}
	q := r.URL.Query()
	o := deployOpts{recreate: q.Get("recreate") == "true", fix: q.Get("fix") == "true", dryRun: q.Get("dry_run") == "true", cause: "deploy"}
	s.mu.Lock()
	cloudIDs := configIDs(s.latestSetLocked("cloud"))
	runtimeIDs := configIDs(s.latestSetLocked("runtime"))
	if c := q.Get("context"); c != "" {
		var ctx deployContext
		if err := json.Unmarshal([]byte(c), &ctx); err != nil {
			s.mu.Unlock()
			writeError(w, http.StatusBadRequest, 440001, "Invalid context: "+err.Error())
			return
		}
		// like the director, a context without an id list pins none
		if cloudIDs, err = s.idsFromContextLocked(ctx.CloudConfigIDs, "cloud"); err == nil {
			runtimeIDs, err = s.idsFromContextLocked(ctx.RuntimeConfigIDs, "runtime")
		}
		if err != nil {
			s.mu.Unlock()
			writeDirectorError(w, http.StatusBadRequest, err)
			return
		}
	}
	s.mu.Unlock()
	desc := "create deployment"
	if o.dryRun {
		desc += " (dry run)"
	}
	t := s.startDeployTask(desc, name, r.Header.Get("X-Bosh-Context-Id"), string(body), manifest, igs, cloudIDs, runtimeIDs, o)
	redirectTask(w, t)
}

func (s *Simulator) startDeployTask(desc, name, ctxID, text string, manifest *omap, igs []igSpec, cloudIDs, runtimeIDs []int, o deployOpts) *task {
	return s.startTask(KindUpdateDeployment, desc, name, ctxID, func(r *taskRun) (string, error) {
		var created []VM
		res, err := r.withLock(name, s.opts.LockWait, func() (string, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			res, vms, err := s.deployLocked(r, name, text, manifest, igs, cloudIDs, runtimeIDs, o)
			created = vms
			return res, err
		})
		s.notifyVMCreated(created)
		return res, err
	})
}

// PUT /deployments/:d/jobs/:ig[/:id]?state=... With an empty body the
// director plans with the deployment's manifest and the configs pinned at
// its last deploy (so a newly reserved IP is not seen and the instance keeps
// its old IP); with a manifest body it plans against the latest configs.
func (s *Simulator) handleStateChange(w http.ResponseWriter, r *http.Request, dep, group, indexOrID string) {
	q := r.URL.Query()
	state := q.Get("state")
	if indexOrID != "" {
		if _, err := strconv.Atoi(indexOrID); err != nil && !instanceIDPattern.MatchString(indexOrID) {
			writeError(w, http.StatusBadRequest, 140002, fmt.Sprintf("Invalid instance index or id '%s'", indexOrID))
			return
		}
	}
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	d := s.deployments[dep]
	states := map[string]string{}
	for _, inst := range d.instances {
		if group == "*" || (inst.group == group && (indexOrID == "" || inst.id == indexOrID || strconv.Itoa(inst.index) == indexOrID)) {
			states[inst.id] = state
		}
	}
	if len(states) == 0 {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, 80005, fmt.Sprintf("'%s/%s' doesn't exist", group, indexOrID))
		return
	}
	text, manifest := d.manifestText, d.manifest
	cloudIDs, runtimeIDs := d.cloudConfigIDs, d.runtimeConfigIDs
	var igs []igSpec
	var err error
	if len(body) > 0 {
		var m *omap
		m, _, err = parseManifest(string(body))
		if err == nil {
			m.set("name", dep)
			out, _ := yamlMarshal(m)
			text = out
			cloudIDs = configIDs(s.latestSetLocked("cloud"))
			runtimeIDs = configIDs(s.latestSetLocked("runtime"))
		}
	}
	if err == nil {
		manifest, igs, err = parseManifest(text)
	}
	s.mu.Unlock()
	if err != nil {
		writeDirectorError(w, http.StatusBadRequest, err)
		return
	}
	o := deployOpts{fix: q.Get("fix") == "true", dryRun: q.Get("dry_run") == "true", states: states, cause: "state-change"}
	s.logger.Info("state-change", lager.Data{"deployment": dep, "instance_group": group, "instance": indexOrID, "state": state, "empty_body": len(body) == 0})
	t := s.startDeployTask("create deployment", dep, r.Header.Get("X-Bosh-Context-Id"), text, manifest, igs, cloudIDs, runtimeIDs, o)
	redirectTask(w, t)
}

func yamlMarshal(m *omap) (string, error) {
	out, err := yamlMarshalNode(m)
	return string(out), err
}

// manifestForDiffLocked merges a manifest with consolidated cloud and
// runtime configs as the director's diff does: cloud config keys override,
// runtime releases/variables/addons are unioned.
func (s *Simulator) manifestForDiffLocked(manifest *omap, cloudIDs, runtimeIDs []int) (*omap, error) {
	out := manifest.copy()
	spec, err := s.cloudSpecForLocked(cloudIDs)
	if err != nil {
		return nil, err
	}
	for _, k := range spec.raw.keys {
		out.set(k, deepCopy(spec.raw.get(k)))
	}
	for _, id := range runtimeIDs {
		c := s.configByIDLocked(id)
		if c == nil {
			continue
		}
		rc, err := parseYAMLMap(c.content)
		if err != nil {
			return nil, err
		}
		for _, k := range rc.keys {
			v := rc.get(k)
			switch k {
			case "releases", "variables", "addons":
				merged := append([]any{}, asList(out.get(k))...)
				for _, e := range asList(v) {
					if !containsValue(merged, e) {
						merged = append(merged, e)
					}
				}
				out.set(k, merged)
			default:
				out.set(k, deepCopy(v))
			}
		}
	}
	return out, nil
}

// POST /deployments/:d/diff: the deployed state (manifest plus the configs
// pinned at its last deploy) against the given manifest with the latest
// configs, and the ids of those latest configs to pin a deploy to.
func (s *Simulator) handleDeploymentDiff(w http.ResponseWriter, r *http.Request, name string) {
	body, _ := io.ReadAll(r.Body)
	redact := r.URL.Query().Get("redact") != "false"
	s.mu.Lock()
	defer s.mu.Unlock()
	after, err := parseYAMLMap(string(body))
	if err != nil {
		writeJSON(w, http.StatusOK, map[string]any{"diff": []any{}, "error": "Unable to diff manifest: " + err.Error()})
		return
	}
	cloudIDs := configIDs(s.latestSetLocked("cloud"))
	runtimeIDs := configIDs(s.latestSetLocked("runtime"))
	before := newOmap()
	if d := s.deployments[name]; d != nil {
		after.set("name", d.name)
		if before, err = s.manifestForDiffLocked(d.manifest, d.cloudConfigIDs, d.runtimeConfigIDs); err != nil {
			writeJSON(w, http.StatusOK, map[string]any{"diff": []any{}, "error": "Unable to diff manifest: " + err.Error()})
			return
		}
	}
	if after, err = s.manifestForDiffLocked(after, cloudIDs, runtimeIDs); err != nil {
		writeJSON(w, http.StatusOK, map[string]any{"diff": []any{}, "error": "Unable to diff manifest: " + err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"context": map[string]any{"cloud_config_ids": cloudIDs, "runtime_config_ids": runtimeIDs},
		"diff":    wireDiff(orderDiff(diffHashes(before, after, redact, 0))),
	})
}

// POST /deployments/:d/errands/:name/runs: a task that holds the deployment
// lock while the errand runs, as bosh run-errand does.
func (s *Simulator) handleRunErrand(w http.ResponseWriter, r *http.Request, dep, errand string) {
	_, _ = io.Copy(io.Discard, r.Body)
	desc := fmt.Sprintf("run errand %s from deployment %s", errand, dep)
	t := s.startTask(KindRunErrand, desc, dep, r.Header.Get("X-Bosh-Context-Id"), func(run *taskRun) (string, error) {
		return run.withLock(dep, s.opts.LockWait, func() (string, error) {
			s.mu.Lock()
			hold, cancel := s.errandDelay, s.errandCancel
			st := run.stageLocked("Running errand", 1)
			s.mu.Unlock()
			if hold > 0 {
				select {
				case <-time.After(hold):
				case <-cancel:
				}
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			st.stepLocked(errand+"/"+newUUID()+" (0)", nil)
			line, _ := json.Marshal(map[string]any{
				"instance":  map[string]any{"group": errand, "id": newUUID()},
				"exit_code": 0, "stdout": "", "stderr": "",
				"logs": map[string]any{"blobstore_id": "", "sha1": ""},
			})
			run.resultLocked(string(line) + "\n")
			return "1 succeeded", nil
		})
	})
	redirectTask(w, t)
}

// DELETE /vms/:cid: deletes a VM by cid; a referenced VM loses its
// reference, an unreferenced one (a forgotten, sequestered VM) is destroyed
// in the simulated IaaS.
func (s *Simulator) handleDeleteVM(w http.ResponseWriter, cid string) {
	t := s.startTask(KindDeleteVM, "delete vm "+cid, "", "", func(r *taskRun) (string, error) {
		r.work()
		s.mu.Lock()
		defer s.mu.Unlock()
		st := r.stageLocked("Delete VM", 1)
		var owner *instance
		var ownerDep string
		for _, d := range s.deployments {
			for _, inst := range d.instances {
				if inst.vm != nil && inst.vm.cid == cid {
					owner, ownerDep = inst, d.name
				}
			}
		}
		if owner != nil {
			s.deleteIaaSVMLocked(cid, r.t.id, ownerDep, owner.name())
			owner.vm = nil
		} else if !s.deleteIaaSVMLocked(cid, r.t.id, "", "") {
			r.eventLocked(map[string]any{"type": "warning", "message": fmt.Sprintf("VM %s does not exist. Deletion is skipped", cid)})
			st.stepLocked(cid, nil)
			return "", nil
		}
		st.stepLocked(cid, nil)
		st.stepLocked(fmt.Sprintf("VM %s is successfully deleted", cid), nil)
		return fmt.Sprintf("vm %s deleted", cid), nil
	})
	redirectTask(w, t)
}
