package director

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"code.cloudfoundry.org/lager/v3"
	boshdir "github.com/cloudfoundry/bosh-cli/v7/director"

	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
)

// redeploy runs a full deploy of the current manifest against the latest
// cloud configs (POST /deployments): only that re-plans IP reservations and
// gives the VM-less instance a new VM on a new IP. bosh-cli's Recreate and
// Start send an empty-bodied state change that plans with the configs
// pinned at the last deploy and hand back the old IP (FIELD-NOTES §2), so
// they are never used here.
func (f *Flow) redeploy(ctx context.Context, logger lager.Logger) error {
	in, err := f.targetInstance()
	if err != nil {
		return err
	}
	if f.replaced(in) {
		logger.Info("already-replaced", lager.Data{"vm_cid": in.VMID, "ips": in.IPs})
		return f.afterDeploy(logger)
	}
	manifest, err := f.t.dep.Manifest()
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	diff, err := f.t.dep.Diff([]byte(manifest), false)
	if err != nil {
		return fmt.Errorf("diff: %w", err)
	}
	// A full deploy applies every pending change to every instance; only
	// our reserved entry may be pending.
	if extra := unexpectedChanges(diff, f.rec.OldIP); len(extra) > 0 {
		return fmt.Errorf("the deployment diff holds more than the reserved IP %s: %s; refusing to deploy other changes",
			f.rec.OldIP, strings.Join(firstN(extra, 5), " | "))
	}
	logger.Info("deploying", lager.Data{"changed_lines": len(changedLines(diff))})
	// Diff carries the cloud/runtime config ids we just checked: the deploy
	// is pinned to them, not to whatever is latest a second later.
	if err := f.t.dep.Update([]byte(manifest), boshdir.UpdateOpts{Diff: diff}); err != nil {
		return fmt.Errorf("deploy: %w", err)
	}
	return f.afterDeploy(logger)
}

// replaced: the instance has a VM other than the sequestered one, on an IP
// other than the old one.
func (f *Flow) replaced(in boshdir.Instance) bool {
	if in.VMID == "" || in.VMID == f.rec.VMCID || len(in.IPs) == 0 {
		return false
	}
	for _, ip := range in.IPs {
		if ip == f.rec.OldIP {
			return false
		}
	}
	return true
}

// afterDeploy checks the outcome from the director's side: our instance
// has a new VM on a new IP, and no other instance's VM changed.
func (f *Flow) afterDeploy(logger lager.Logger) error {
	insts, err := f.t.dep.Instances()
	if err != nil {
		return fmt.Errorf("list instances: %w", err)
	}
	var mine *boshdir.Instance
	var changed []string
	for i, in := range insts {
		key := in.Group + "/" + in.ID
		if in.ID == f.rec.InstanceID {
			mine = &insts[i]
			continue
		}
		if old, ok := f.rec.OtherVMs[key]; ok && old != in.VMID {
			changed = append(changed, fmt.Sprintf("%s (%s -> %s)", key, old, in.VMID))
		}
	}
	sort.Strings(changed)
	if mine == nil {
		return fmt.Errorf("instance %s disappeared from the deployment", f.rec.Instance())
	}
	if !f.replaced(*mine) {
		return fmt.Errorf("after the deploy %s has VM %q on %v; want a new VM on a new IP", f.rec.Instance(), mine.VMID, mine.IPs)
	}
	newIP, newCID := mine.IPs[0], mine.VMID
	if err := f.save(func(r *record.Record) { r.NewIP, r.NewVMCID = newIP, newCID }); err != nil {
		return err
	}
	logger.Info("replaced", lager.Data{"new_ip": newIP, "new_vm_cid": newCID})
	if len(changed) > 0 {
		return fmt.Errorf("the deploy changed other instances' VMs: %s", strings.Join(changed, ", "))
	}
	return nil
}

// unexpectedChanges returns changed diff lines that are not about our
// reserved entry. The director renders the cloud config's networks in the
// diff; the reserved key itself and a line holding the old IP are ours.
func unexpectedChanges(d boshdir.DeploymentDiff, ip string) []string {
	var out []string
	for _, line := range d.Diff {
		if len(line) < 2 {
			continue
		}
		state, _ := line[1].(string)
		if state != "added" && state != "removed" {
			continue
		}
		text, _ := line[0].(string)
		t := strings.TrimSpace(text)
		t = strings.TrimSpace(strings.TrimPrefix(t, "-"))
		switch {
		case t == "reserved:" || strings.HasPrefix(t, "reserved:") && strings.Contains(t, ip):
		case strings.Trim(t, `"'`) == ip:
		default:
			out = append(out, state+" "+strings.TrimSpace(text))
		}
	}
	return out
}
