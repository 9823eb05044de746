package director

import (
	"context"
	"fmt"

	"code.cloudfoundry.org/bbs/models"

	"github.com/cloudfoundry-community/cell-sequestration/internal/capacity"
)

// CapacitySource gives Diego's figures on whether the other cells can take
// a cell's app instances; BBSChecker is one.
type CapacitySource interface {
	Capacity(ctx context.Context, cellID string) (capacity.Assessment, error)
}

// Capacity reads the cells, every ActualLRP and running task, and the
// desired LRPs' resources from BBS, and places the cell's instances on
// the others.
func (b *BBSChecker) Capacity(ctx context.Context, cellID string) (capacity.Assessment, error) {
	cells, err := b.Client.Cells(b.Logger, "")
	if err != nil {
		return capacity.Assessment{}, fmt.Errorf("bbs cells: %w", err)
	}
	lrps, err := b.Client.ActualLRPs(b.Logger, "", models.ActualLRPFilter{})
	if err != nil {
		return capacity.Assessment{}, fmt.Errorf("bbs actual LRPs: %w", err)
	}
	tasks, err := b.Client.TasksWithFilter(b.Logger, "", models.TaskFilter{})
	if err != nil {
		return capacity.Assessment{}, fmt.Errorf("bbs tasks: %w", err)
	}
	infos, err := b.Client.DesiredLRPSchedulingInfos(b.Logger, "", models.DesiredLRPFilter{})
	if err != nil {
		return capacity.Assessment{}, fmt.Errorf("bbs desired LRPs: %w", err)
	}
	return capacity.Assess(cellID, cells, lrps, tasks, infos), nil
}

// checkCapacity is preflight's capacity check: before anything changes,
// whether the other cells can take the app instances the sequestration
// removes from this one. The cell id is the instance id (diego-release:
// rep.json.erb). It returns the check's detail, or a refusal.
func (f *Flow) checkCapacity(ctx context.Context, cellID string) (string, error) {
	src, _ := f.BBS.(CapacitySource)
	if src == nil {
		return "not checked: no BBS configured (bbs.url, --bbs-url), so whether the other cells can take this cell's app instances is unknown", nil
	}
	a, err := src.Capacity(ctx, cellID)
	if err != nil {
		if f.Opts.IgnoreCapacity {
			return fmt.Sprintf("not checked (%v); going on as ignore_capacity asks", err), nil
		}
		return "", fmt.Errorf("cannot read Diego's capacity from BBS (%w); fix the BBS settings, or set ignore_capacity (--ignore-capacity) to go on without the check", err)
	}
	if a.Fits() {
		return a.Summary(), nil
	}
	if f.Opts.IgnoreCapacity {
		return "NOT ENOUGH ROOM: " + a.Summary() + "; going on as ignore_capacity asks: those app instances stay down until cells are added", nil
	}
	return "", fmt.Errorf("the other cells cannot take what this cell runs: %s; sequestering now leaves those app instances down until cells are added: add capacity first, or set ignore_capacity (--ignore-capacity) to go on anyway", a.Summary())
}
