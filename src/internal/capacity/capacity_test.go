package capacity_test

import (
	"strings"
	"testing"

	"code.cloudfoundry.org/bbs/models"

	"github.com/cloudfoundry-community/cell-sequestration/internal/capacity"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/bbsdouble"
)

func cell(id, zone string, memory, disk, containers int32, tags ...string) *models.CellPresence {
	return &models.CellPresence{CellId: id, Zone: zone, PlacementTags: tags,
		Capacity: &models.CellCapacity{MemoryMb: memory, DiskMb: disk, Containers: containers}}
}

func TestAssessPlacesTheTargetsInstancesOnCellsWithTheSamePlacementTags(t *testing.T) {
	infos := []*models.DesiredLRPSchedulingInfo{
		bbsdouble.DesiredLRP("web", 3, 1024, 2048),
		bbsdouble.DesiredLRP("worker", 1, 512, 1024),
	}
	on := func(pg string, index int32, cellID string) *models.ActualLRP {
		return bbsdouble.RunningLRP(pg, index, pg+"-"+cellID, cellID)
	}
	target := []*models.ActualLRP{on("web", 0, "target"), on("web", 1, "target"), on("worker", 0, "target")}
	cases := []struct {
		name     string
		cells    []*models.CellPresence
		extra    []*models.ActualLRP
		tasks    []*models.Task
		unplaced []string
		cellsIn  string
	}{
		{"room to spare", []*models.CellPresence{cell("target", "z1", 4096, 8192, 10), cell("a", "z1", 4096, 8192, 10), cell("b", "z2", 4096, 8192, 10)}, nil, nil, nil, "a,b"},
		{"enough memory in all but no one cell with room for the worker", []*models.CellPresence{cell("target", "z1", 4096, 8192, 10), cell("a", "z1", 1300, 8192, 10), cell("b", "z2", 1300, 8192, 10)}, nil, nil, []string{"worker/0"}, "a,b"},
		{"cells of another isolation segment do not count", []*models.CellPresence{cell("target", "z1", 4096, 8192, 10), cell("a", "z1", 8192, 8192, 10, "isolated")}, nil, nil, []string{"web/0", "web/1", "worker/0"}, ""},
		{"what runs on the other cells takes their room", []*models.CellPresence{cell("target", "z1", 4096, 8192, 10), cell("a", "z1", 3072, 8192, 10)},
			[]*models.ActualLRP{on("web", 2, "a")}, []*models.Task{{TaskGuid: "t", CellId: "a", State: models.Task_Running, TaskDefinition: &models.TaskDefinition{MemoryMb: 512, DiskMb: 512}}},
			[]string{"web/1"}, "a"},
		{"disk is short", []*models.CellPresence{cell("target", "z1", 4096, 8192, 10), cell("a", "z1", 8192, 4096, 10)}, nil, nil, []string{"worker/0"}, "a"},
		{"containers are short", []*models.CellPresence{cell("target", "z1", 4096, 8192, 10), cell("a", "z1", 8192, 8192, 2)}, nil, nil, []string{"worker/0"}, "a"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := capacity.Assess("target", tc.cells, append(append([]*models.ActualLRP{}, target...), tc.extra...), tc.tasks, infos)
			if a.Need.MemoryMB != 2560 || a.Need.DiskMB != 5120 || len(a.Move) != 3 {
				t.Fatalf("need = %+v for %d instances; want 2560 MB memory, 5120 MB disk, 3", a.Need, len(a.Move))
			}
			var got []string
			for _, u := range a.Unplaced {
				got = append(got, u.ProcessGUID+"/"+string(rune('0'+u.Index)))
			}
			if strings.Join(got, ",") != strings.Join(tc.unplaced, ",") || a.Fits() != (len(tc.unplaced) == 0) {
				t.Fatalf("unplaced = %v, want %v (%s)", got, tc.unplaced, a.Summary())
			}
			if strings.Join(a.Cells, ",") != tc.cellsIn {
				t.Fatalf("cells = %v, want %s", a.Cells, tc.cellsIn)
			}
		})
	}
}

func TestAssessSaysWhatItCouldNotCount(t *testing.T) {
	suspect := bbsdouble.RunningLRP("web", 0, "old", "target")
	suspect.Presence = models.ActualLRP_Suspect
	lrps := []*models.ActualLRP{suspect, bbsdouble.RunningLRP("gone", 0, "g", "target")}
	a := capacity.Assess("target", []*models.CellPresence{cell("a", "z1", 1024, 1024, 4)}, lrps, nil, []*models.DesiredLRPSchedulingInfo{bbsdouble.DesiredLRP("web", 1, 256, 256)})
	if len(a.Move) != 0 || !a.TargetAbsent || len(a.Unknown) != 1 || a.Unknown[0] != "gone/0" {
		t.Fatalf("assessment = %+v", a)
	}
	for _, want := range []string{"0 LRP instance(s) on cell target need 0 MB memory", "1 of unknown size not counted (no desired LRP): gone/0", "no presence in BBS"} {
		if !strings.Contains(a.Summary(), want) {
			t.Fatalf("summary %q lacks %q", a.Summary(), want)
		}
	}
}
