package director

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"code.cloudfoundry.org/lager/v3"
	boshdir "github.com/cloudfoundry/bosh-cli/v7/director"
	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cloudconfig"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

// JobStateUnresponsive is the job_state of a VM whose agent stopped answering.
const JobStateUnresponsive = "unresponsive agent"

// preflightCheck is one check of preflight. A check runs when every check
// it needs passed: nothing about an instance can be read without its
// deployment, so those stop there; every other check runs whatever the
// others found, so one refusal names every problem and an operator fixes
// them in one round (as kubectl's drain gathers every pod's error before
// refusing). key is unique; name is the line plan prints.
type preflightCheck struct {
	key, name string
	needs     []string
	// onResume: the check also runs when a record in progress or failed
	// is resumed; the others check what our own earlier steps made untrue
	// (VM running, empty diff, agent plan).
	onResume bool
	run      func(ctx context.Context, t *target) (detail string, err error)
}

// preflightChecks are preflight's checks in the order plan prints them.
func (f *Flow) preflightChecks() []preflightCheck {
	return []preflightCheck{
		{key: "instance-name", name: "instance", onResume: true, run: f.checkInstanceName},
		{key: "deployment", name: "deployment", onResume: true, run: f.checkDeployment},
		{key: "record", name: "record", needs: []string{"instance-name", "deployment"}, onResume: true, run: f.checkRecord},
		{key: "instance", name: "instance", needs: []string{"record"}, onResume: true, run: f.checkInstance},
		{key: "tasks", name: "tasks", needs: []string{"deployment"}, onResume: true, run: f.checkTasks},
		{key: "vms", name: "vms", needs: []string{"instance"}, onResume: true, run: f.checkOtherVMs},
		{key: "vm", name: "vm", needs: []string{"vms"}, run: f.checkVMRunning},
		{key: "last-instance", name: "limits", needs: []string{"vms"}, run: f.checkNotLast},
		{key: "manifest", name: "manifest", needs: []string{"deployment"}, onResume: true, run: f.checkManifest},
		{key: "diff", name: "diff", needs: []string{"manifest"}, run: f.checkDiff},
		{key: "network", name: "network", needs: []string{"manifest", "instance"}, onResume: true, run: f.checkNetwork},
		{key: "limits", name: "limits", needs: []string{"record"}, run: f.checkLimits},
		{key: "reserved", name: "network", needs: []string{"network"}, run: f.checkReserved},
		{key: "resurrection", name: "resurrection", run: f.checkResurrection},
		{key: "agent", name: "agent", needs: []string{"instance"}, run: f.checkAgent},
		{key: "keep", name: "keep", needs: []string{"agent"}, run: f.checkKeepList},
		{key: "ssh", name: "ssh", needs: []string{"agent"}, run: f.checkSSH},
		{key: "capacity", name: "capacity", needs: []string{"instance-name"}, run: f.checkCapacityOf},
	}
}

