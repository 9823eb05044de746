package director

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"code.cloudfoundry.org/lager/v3"
	boshdir "github.com/cloudfoundry/bosh-cli/v7/director"
	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cloudconfig"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
)

// JobStateUnresponsive is the job_state of a VM whose agent stopped answering.
const JobStateUnresponsive = "unresponsive agent"

// preflight reads and checks; it changes nothing. Every error it returns is
// a refusal. On a resume (a record in progress or failed) it skips the
// checks our own earlier steps have made untrue (VM running, empty diff,
// agent plan).
func (f *Flow) preflight(ctx context.Context, logger lager.Logger) (*target, error) {
	logger = logger.Session("preflight")
	t := &target{others: map[string]string{}}
	ok := func(name, detail string) { t.checks = append(t.checks, Check{Name: name, OK: true, Detail: detail}) }
	refuse := func(name string, err error) (*target, error) {
		t.checks = append(t.checks, Check{Name: name, OK: false, Detail: err.Error()})
		logger.Info("refused", lager.Data{"check": name, "reason": err.Error()})
		return t, Refuse(err)
	}
	var err error
	if t.group, t.id, err = SplitInstance(f.Opts.Instance); err != nil {
		return refuse("instance", err)
	}
	d := f.Opts.Deployment
	if d == "" {
		return refuse("deployment", errors.New("no deployment given (-d)"))
	}

	deps, err := f.Dir.ListDeployments()
	if err != nil {
		return refuse("director", fmt.Errorf("list deployments: %w", err))
	}
	found := false
	for _, dep := range deps {
		found = found || dep.Name == d
	}
	if !found {
		return refuse("deployment", fmt.Errorf("deployment %q not found", d))
	}
	if t.dep, err = f.Dir.FindDeployment(d); err != nil {
		return refuse("deployment", err)
	}
	ok("deployment", d)

	insts, err := t.dep.Instances()
	if err != nil {
		return refuse("instance", fmt.Errorf("list instances of %q: %w", d, err))
	}
	for _, in := range insts {
		if in.ID == t.id && in.Group == t.group {
			t.inst = in
		} else if in.VMID != "" {
			t.others[in.Group+"/"+in.ID] = in.VMID
		}
	}
	if t.inst.ID == "" {
		return refuse("instance", fmt.Errorf("instance %s/%s not found in deployment %q", t.group, t.id, d))
	}

	existing, _, err := f.Store.Get(d, t.id)
	switch {
	case err == nil:
		t.existing = &existing
	case errors.Is(err, record.ErrNotFound):
	default:
		return refuse("record", err)
	}
	if t.existing != nil {
		switch t.existing.State {
		case record.StateComplete:
			return refuse("record", fmt.Errorf("%s/%s of deployment %q is already sequestered (record %s, state %s, old IP %s); release it first",
				t.group, t.id, d, t.existing.ID, t.existing.State, t.existing.OldIP))
		case record.StateReleased:
			// History: a new sequestration of the replacement VM takes
			// the record's name over (ensureRecord).
			ok("record", fmt.Sprintf("earlier sequestration %s was released", t.existing.ID))
		default:
			t.resumeOnly = true
			ok("record", fmt.Sprintf("resuming %s (state %s)", t.existing.ID, t.existing.State))
		}
	}
	if t.resumeOnly {
		t.ip = t.existing.OldIP
		t.inst.VMID, t.inst.AgentID, t.inst.AZ = t.existing.VMCID, t.existing.AgentID, t.existing.AZ
		t.others = t.existing.OtherVMs
	} else {
		if len(t.inst.IPs) == 0 || t.inst.VMID == "" {
			return refuse("instance", fmt.Errorf("instance %s/%s has no VM (cid %q, ips %v)", t.group, t.id, t.inst.VMID, t.inst.IPs))
		}
		t.ip = t.inst.IPs[0]
		ok("instance", fmt.Sprintf("%s/%s vm %s ip %s az %s", t.group, t.id, t.inst.VMID, t.ip, t.inst.AZ))
	}

	busy, err := deploymentBusy(f.Dir, d)
	if err != nil {
		return refuse("tasks", err)
	}
	if busy != "" {
		return refuse("tasks", fmt.Errorf("deployment %q has tasks in flight: %s; wait for them (`bosh tasks --all -d %s`, `bosh locks`) and run again", d, busy, d))
	}
	ok("tasks", "none in flight")

	vms, err := t.dep.VMInfos()
	if err != nil {
		return refuse("vms", fmt.Errorf("list VMs of %q: %w", d, err))
	}
	var unresponsive []string
	running := map[string]int{}
	for _, vm := range vms {
		if vm.ID == t.id {
			t.vm = vm
			continue
		}
		if vm.ProcessState == JobStateUnresponsive && !vm.Ignore {
			unresponsive = append(unresponsive, vm.JobName+"/"+vm.ID)
		}
		if vm.ProcessState == "running" {
			running[vm.JobName]++
		}
	}
	if len(unresponsive) > 0 {
		sort.Strings(unresponsive)
		return refuse("vms", fmt.Errorf("other instances of deployment %q have unresponsive agents: %s; the redeploy would fail binding them",
			d, strings.Join(unresponsive, ", ")))
	}
	if !t.resumeOnly {
		// A misbehaving cell often has failing jobs: that is why it is
		// sequestered. The VM must be up and its agent answering.
		if t.vm.ID == "" || (t.vm.ProcessState != "running" && t.vm.ProcessState != "failing") {
			return refuse("vm", fmt.Errorf("VM of %s/%s is not running (job_state %q)", t.group, t.id, t.vm.ProcessState))
		}
		if running[t.group] == 0 {
			return refuse("limits", fmt.Errorf("%s/%s is the last running instance of instance group %s", t.group, t.id, t.group))
		}
	}
	ok("vms", fmt.Sprintf("no other unresponsive agent; %d other running %s", running[t.group], t.group))

	if t.manifest, err = t.dep.Manifest(); err != nil {
		return refuse("manifest", fmt.Errorf("manifest of %q: %w", d, err))
	}
	if !t.resumeOnly {
		diff, err := f.Raw.DeploymentDiff(d, []byte(t.manifest))
		if err != nil {
			return refuse("diff", fmt.Errorf("diff of %q: %w", d, err))
		}
		if err := f.pendingChangesRefusal(d, diff); err != nil {
			return refuse("diff", err)
		}
		if n := len(diffChanges(diff)); n > 0 {
			ok("diff", fmt.Sprintf("only %d reserved lines pending, entries removed or written in another form (harmless)", n))
		} else {
			ok("diff", "empty")
		}
	}

	if err := f.locate(t); err != nil {
		return refuse("network", err)
	}
	ok("network", fmt.Sprintf("manual network %s in cloud config %q, subnet %s", t.placement.Network, t.placement.Config, t.placement.Range))

	if !t.resumeOnly {
		all, err := f.Store.List()
		if err != nil {
			return refuse("limits", err)
		}
		if err := f.limitsProblem(all, d, t.id); err != nil {
			return refuse("limits", err)
		}
		lost, err := unreservedSequestered(all, d, t.id, t.placement.Network, []byte(t.cloudContent))
		if err != nil {
			return refuse("network", err)
		}
		if len(lost) > 0 {
			return refuse("network", refuseUnreserved(t.placement.Config, lost))
		}
		ok("limits", fmt.Sprintf("max_sequestered %d", f.Opts.MaxSequestered))

		t.globalWas, err = f.Raw.GlobalResurrectionPaused()
		switch {
		case err == nil:
			ok("resurrection", fmt.Sprintf("global resurrection paused: %v", t.globalWas))
		case strings.Contains(err.Error(), "answered 404") && f.Opts.ResurrectionMode != record.ResurrectionGlobal:
			// Older directors have only PUT /resurrection: without the
			// prior value the global switch is never touched.
			t.globalUnknown = true
			ok("resurrection", "this director cannot report global resurrection; only the scoped pause will be used")
		default:
			return refuse("resurrection", fmt.Errorf("read global resurrection: %w", err))
		}

		plan, err := f.Agents(t.ip).Plan(ctx, f.agentRequest(""))
		if err != nil {
			if agentapi.IsRefused(err) {
				return refuse("agent", fmt.Errorf("sequester-agent on %s/%s (%s) refused the plan: %w", t.group, t.id, t.ip, err))
			}
			return refuse("agent", fmt.Errorf("sequester-agent on %s/%s (%s) unreachable: %w", t.group, t.id, t.ip, err))
		}
		t.agentPlan = &plan
		// The agent runs one operation per cell, ever, and a plan without
		// an operation id does not say whether one is journaled: without
		// this check a cell that already ran one would pass here and
		// refuse the sequester (409) only after the IP is reserved and
		// resurrection paused.
		st, err := f.Agents(t.ip).Status(ctx)
		if err != nil {
			return refuse("agent", fmt.Errorf("sequester-agent on %s/%s (%s) unreachable: %w", t.group, t.id, t.ip, err))
		}
		if st.OperationID != "" {
			return refuse("agent", fmt.Errorf("sequester-agent on %s/%s (%s) already holds operation %s (%s) that no unfinished sequestration record owns; an agent runs one operation per cell: look at `sequester status --local` on the cell",
				t.group, t.id, t.ip, st.OperationID, st.Phase))
		}
		if err := checkKeep(f.Opts.Keep, plan); err != nil {
			return refuse("keep", fmt.Errorf("on %s/%s: %w", t.group, t.id, err))
		}
		ok("keep", fmt.Sprintf("keep %d, prune %d", len(plan.Keep), len(plan.Prune)))
		if !plan.SSH.Ready && !f.Opts.AllowWithoutSSH {
			return refuse("ssh", fmt.Errorf("investigator SSH on %s/%s is not ready (%s); fix it or allow_without_ssh", t.group, t.id, plan.SSH.Problem))
		}
		ok("ssh", fmt.Sprintf("user %s ready %v", plan.SSH.User, plan.SSH.Ready))
		detail, err := f.checkCapacity(ctx, t.id)
		if err != nil {
			return refuse("capacity", err)
		}
		ok("capacity", detail)
	}
	logger.Info("passed", lager.Data{"resume": t.resumeOnly, "old_ip": t.ip})
	return t, nil
}

