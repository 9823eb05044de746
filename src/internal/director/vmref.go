package director

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"code.cloudfoundry.org/lager/v3"
	boshdir "github.com/cloudfoundry/bosh-cli/v7/director"

	"github.com/cloudfoundry-community/cell-sequestration/internal/poll"
)

// ResolutionDeleteVMReference makes the director forget a VM without
// touching it (the IaaS VM keeps running).
const ResolutionDeleteVMReference = "delete_vm_reference"

// targetInstance returns the instance as the director sees it now.
func (f *Flow) targetInstance() (boshdir.Instance, error) {
	insts, err := f.t.dep.Instances()
	if err != nil {
		return boshdir.Instance{}, fmt.Errorf("list instances: %w", err)
	}
	for _, in := range insts {
		if in.ID == f.rec.InstanceID {
			return in, nil
		}
	}
	return boshdir.Instance{}, fmt.Errorf("instance %s not in deployment %q any more", f.rec.Instance(), f.rec.Deployment)
}

// vmForgotten: the director no longer holds the old VM for the instance.
// Before the redeploy the only other VM it may hold is none: another VM
// means something outside this run (a resurrection the pause did not stop,
// an operator's recreate) replaced the sequestered VM, most likely on its
// old IP, and going on would hide that.
func (f *Flow) vmForgotten() (bool, error) {
	in, err := f.targetInstance()
	if err != nil {
		return false, err
	}
	switch in.VMID {
	case f.rec.VMCID:
		return false, nil
	case "":
		return true, nil
	}
	return false, fmt.Errorf("the VM of %s changed from %s to %s (IPs %v) outside this run: resurrected or recreated while sequestering; the sequestered VM may be gone",
		f.rec.Instance(), f.rec.VMCID, in.VMID, in.IPs)
}

// waitUnresponsive polls `vms --format=full` until the director reports
// the instance's agent unresponsive: delete_vm_reference is refused while
// the agent answers.
func (f *Flow) waitUnresponsive(ctx context.Context, logger lager.Logger) error {
	if gone, err := f.vmForgotten(); err != nil {
		return err
	} else if gone {
		logger.Info("vm-reference-already-gone")
		return nil
	}
	state := "absent"
	err := poll.Until(ctx, f.Clock, f.Opts.PollInterval, f.Opts.UnresponsiveTimeout, func() (bool, error) {
		vms, err := f.t.dep.VMInfos()
		if err != nil {
			return false, fmt.Errorf("list VMs: %w", err)
		}
		state = "absent"
		for _, vm := range vms {
			if vm.ID == f.rec.InstanceID {
				state = vm.ProcessState
			}
		}
		logger.Debug("job-state", lager.Data{"job_state": state})
		return state == JobStateUnresponsive, nil
	})
	if errors.Is(err, poll.ErrTimeout) {
		return fmt.Errorf("the director does not report %s unresponsive after %s (job_state %q)", f.rec.Instance(), f.Opts.UnresponsiveTimeout, state)
	}
	if err != nil {
		return err
	}
	logger.Info("agent-unresponsive")
	return nil
}

// deleteVMReference scans and resolves only this instance's problem with
// delete_vm_reference, even when the scan finds problems elsewhere: those
// are the operator's to decide.
func (f *Flow) deleteVMReference(ctx context.Context, logger lager.Logger) error {
	if gone, err := f.vmForgotten(); err != nil {
		return err
	} else if gone {
		logger.Info("vm-reference-already-gone")
		return nil
	}
	problems, err := f.t.dep.ScanForProblems()
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	var ours *boshdir.Problem
	var others []string
	for i, p := range problems {
		// Problem data is empty on current directors; the instance id is
		// in the description.
		if strings.Contains(p.Description, f.rec.InstanceID) && (p.Type == "unresponsive_agent" || p.Type == "missing_vm") {
			ours = &problems[i]
			continue
		}
		others = append(others, fmt.Sprintf("%d %s", p.ID, p.Type))
	}
	if ours == nil {
		return fmt.Errorf("the scan found no unresponsive_agent problem for %s (%d other problems)", f.rec.Instance(), len(others))
	}
	offered := false
	for _, r := range ours.Resolutions {
		offered = offered || (r.Name != nil && *r.Name == ResolutionDeleteVMReference)
	}
	if !offered {
		return fmt.Errorf("problem %d (%s) of %s does not offer %s", ours.ID, ours.Type, f.rec.Instance(), ResolutionDeleteVMReference)
	}
	name := ResolutionDeleteVMReference
	logger.Info("resolving", lager.Data{"problem_id": ours.ID, "type": ours.Type, "other_problems": others})
	err = f.t.dep.ResolveProblems([]boshdir.ProblemAnswer{{ProblemID: ours.ID, Resolution: boshdir.ProblemResolution{Name: &name}}}, nil)
	if err != nil {
		return fmt.Errorf("resolve problem %d with %s: %w", ours.ID, name, err)
	}
	gone, err := f.vmForgotten()
	if err != nil {
		return err
	}
	if !gone {
		return fmt.Errorf("problem %s resolved but the director still holds VM %s for %s", strconv.Itoa(ours.ID), f.rec.VMCID, f.rec.Instance())
	}
	return nil
}
