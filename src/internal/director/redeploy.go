package director

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"code.cloudfoundry.org/lager/v3"
	boshdir "github.com/cloudfoundry/bosh-cli/v7/director"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cloudconfig"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
)

// redeploy runs a full deploy of the current manifest against the latest
// cloud configs (POST /deployments): only that re-plans IP reservations and
// gives the VM-less instance a new VM on a new IP. bosh-cli's Recreate and
// Start send an empty-bodied state change that plans with the configs
// pinned at the last deploy and hand back the old IP (bosh:
// api/controllers/deployments_controller.rb, put '/:deployment/jobs/...'
// with an empty manifest; bosh-cli: director/deployment.go changeJobState),
// so they are never used here.
func (f *Flow) redeploy(ctx context.Context, logger lager.Logger) error {
	in, err := f.targetInstance()
	if err != nil {
		return err
	}
	if f.replaced(in) {
		logger.Info("already-replaced", lager.Data{"vm_cid": in.VMID, "ips": in.IPs})
		return f.afterDeploy(logger)
	}
	if in.VMID != "" && in.VMID != f.rec.VMCID {
		// A VM on the old IP that we did not create: the missing_vm
		// auto-resolution (a resurrection) recreated the instance from the
		// database, next to the live sequestered VM.
		return fmt.Errorf("the VM of %s changed from %s to %s (IPs %v) outside this run: resurrected or recreated while sequestering; two VMs may share %s",
			f.rec.Instance(), f.rec.VMCID, in.VMID, in.IPs, f.rec.OldIP)
	}
	manifest, err := f.t.dep.Manifest()
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	cfg, diff, err := f.diffWithReservation(ctx, logger, manifest)
	if err != nil {
		return err
	}
	all, err := f.Store.List()
	if err != nil {
		return err
	}
	if lost, err := unreservedSequestered(all, f.rec.Deployment, f.rec.InstanceID, f.rec.Network, []byte(cfg.Content)); err != nil {
		return err
	} else if len(lost) > 0 {
		return refuseUnreserved(f.rec.Reservation.CloudConfig, lost)
	}
	// A full deploy applies every pending change to every instance; only
	// our reserved entry may be pending, with the entries the subnet held
	// when preflight checked (the director renders them again when a
	// string became a list). An entry added since, say an operator's
	// reservation of another cell's IP, would move that cell.
	before, err := f.Dir.LatestConfigByID(f.rec.Reservation.ConfigIDBefore)
	if err != nil {
		return fmt.Errorf("read cloud config %q as preflight saw it (id %s): %w", f.rec.Reservation.CloudConfig, f.rec.Reservation.ConfigIDBefore, err)
	}
	entries, err := cloudconfig.ReservedEntries([]byte(before.Content), f.rec.Network, f.rec.OldIP)
	if err != nil {
		return err
	}
	if extra := unexpectedChanges(diff, append(entries, f.rec.OldIP)); len(extra) > 0 {
		return fmt.Errorf("the deployment diff holds more than the reserved IP %s: %s; refusing to deploy other changes",
			f.rec.OldIP, strings.Join(firstN(extra, 5), " | "))
	}
	logger.Info("deploying", lager.Data{"changed_lines": len(diffChanges(diff))})
	// Diff carries the cloud/runtime config ids we just checked: the deploy
	// is pinned to them, not to whatever is latest a second later.
	if err := f.t.dep.Update([]byte(manifest), boshdir.UpdateOpts{Diff: diff}); err != nil {
		if names := f.otherUnresponsive(); len(names) > 0 {
			return fmt.Errorf("deploy: other instances' agents stopped answering (%s), the director cannot bind them; bring them back and re-run: %w",
				strings.Join(names, ", "), err)
		}
		return fmt.Errorf("deploy: %w", err)
	}
	return f.afterDeploy(logger)
}

// diffWithReservation returns the latest cloud config holding the old IP's
// reservation and the deployment diff taken against it. The entry may be
// gone since reserve-ip (an operator's update-cloud-config from a repo
// without it): a deploy against that config leaves the instance its old
// IP, and the new VM would share it with the live sequestered VM. So the
// IP is reserved again first, and the diff, whose config ids pin the
// deploy, counts only when the config did not change while it was taken.
func (f *Flow) diffWithReservation(ctx context.Context, logger lager.Logger, manifest string) (boshdir.Config, boshdir.DeploymentDiff, error) {
	name := f.rec.Reservation.CloudConfig
	for attempt := 1; attempt <= 5; attempt++ {
		cfg, err := f.Dir.LatestConfig("cloud", name)
		if err != nil {
			return boshdir.Config{}, boshdir.DeploymentDiff{}, fmt.Errorf("read cloud config %q: %w", name, err)
		}
		reserved, err := cloudconfig.IsReserved([]byte(cfg.Content), f.rec.Network, f.rec.OldIP)
		if err != nil {
			return boshdir.Config{}, boshdir.DeploymentDiff{}, fmt.Errorf("cloud config %q: %w", name, err)
		}
		if !reserved {
			logger.Info("reservation-dropped-reserving-again", lager.Data{"cloud_config": name, "config_id": cfg.ID, "ip": f.rec.OldIP})
			if err := f.reserveIP(ctx, logger); err != nil {
				return boshdir.Config{}, boshdir.DeploymentDiff{}, err
			}
			continue
		}
		diff, err := f.Raw.DeploymentDiff(f.rec.Deployment, []byte(manifest))
		if err != nil {
			return boshdir.Config{}, boshdir.DeploymentDiff{}, fmt.Errorf("diff: %w", err)
		}
		after, err := f.Dir.LatestConfig("cloud", name)
		if err != nil {
			return boshdir.Config{}, boshdir.DeploymentDiff{}, fmt.Errorf("read cloud config %q: %w", name, err)
		}
		if after.ID == cfg.ID {
			return cfg, diff, nil
		}
		logger.Info("cloud-config-changed-during-diff", lager.Data{"cloud_config": name, "config_id": cfg.ID, "latest_id": after.ID})
	}
	return boshdir.Config{}, boshdir.DeploymentDiff{}, fmt.Errorf("cloud config %q changed on every attempt to check the deploy against it; re-run when it is stable", name)
}

// otherUnresponsive names the other instances whose agents do not answer,
// to explain a failed deploy (a deploy binds every instance first).
func (f *Flow) otherUnresponsive() []string {
	vms, err := f.t.dep.VMInfos()
	if err != nil {
		return nil
	}
	var out []string
	for _, vm := range vms {
		if vm.ID != f.rec.InstanceID && vm.ProcessState == JobStateUnresponsive {
			out = append(out, vm.JobName+"/"+vm.ID)
		}
	}
	sort.Strings(out)
	return out
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