// preflight reads and checks; it changes nothing. It runs every check it
// can and refuses with every problem found; the target's checks say what
// each found, for plan.
func (f *Flow) preflight(ctx context.Context, logger lager.Logger) (*target, error) {
	logger = logger.Session("preflight")
	t := &target{others: map[string]string{}}
	passed := map[string]bool{}
	var problems Problems
	for _, c := range f.preflightChecks() {
		if t.resumeOnly && !c.onResume {
			continue
		}
		var missing []string
		for _, n := range c.needs {
			if !passed[n] {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			t.checks = append(t.checks, Check{Name: c.name, Skipped: true, Detail: "not checked: needs " + strings.Join(missing, ", ")})
			continue
		}
		detail, err := c.run(ctx, t)
		if err != nil {
			t.checks = append(t.checks, Check{Name: c.name, Detail: err.Error()})
			problems = append(problems, Check{Name: c.name, Detail: err.Error()})
			logger.Info("refused", lager.Data{"check": c.name, "reason": err.Error()})
			continue
		}
		passed[c.key] = true
		t.checks = append(t.checks, Check{Name: c.name, OK: true, Detail: detail})
	}
	if len(problems) > 0 {
		return t, refusal.New(problems)
	}
	logger.Info("passed", lager.Data{"resume": t.resumeOnly, "old_ip": t.ip})
	return t, nil
}

// Problems are the failed checks of one preflight. Its text is the one
// problem's sentence, or one line per problem.
type Problems []Check

func (p Problems) Error() string {
	if len(p) == 1 {
		return p[0].Detail
	}
	lines := make([]string, len(p))
	for i, c := range p {
		lines[i] = fmt.Sprintf("  %s: %s", c.Name, c.Detail)
	}
	return fmt.Sprintf("preflight found %d problems; fix them all and run again:\n%s", len(p), strings.Join(lines, "\n"))
}

func (f *Flow) checkInstanceName(_ context.Context, t *target) (string, error) {
	var err error
	if t.group, t.id, err = SplitInstance(f.Opts.Instance); err != nil {
		return "", err
	}
	return fmt.Sprintf("instance group %s, id %s", t.group, t.id), nil
}

func (f *Flow) checkDeployment(_ context.Context, t *target) (string, error) {
	d := f.Opts.Deployment
	if d == "" {
		return "", errors.New("no deployment given (-d)")
	}
	deps, err := f.Dir.ListDeployments()
	if err != nil {
		return "", fmt.Errorf("list deployments: %w", err)
	}
	found := false
	for _, dep := range deps {
		found = found || dep.Name == d
	}
	if !found {
		return "", fmt.Errorf("deployment %q not found", d)
	}
	if t.dep, err = f.Dir.FindDeployment(d); err != nil {
		return "", err
	}
	return d, nil
}

func (f *Flow) checkRecord(_ context.Context, t *target) (string, error) {
	d := f.Opts.Deployment
	existing, _, err := f.Store.Get(d, t.id)
	switch {
	case err == nil:
		t.existing = &existing
	case errors.Is(err, record.ErrNotFound):
		return "no earlier sequestration", nil
	default:
		return "", err
	}
	switch t.existing.State {
	case record.StateComplete:
		return "", fmt.Errorf("%s/%s of deployment %q is already sequestered (record %s, state %s, old IP %s); release it first",
			t.group, t.id, d, t.existing.ID, t.existing.State, t.existing.OldIP)
	case record.StateReleased:
		// History: a new sequestration of the replacement VM takes
		// the record's name over (ensureRecord).
		return fmt.Sprintf("earlier sequestration %s was released", t.existing.ID), nil
	default:
		t.resumeOnly = true
		return fmt.Sprintf("resuming %s (state %s)", t.existing.ID, t.existing.State), nil
	}
}

func (f *Flow) checkInstance(_ context.Context, t *target) (string, error) {
	d := f.Opts.Deployment
	insts, err := t.dep.Instances()
	if err != nil {
		return "", fmt.Errorf("list instances of %q: %w", d, err)
	}
	for _, in := range insts {
		if in.ID == t.id && in.Group == t.group {
			t.inst = in
		} else if in.VMID != "" {
			t.others[in.Group+"/"+in.ID] = in.VMID
		}
	}
	if t.inst.ID == "" {
		return "", fmt.Errorf("instance %s/%s not found in deployment %q", t.group, t.id, d)
	}
	if t.resumeOnly {
		t.ip = t.existing.OldIP
		t.inst.VMID, t.inst.AgentID, t.inst.AZ = t.existing.VMCID, t.existing.AgentID, t.existing.AZ
		t.others = t.existing.OtherVMs
		return fmt.Sprintf("%s/%s recorded vm %s ip %s az %s", t.group, t.id, t.inst.VMID, t.ip, t.inst.AZ), nil
	}
	if len(t.inst.IPs) == 0 || t.inst.VMID == "" {
		return "", fmt.Errorf("instance %s/%s has no VM (cid %q, ips %v)", t.group, t.id, t.inst.VMID, t.inst.IPs)
	}
	t.ip = t.inst.IPs[0]
	return fmt.Sprintf("%s/%s vm %s ip %s az %s", t.group, t.id, t.inst.VMID, t.ip, t.inst.AZ), nil
}

func (f *Flow) checkTasks(_ context.Context, t *target) (string, error) {
	d := f.Opts.Deployment
	busy, err := deploymentBusy(f.Dir, d)
	if err != nil {
		return "", err
	}
	if busy != "" {
		return "", fmt.Errorf("deployment %q has tasks in flight: %s; wait for them (`bosh tasks --all -d %s`, `bosh locks`) and run again", d, busy, d)
	}
	return "none in flight", nil
}

// checkOtherVMs reads the deployment's VMs: another instance with an
// unresponsive agent fails the redeploy when it binds that instance.
func (f *Flow) checkOtherVMs(_ context.Context, t *target) (string, error) {
	d := f.Opts.Deployment
	vms, err := t.dep.VMInfos()
	if err != nil {
		return "", fmt.Errorf("list VMs of %q: %w", d, err)
	}
	var unresponsive []string
	t.running = map[string]int{}
	for _, vm := range vms {
		if vm.ID == t.id {
			t.vm = vm
			continue
		}
		if vm.ProcessState == JobStateUnresponsive && !vm.Ignore {
			unresponsive = append(unresponsive, vm.JobName+"/"+vm.ID)
		}
		if vm.ProcessState == "running" {
			t.running[vm.JobName]++
		}
	}
	if len(unresponsive) > 0 {
		sort.Strings(unresponsive)
		return "", fmt.Errorf("other instances of deployment %q have unresponsive agents: %s; the redeploy would fail binding them",
			d, strings.Join(unresponsive, ", "))
	}
	return fmt.Sprintf("no other unresponsive agent; %d other running %s", t.running[t.group], t.group), nil
}

// checkVMRunning: a misbehaving cell often has failing jobs, which is why
// it is sequestered; the VM must be up and its agent answering.
func (f *Flow) checkVMRunning(_ context.Context, t *target) (string, error) {
	if t.vm.ID == "" || (t.vm.ProcessState != "running" && t.vm.ProcessState != "failing") {
		return "", fmt.Errorf("VM of %s/%s is not running (job_state %q)", t.group, t.id, t.vm.ProcessState)
	}
	return fmt.Sprintf("job_state %s", t.vm.ProcessState), nil
}

func (f *Flow) checkNotLast(_ context.Context, t *target) (string, error) {
	if t.running[t.group] == 0 {
		return "", fmt.Errorf("%s/%s is the last running instance of instance group %s", t.group, t.id, t.group)
	}
	return fmt.Sprintf("%d other running %s", t.running[t.group], t.group), nil
}

func (f *Flow) checkManifest(_ context.Context, t *target) (string, error) {
	var err error
	if t.manifest, err = t.dep.Manifest(); err != nil {
		return "", fmt.Errorf("manifest of %q: %w", f.Opts.Deployment, err)
	}
	return fmt.Sprintf("%d bytes", len(t.manifest)), nil
}

func (f *Flow) checkDiff(_ context.Context, t *target) (string, error) {
	d := f.Opts.Deployment
	diff, err := f.Raw.DeploymentDiff(d, []byte(t.manifest))
	if err != nil {
		return "", fmt.Errorf("diff of %q: %w", d, err)
	}
	if err := f.pendingChangesRefusal(d, diff); err != nil {
		return "", err
	}
	if n := len(diffChanges(diff)); n > 0 {
		return fmt.Sprintf("only %d reserved lines pending, entries removed or written in another form (harmless)", n), nil
	}
	return "empty", nil
}

func (f *Flow) checkNetwork(_ context.Context, t *target) (string, error) {
	if err := f.locate(t); err != nil {
		return "", err
	}
	return fmt.Sprintf("manual network %s in cloud config %q, subnet %s", t.placement.Network, t.placement.Config, t.placement.Range), nil
}

// records lists the sequestration records once per preflight.
func (f *Flow) records(t *target) ([]record.Record, error) {
	if t.records == nil {
		all, err := f.Store.List()
		if err != nil {
			return nil, err
		}
		t.records = all
		if t.records == nil {
			t.records = []record.Record{}
		}
	}
	return t.records, nil
}

func (f *Flow) checkLimits(_ context.Context, t *target) (string, error) {
	all, err := f.records(t)
	if err != nil {
		return "", err
	}
	if err := f.limitsProblem(all, f.Opts.Deployment, t.id); err != nil {
		return "", err
	}
	return fmt.Sprintf("max_sequestered %d", f.Opts.MaxSequestered), nil
}

// checkReserved: every IP an earlier sequestration reserved on this
// network is still reserved.
func (f *Flow) checkReserved(_ context.Context, t *target) (string, error) {
	all, err := f.records(t)
	if err != nil {
		return "", err
	}
	lost, err := unreservedSequestered(all, f.Opts.Deployment, t.id, t.placement.Network, []byte(t.cloudContent))
	if err != nil {
		return "", err
	}
	if len(lost) > 0 {
		return "", refuseUnreserved(t.placement.Config, lost)
	}
	return fmt.Sprintf("earlier sequestrations' IPs still reserved in %q", t.placement.Config), nil
}

func (f *Flow) checkResurrection(_ context.Context, t *target) (string, error) {
	var err error
	t.globalWas, err = f.Raw.GlobalResurrectionPaused()
	switch {
	case err == nil:
		return fmt.Sprintf("global resurrection paused: %v", t.globalWas), nil
	case StatusOf(err) == http.StatusNotFound && f.Opts.ResurrectionMode != record.ResurrectionGlobal:
		// Older directors have only PUT /resurrection: without the
		// prior value the global switch is never touched.
		t.globalUnknown = true
		return "this director cannot report global resurrection; only the scoped pause will be used", nil
	default:
		return "", fmt.Errorf("read global resurrection: %w", err)
	}
}

// checkAgent asks the cell's agent for its plan and status.
func (f *Flow) checkAgent(ctx context.Context, t *target) (string, error) {
	plan, err := f.Agents(t.ip).Plan(ctx, f.agentRequest(""))
	if err != nil {
		if agentapi.IsRefused(err) {
			return "", fmt.Errorf("sequester-agent on %s/%s (%s) refused the plan: %w", t.group, t.id, t.ip, err)
		}
		return "", fmt.Errorf("sequester-agent on %s/%s (%s) unreachable: %w", t.group, t.id, t.ip, err)
	}
	t.agentPlan = &plan
	// The agent runs one operation per cell, ever, and a plan without an
	// operation id does not say whether one is journaled: without this
	// check a cell that already ran one would pass here and refuse the
	// sequester (409) only after the IP is reserved and resurrection
	// paused.
	st, err := f.Agents(t.ip).Status(ctx)
	if err != nil {
		return "", fmt.Errorf("sequester-agent on %s/%s (%s) unreachable: %w", t.group, t.id, t.ip, err)
	}
	if st.OperationID != "" {
		return "", fmt.Errorf("sequester-agent on %s/%s (%s) already holds operation %s (%s) that no unfinished sequestration record owns; an agent runs one operation per cell: look at `sequester status --local` on the cell",
			t.group, t.id, t.ip, st.OperationID, st.Phase)
	}
	return fmt.Sprintf("sequester-agent on %s answers, no operation held", t.ip), nil
}

func (f *Flow) checkKeepList(_ context.Context, t *target) (string, error) {
	if err := checkKeep(f.Opts.Keep, *t.agentPlan); err != nil {
		return "", fmt.Errorf("on %s/%s: %w", t.group, t.id, err)
	}
	return fmt.Sprintf("keep %d, prune %d", len(t.agentPlan.Keep), len(t.agentPlan.Prune)), nil
}

func (f *Flow) checkSSH(_ context.Context, t *target) (string, error) {
	ssh := t.agentPlan.SSH
	if !ssh.Ready && !f.Opts.AllowWithoutSSH {
		return "", fmt.Errorf("investigator SSH on %s/%s is not ready (%s); fix it or allow_without_ssh", t.group, t.id, ssh.Problem)
	}
	return fmt.Sprintf("user %s ready %v", ssh.User, ssh.Ready), nil
}

func (f *Flow) checkCapacityOf(ctx context.Context, t *target) (string, error) {
	return f.checkCapacity(ctx, t.id)
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
