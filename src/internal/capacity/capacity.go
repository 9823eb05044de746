// Package capacity tells, from Diego's own figures, whether the other cells
// can take the app instances a sequestration removes from one cell. BBS
// keeps each cell's total capacity in its presence and each instance's
// resources in its desired LRP; what a cell has free is its capacity less
// what its instances and tasks take. Diego's auction places an instance
// only on a cell with its placement tags and enough memory, disk and
// containers left (auction: auctionrunner/cell.go). A placement that does
// not fit leaves those instances down until capacity is added.
package capacity

import (
	"fmt"
	"sort"
	"strings"

	"code.cloudfoundry.org/bbs/models"
)

// Resources are what one instance takes, or what cells have free.
type Resources struct {
	MemoryMB   int64 `json:"memory_mb"`
	DiskMB     int64 `json:"disk_mb"`
	Containers int64 `json:"containers"`
}

// Instance is one LRP instance to move.
type Instance struct {
	ProcessGUID string `json:"process_guid"`
	Index       int32  `json:"index"`
	Resources
}

func (i Instance) String() string {
	return fmt.Sprintf("%s/%d (%d MB memory, %d MB disk)", i.ProcessGUID, i.Index, i.MemoryMB, i.DiskMB)
}

// Assessment is the answer with its numbers.
type Assessment struct {
	CellID string `json:"cell_id"`
	// PlacementTags of the target cell: only cells with the same tags run
	// the same LRPs (an isolation segment).
	PlacementTags []string `json:"placement_tags"`
	// Move are the instances on the target that need another cell.
	Move []Instance `json:"move"`
	// Need sums Move.
	Need Resources `json:"need"`
	// Cells are the other cells that can run them, Zones their zones.
	Cells []string `json:"cells"`
	Zones []string `json:"zones"`
	// Free sums what those cells have free.
	Free Resources `json:"free"`
	// Unplaced are the instances no cell would have room for.
	Unplaced []Instance `json:"unplaced,omitempty"`
	// Unknown are instances on the target whose desired LRP BBS no longer
	// has: their size is unknown and they are not counted.
	Unknown []string `json:"unknown,omitempty"`
	// TargetAbsent: the target has no presence (its rep is down), so its
	// placement tags are taken as none.
	TargetAbsent bool `json:"target_absent,omitempty"`
}

// Fits tells whether every instance found room.
func (a Assessment) Fits() bool { return len(a.Unplaced) == 0 }

// Summary is one sentence with the numbers.
func (a Assessment) Summary() string {
	s := fmt.Sprintf("%d LRP instance(s) on cell %s need %d MB memory and %d MB disk; the other %d cell(s) with placement tags [%s] (zones %s) have %d MB memory, %d MB disk and %d containers free",
		len(a.Move), a.CellID, a.Need.MemoryMB, a.Need.DiskMB, len(a.Cells), strings.Join(a.PlacementTags, ","),
		orNone(a.Zones), a.Free.MemoryMB, a.Free.DiskMB, a.Free.Containers)
	if len(a.Unplaced) > 0 {
		var names []string
		for _, i := range a.Unplaced {
			names = append(names, i.String())
		}
		s += fmt.Sprintf("; %d would find no room: %s", len(a.Unplaced), strings.Join(firstN(names, 5), ", "))
	}
	if len(a.Unknown) > 0 {
		s += fmt.Sprintf("; %d of unknown size not counted (no desired LRP): %s", len(a.Unknown), strings.Join(firstN(a.Unknown, 5), ", "))
	}
	if a.TargetAbsent {
		s += "; the cell has no presence in BBS (its rep is down), so it was taken to have no placement tags"
	}
	return s
}