// limitsProblem applies the limits to the records: no other unfinished
// sequestration of the deployment (two at once would each deploy the
// other's reserved IP, recreating a VM that is not yet let go), and no
// more than max_sequestered cells not yet released.
func (f *Flow) limitsProblem(all []record.Record, d, id string) error {
	var active, unfinished []string
	for _, r := range all {
		if !r.Active() || (r.Deployment == d && r.InstanceID == id) {
			continue
		}
		active = append(active, r.Deployment+":"+r.Instance())
		if r.Deployment == d && r.State != record.StateComplete {
			unfinished = append(unfinished, fmt.Sprintf("%s (%s, %s)", r.Instance(), r.ID, r.State))
		}
	}
	if len(unfinished) > 0 {
		return fmt.Errorf("another sequestration in deployment %q is not finished: %s; finish it first (re-run it)",
			d, strings.Join(unfinished, ", "))
	}
	if f.Opts.MaxSequestered > 0 && len(active) >= f.Opts.MaxSequestered {
		return fmt.Errorf("already %d cells sequestered (max_sequestered %d): %s; release one first",
			len(active), f.Opts.MaxSequestered, strings.Join(active, ", "))
	}
	return nil
}

// checkKeep: every handle and app the operator named must be among the
// containers the agent would keep, and an empty keep list needs None.
func checkKeep(k agentapi.Keep, plan agentapi.Plan) error {
	kept := map[string]bool{}
	apps := map[string]bool{}
	for _, c := range plan.Keep {
		kept[c.Handle] = true
		apps[c.AppGUID] = true
	}
	for _, h := range k.Handles {
		if !kept[h] {
			return fmt.Errorf("keep handle %q matches no container", h)
		}
	}
	for _, a := range k.AppGUIDs {
		if !apps[a] {
			return fmt.Errorf("keep app %q matches no container", a)
		}
	}
	if len(plan.Keep) == 0 && !k.None {
		return errors.New("the keep list matches no container (say --keep-none to prune everything)")
	}
	return nil
}

