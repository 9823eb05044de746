package suspects_test

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/suspects"
	"github.com/cloudfoundry-community/cell-sequestration/internal/suspects/suspectstest"
)

func fleet(t *testing.T) *suspectstest.Fleet {
	t.Helper()
	f, err := suspectstest.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

func inst(id, ip string) suspects.Instance {
	return suspects.Instance{Group: "diego-cell", ID: id, AZ: "z1", IPs: []string{ip}, HasVM: true}
}

func TestCellsAreSortedWorstFirstWithThePlanToTakeThemOut(t *testing.T) {
	f := fleet(t)
	idx := 2
	figures := map[string]agentapi.Health{
		"10.0.16.11": {DThreads: 0},
		"10.0.16.12": {DThreads: 3, OldestDSeconds: 725, HungTaskReports: 2, Suspects: []agentapi.Suspect{{Container: "h-stuck", AppGUID: "app-1", Index: &idx, DThreads: 3, OldestSeconds: 725}},
			FirstResponder: []agentapi.FirstResponderBundle{{Path: "/b.tar.gz"}}},
		"10.0.16.13": {DThreads: 1, OldestDSeconds: 30},
		"10.0.16.14": {DThreads: 1, OldestDSeconds: 200, Suspects: []agentapi.Suspect{{Container: "h-other", DThreads: 1, OldestSeconds: 200}}},
	}
	for ip, h := range figures {
		if err := f.Add(ip, "127.0.0.1:0", h); err != nil {
			t.Fatal(err)
		}
	}
	insts := []suspects.Instance{inst("healthy", "10.0.16.11"), inst("worst", "10.0.16.12"), inst("host-d", "10.0.16.13"), inst("second", "10.0.16.14"),
		inst("gone", "10.0.16.15"), {Group: "diego-cell", ID: "no-vm"}}
	rep := suspects.Collect(context.Background(), "cf", insts, f.Dialer(), suspects.Options{CellTimeout: 2 * time.Second, PlanArgs: []string{"--agent-port", "9443"}})
	var order []string
	for _, c := range rep.Cells {
		order = append(order, c.Instance)
	}
	want := []string{"diego-cell/worst", "diego-cell/second", "diego-cell/gone", "diego-cell/host-d", "diego-cell/healthy"}
	if !reflect.DeepEqual(order, want) {
		t.Fatalf("order = %v, want %v", order, want)
	}
	plans := map[string]string{}
	for _, c := range rep.Cells {
		plans[c.Instance] = c.Plan
	}
	for inst, plan := range map[string]string{
		"diego-cell/worst":   "sequester plan -d cf diego-cell/worst --keep-suspects --agent-port 9443",
		"diego-cell/gone":    "sequester plan -d cf diego-cell/gone --keep-suspects --agent-port 9443",
		"diego-cell/host-d":  "sequester plan -d cf diego-cell/host-d --keep-none --agent-port 9443",
		"diego-cell/healthy": "",
	} {
		if plans[inst] != plan {
			t.Errorf("%s plan = %q, want %q", inst, plans[inst], plan)
		}
	}
	if !reflect.DeepEqual(rep.Skipped, []string{"diego-cell/no-vm"}) {
		t.Errorf("skipped = %v", rep.Skipped)
	}
	var out bytes.Buffer
	rep.WriteText(&out)
	text := out.String()
	for _, s := range []string{"h-stuck (app app-1/2)", "12m5s", "UNREACHABLE (10.0.16.15)", "5 cell(s) of deployment cf", "1 unreachable", "diego-cell/no-vm"} {
		if !strings.Contains(text, s) {
			t.Errorf("table lacks %q:\n%s", s, text)
		}
	}
	if lines := strings.Split(text, "\n"); !strings.HasPrefix(lines[1], "diego-cell/worst") {
		t.Errorf("first row is not the worst cell:\n%s", text)
	}
}

// A hung agent (accepts, never answers) costs its deadline and no more,
// and the cell is listed, not dropped; the others answer meanwhile.
func TestAnAgentThatNeverAnswersIsListedUnreachableWithinTheDeadline(t *testing.T) {
	f := fleet(t)
	if err := f.AddHung("10.0.16.20", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if err := f.Add("10.0.16.21", "127.0.0.1:0", agentapi.Health{DThreads: 1}); err != nil {
		t.Fatal(err)
	}
	deadline := 300 * time.Millisecond
	start := time.Now()
	rep := suspects.Collect(context.Background(), "cf", []suspects.Instance{inst("hung", "10.0.16.20"), inst("fine", "10.0.16.21")}, f.Dialer(),
		suspects.Options{CellTimeout: deadline})
	took := time.Since(start)
	if len(rep.Cells) != 2 {
		t.Fatalf("cells = %+v", rep.Cells)
	}
	var hung, fine suspects.Cell
	for _, c := range rep.Cells {
		switch c.Instance {
		case "diego-cell/hung":
			hung = c
		case "diego-cell/fine":
			fine = c
		}
	}
	if hung.Reachable || !strings.Contains(hung.Error, "no answer within 300ms") || !fine.Reachable {
		t.Fatalf("hung = %+v, fine = %+v", hung, fine)
	}
	// Generous against a loaded machine; the bench reports the real figure.
	if took > deadline+5*time.Second {
		t.Fatalf("took %s with a %s deadline", took, deadline)
	}
}

func TestCellGroupsAreTheGroupsRunningRep(t *testing.T) {
	groups, err := suspects.CellGroups(`
instance_groups:
- name: router
  jobs: [{name: gorouter}]
- name: diego-cell
  jobs: [{name: garden}, {name: rep}, {name: route_emitter}]
- name: isolated-diego-cell
  jobs: [{name: rep}]
`)
	if err != nil || !reflect.DeepEqual(groups, []string{"diego-cell", "isolated-diego-cell"}) {
		t.Fatalf("CellGroups = %v, %v", groups, err)
	}
}
