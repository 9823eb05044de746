package director_test

import (
	"strings"
	"testing"
	"time"

	"code.cloudfoundry.org/bbs/models"

	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

// Before anything changes, BBS's figures say whether the other cells can
// take the app instances the sequestration removes: a refusal gives the
// numbers, ignore_capacity overrides it, and without a BBS the plan says
// the check was not made.
func TestPreflightWeighsTheOtherCellsRoomForWhatThisCellRuns(t *testing.T) {
	cases := []struct {
		name string
		// otherMemory is what the other cells advertise (0: no BBS).
		otherMemory int32
		ignore      bool
		refused     bool
		detail      string
	}{
		{"room to spare", 8192, false, false, "2 LRP instance(s) on cell %s need 1536 MB memory and 3072 MB disk; the other 2 cell(s) with placement tags [] (zones z1) have 13312 MB memory"},
		{"the other cells are full", 2048, false, true, "the other cells cannot take what this cell runs: 2 LRP instance(s) on cell %s need 1536 MB memory and 3072 MB disk; the other 2 cell(s) with placement tags [] (zones z1) have 1024 MB memory"},
		{"the other cells are full and the operator overrides", 2048, true, false, "NOT ENOUGH ROOM: 2 LRP instance(s) on cell %s"},
		{"no BBS configured", 0, false, false, "not checked: no BBS configured"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t, 30*time.Millisecond)
			tgt := l.target()
			l.opts.IgnoreCapacity = tc.ignore
			var bbs director.CellChecker
			if tc.otherMemory > 0 {
				g := newDiego(t, l)
				for id, in := range l.before {
					if in.Group == "diego-cell" && id != tgt.ID {
						g.double.SetCell(&models.CellPresence{CellId: id, RepAddress: "http://" + in.IPs["cells"] + ":1800", Zone: "z1", Capacity: cellCapacity(tc.otherMemory)})
					}
				}
				bbs = g.checker
			}
			f := l.flow("diego-cell/"+tgt.ID, keepSuspects())
			f.BBS = bbs
			want := tc.detail
			if strings.Contains(want, "%s") {
				want = strings.Replace(want, "%s", tgt.ID, 1)
			}
			p, err := f.Plan(withDeadline(t))
			if tc.refused {
				if !refusal.Is(err) || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "ignore_capacity") {
					t.Fatalf("err = %v\nwant a refusal starting %q and naming the override", err, want)
				}
				l.sim.ResetStats()
				run := l.flow("diego-cell/"+tgt.ID, keepSuspects())
				run.BBS = bbs
				if _, err := run.Run(withDeadline(t)); !refusal.Is(err) || !strings.HasPrefix(err.Error(), want) {
					t.Fatalf("run: %v; want the same refusal", err)
				}
				if n := l.sim.RequestCount("POST", "/configs") + l.sim.RequestCount("PUT", "/resurrection"); n != 0 {
					t.Fatalf("%d writes to configs or resurrection; a refusal changes nothing", n)
				}
				if l.cells[tgt.ID].SequesterCalls() != 0 {
					t.Fatal("the agent was asked to sequester")
				}
				return
			}
			if err != nil {
				t.Fatalf("plan: %v", err)
			}
			for _, c := range p.Checks {
				if c.Name == "capacity" {
					if !c.OK || !strings.HasPrefix(c.Detail, want) {
						t.Fatalf("capacity check = %+v\nwant ok, starting %q", c, want)
					}
					return
				}
			}
			t.Fatalf("the plan has no capacity check: %+v", p.Checks)
		})
	}
}