func (f *Flow) agentRequest(operationID string) agentapi.SequesterRequest {
	return agentapi.SequesterRequest{
		OperationID:     operationID,
		Keep:            f.Opts.Keep,
		Freeze:          f.Opts.Freeze,
		BlockEgress:     f.Opts.BlockEgress,
		AllowWithoutSSH: f.Opts.AllowWithoutSSH,
	}
}

// locate finds the instance's network (from the manifest's instance group)
// and the cloud config that defines it.
func (f *Flow) locate(t *target) error {
	nets, statics, err := groupNetworks(t.manifest, t.group)
	if err != nil {
		return err
	}
	if statics[t.ip] {
		return fmt.Errorf("%s of %s/%s is a static IP in the manifest: %w", t.ip, t.group, t.id, cloudconfig.ErrStaticIP)
	}
	cfgs, err := f.Dir.ListConfigs(1, boshdir.ConfigsFilter{Type: "cloud"})
	if err != nil {
		return fmt.Errorf("list cloud configs: %w", err)
	}
	var named []cloudconfig.Named
	for _, c := range cfgs {
		named = append(named, cloudconfig.Named{Name: c.Name, ID: c.ID, Content: c.Content})
	}
	var lastErr error
	for _, n := range nets {
		p, err := cloudconfig.Locate(named, n, t.ip)
		if err == nil {
			t.placement = p
			for _, c := range named {
				if c.Name == p.Config {
					t.cloudContent = c.Content
				}
			}
			return nil
		}
		if errors.Is(err, cloudconfig.ErrOutsideSubnets) {
			lastErr = err
			continue
		}
		return err
	}
	if lastErr == nil {
		lastErr = fmt.Errorf("instance group %s has no networks", t.group)
	}
	return lastErr
}

func groupNetworks(manifest, group string) ([]string, map[string]bool, error) {
	var m struct {
		InstanceGroups []struct {
			Name     string `yaml:"name"`
			Networks []struct {
				Name      string   `yaml:"name"`
				StaticIPs []string `yaml:"static_ips"`
			} `yaml:"networks"`
		} `yaml:"instance_groups"`
	}
	if err := yaml.Unmarshal([]byte(manifest), &m); err != nil {
		return nil, nil, fmt.Errorf("parse manifest: %w", err)
	}
	for _, g := range m.InstanceGroups {
		if g.Name != group {
			continue
		}
		var names []string
		statics := map[string]bool{}
		for _, n := range g.Networks {
			names = append(names, n.Name)
			for _, ip := range n.StaticIPs {
				statics[strings.TrimSpace(ip)] = true
			}
		}
		return names, statics, nil
	}
	return nil, nil, fmt.Errorf("instance group %s not in the manifest", group)
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], "...")
	}
	return s
}