// Assess places the instances on cellID on the other cells with the same
// placement tags, largest first, each on the cell with the most memory
// free that has room for it: a conservative stand-in for the auctioneer,
// which also spreads by zone.
func Assess(cellID string, cells []*models.CellPresence, lrps []*models.ActualLRP, tasks []*models.Task, infos []*models.DesiredLRPSchedulingInfo) Assessment {
	a := Assessment{CellID: cellID, TargetAbsent: true}
	for _, c := range cells {
		if c.CellId == cellID {
			a.PlacementTags, a.TargetAbsent = sorted(c.PlacementTags), false
		}
	}
	size := map[string]Resources{}
	for _, i := range infos {
		size[i.ProcessGuid] = Resources{MemoryMB: int64(i.MemoryMb), DiskMB: int64(i.DiskMb), Containers: 1}
	}
	used := map[string]Resources{}
	for _, l := range lrps {
		if l.State != models.ActualLRPStateRunning && l.State != models.ActualLRPStateClaimed {
			continue
		}
		r, known := size[l.ProcessGuid]
		if !known {
			r = Resources{Containers: 1}
		}
		used[l.CellId] = add(used[l.CellId], r)
		if l.CellId != cellID || l.Presence != models.ActualLRP_Ordinary {
			continue // a suspect instance already has its replacement
		}
		if !known {
			a.Unknown = append(a.Unknown, fmt.Sprintf("%s/%d", l.ProcessGuid, l.Index))
			continue
		}
		a.Move = append(a.Move, Instance{ProcessGUID: l.ProcessGuid, Index: l.Index, Resources: r})
		a.Need = add(a.Need, r)
	}
	for _, t := range tasks {
		if t.CellId == "" || t.TaskDefinition == nil || (t.State != models.Task_Running) {
			continue
		}
		used[t.CellId] = add(used[t.CellId], Resources{MemoryMB: int64(t.MemoryMb), DiskMB: int64(t.DiskMb), Containers: 1})
	}
	type room struct {
		id   string
		free Resources
	}
	var rooms []*room
	zones := map[string]bool{}
	for _, c := range cells {
		if c.CellId == cellID || c.Capacity == nil || strings.Join(sorted(c.PlacementTags), ",") != strings.Join(a.PlacementTags, ",") {
			continue
		}
		u := used[c.CellId]
		free := Resources{
			MemoryMB:   max(0, int64(c.Capacity.MemoryMb)-u.MemoryMB),
			DiskMB:     max(0, int64(c.Capacity.DiskMb)-u.DiskMB),
			Containers: max(0, int64(c.Capacity.Containers)-u.Containers),
		}
		rooms = append(rooms, &room{id: c.CellId, free: free})
		a.Cells = append(a.Cells, c.CellId)
		a.Free = add(a.Free, free)
		if c.Zone != "" {
			zones[c.Zone] = true
		}
	}
	for z := range zones {
		a.Zones = append(a.Zones, z)
	}
	sort.Strings(a.Zones)
	sort.Strings(a.Cells)
	move := append([]Instance(nil), a.Move...)
	sort.SliceStable(move, func(i, j int) bool { return move[i].MemoryMB > move[j].MemoryMB })
	for _, in := range move {
		sort.SliceStable(rooms, func(i, j int) bool { return rooms[i].free.MemoryMB > rooms[j].free.MemoryMB })
		placed := false
		for _, r := range rooms {
			if r.free.MemoryMB >= in.MemoryMB && r.free.DiskMB >= in.DiskMB && r.free.Containers >= 1 {
				r.free = Resources{MemoryMB: r.free.MemoryMB - in.MemoryMB, DiskMB: r.free.DiskMB - in.DiskMB, Containers: r.free.Containers - 1}
				placed = true
				break
			}
		}
		if !placed {
			a.Unplaced = append(a.Unplaced, in)
		}
	}
	return a
}

func add(a, b Resources) Resources {
	return Resources{MemoryMB: a.MemoryMB + b.MemoryMB, DiskMB: a.DiskMB + b.DiskMB, Containers: a.Containers + b.Containers}
}

func sorted(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ",")
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("and %d more", len(s)-n))
	}
	return s
}
