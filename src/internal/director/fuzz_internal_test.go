package director

import (
	"encoding/json"
	"slices"
	"testing"

	boshdir "github.com/cloudfoundry/bosh-cli/v7/director"
)

// FuzzDiffChanges reads arbitrary director diffs ([text, state] lines):
// never a panic; every added or removed line is one change, and context
// lines are none; what blocks a deploy is a subset of the changes, and a
// removed reserved entry never blocks.
func FuzzDiffChanges(f *testing.F) {
	for _, s := range []string{
		`[["networks:",null],["- name: cells",null],["  subnets:",null],["  - range: 10.0.16.0/24",null],["    reserved:",null],["    - 10.0.16.5","added"]]`,
		`[["    reserved: [10.0.16.2, 10.0.16.5]","added"],["    reserved: [10.0.16.2]","removed"]]`,
		`[["instance_groups:",null],["- name: diego-cell",null],["  instances: 4","added"],["  instances: 3","removed"]]`,
		`[[],[1,2],["x"],["- a","added"]]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var lines [][]any
		if json.Unmarshal(raw, &lines) != nil {
			return
		}
		d := boshdir.NewDeploymentDiff(lines, map[string]any{"cloud_config_id": 1})
		changes := diffChanges(d)
		n := 0
		for _, l := range lines {
			if len(l) > 1 {
				if st, _ := l[1].(string); st == "added" || st == "removed" {
					n++
				}
			}
		}
		if len(changes) != n {
			t.Fatalf("%d changes for %d added or removed lines", len(changes), n)
		}
		all := make([]string, 0, len(changes))
		for _, c := range changes {
			all = append(all, c.String())
			_ = entriesOf(c.text)
		}
		for _, b := range pendingChangesBlocking(d) {
			if !slices.Contains(all, b) {
				t.Fatalf("blocking %q is not one of the changes %q", b, all)
			}
		}
		for _, c := range changes {
			if c.reserved && c.state == "removed" && slices.Contains(pendingChangesBlocking(d), c.String()) {
				t.Fatalf("a removed reserved entry blocks: %q", c)
			}
		}
	})
}
