package director

import (
	"strings"
	"testing"
	"time"

	boshdir "github.com/cloudfoundry/bosh-cli/v7/director"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
	"github.com/cloudfoundry-community/cell-sequestration/internal/steps"
)

func TestUnexpectedChangesAllowOnlyTheReservedEntry(t *testing.T) {
	cases := []struct {
		name string
		diff [][]interface{}
		want []string
	}{
		{"an empty diff", nil, nil},
		{"unchanged context lines", [][]interface{}{{"networks:", nil}, {"- name: cf", nil}}, nil},
		{"our entry added to a block list", [][]interface{}{{"    reserved:", nil}, {"    - 10.0.16.9", nil}, {"    - 10.0.16.5", "added"}}, nil},
		{"our key added as a flow list", [][]interface{}{{"  reserved: [10.0.16.5]", "added"}}, nil},
		{"a new reserved key with our quoted entry", [][]interface{}{{"  reserved:", "added"}, {"  - '10.0.16.5'", "added"}}, nil},
		{"another IP reserved", [][]interface{}{{"    reserved:", nil}, {"    - 10.0.16.6", "added"}}, []string{"added - 10.0.16.6"}},
		{"a released entry removed", [][]interface{}{{"    reserved:", nil}, {"    - 10.0.16.5", "added"}, {"    - 10.0.16.77", "removed"}}, nil},
		{"our IP as a static entry", [][]interface{}{{"    static:", nil}, {"    - 10.0.16.5", "added"}}, []string{"added - 10.0.16.5"}},
		{"a string the director re-renders as a list", [][]interface{}{{"  reserved: 10.0.16.2 - 10.0.16.4", "removed"}, {"  reserved:", "added"},
			{"  - 10.0.16.2 - 10.0.16.4", "added"}, {"  - 10.0.16.5", "added"}}, nil},
		{"a flow list with a foreign entry", [][]interface{}{{"  reserved: [10.0.16.5, 10.0.16.7]", "added"}}, []string{"added reserved: [10.0.16.5, 10.0.16.7]"}},
		{"an operator's pending change", [][]interface{}{{"  instances: 4", "added"}, {"  instances: 3", "removed"}},
			[]string{"added instances: 4", "removed instances: 3"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := unexpectedChanges(boshdir.NewDeploymentDiff(tc.diff, nil), []string{"10.0.16.2 - 10.0.16.4", "10.0.16.5"})
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("got %q want %q", got, tc.want)
			}
		})
	}
}

func TestPendingChangesBlockingLetsOnlyReservedRemovalsThrough(t *testing.T) {
	cases := []struct {
		name string
		diff [][]interface{}
		want []string
	}{
		{"a released reserved entry", [][]interface{}{{"networks:", nil}, {"  reserved:", nil}, {"  - 10.0.16.5", "removed"}}, nil},
		{"a dropped reserved key", [][]interface{}{{"  reserved: [10.0.16.5]", "removed"}}, nil},
		{"a new reserved entry", [][]interface{}{{"  reserved:", nil}, {"  - 10.0.16.5", "added"}}, []string{"added - 10.0.16.5"}},
		{"a removed instance group job", [][]interface{}{{"  jobs:", nil}, {"  - rep", "removed"}}, []string{"removed - rep"}},
		{"a changed instance count", [][]interface{}{{"  instances: 4", "added"}}, []string{"added instances: 4"}},
		{"an operator's string given back for our list", [][]interface{}{{"  reserved:", "removed"}, {"  - 10.0.16.1 - 10.0.16.9", "removed"},
			{"  - 10.0.16.10", "removed"}, {"  reserved: 10.0.16.1 - 10.0.16.9", "added"}}, nil},
		{"a string turned into a list with a new entry", [][]interface{}{{"  reserved: 10.0.16.1 - 10.0.16.9", "removed"}, {"  reserved:", "added"},
			{"  - 10.0.16.1 - 10.0.16.9", "added"}, {"  - 10.0.16.10", "added"}}, []string{"added - 10.0.16.10"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := pendingChangesBlocking(boshdir.NewDeploymentDiff(tc.diff, nil))
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("got %q want %q", got, tc.want)
			}
		})
	}
}

func TestCheckKeepRefusesSelectorsThatMatchNothing(t *testing.T) {
	plan := agentapi.Plan{Keep: []agentapi.Container{{Handle: "h1", AppGUID: "app1"}}}
	cases := []struct {
		name string
		keep agentapi.Keep
		plan agentapi.Plan
		want string
	}{
		{"a handle that is kept", agentapi.Keep{Handles: []string{"h1"}}, plan, ""},
		{"an app that is kept", agentapi.Keep{AppGUIDs: []string{"app1"}}, plan, ""},
		{"a handle that matches nothing", agentapi.Keep{Handles: []string{"nope"}}, plan, `keep handle "nope" matches no container`},
		{"an app that matches nothing", agentapi.Keep{AppGUIDs: []string{"nope"}}, plan, `keep app "nope" matches no container`},
		{"an empty keep list without none", agentapi.Keep{Suspects: true}, agentapi.Plan{}, "the keep list matches no container (say --keep-none to prune everything)"},
		{"an empty keep list with none", agentapi.Keep{None: true}, agentapi.Plan{}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := checkKeep(tc.keep, tc.plan)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Fatalf("got %q want %q", got, tc.want)
			}
		})
	}
}

func TestAgentStopStateReadsTheAgentsLastStep(t *testing.T) {
	cases := []struct {
		state string
		want  string
	}{
		{agentapi.StepDone, BoshAgentStopped},
		{agentapi.StepPending, BoshAgentRunning},
		{agentapi.StepSkipped, BoshAgentRunning},
		{agentapi.StepRunning, BoshAgentUnknown},
		{agentapi.StepFailed, BoshAgentUnknown},
	}
	for _, tc := range cases {
		st := agentapi.Status{Steps: []agentapi.Step{{Name: agentapi.StepPruneContainers, State: agentapi.StepDone}, {Name: agentapi.StepStopBoshAgent, State: tc.state}}}
		if got := agentStopState(st); got != tc.want {
			t.Fatalf("stop step %s: got %s want %s", tc.state, got, tc.want)
		}
	}
	if got := agentStopState(agentapi.Status{}); got != BoshAgentRunning {
		t.Fatalf("no steps: got %s", got)
	}
}

func TestGroupNetworksReadsTheInstanceGroupsNetworksAndStaticIPs(t *testing.T) {
	manifest := `instance_groups:
- name: api
  networks: [{name: default}]
- name: diego-cell
  networks:
  - name: cells
    static_ips: [10.0.16.10]
  - name: backup
`
	nets, statics, err := groupNetworks(manifest, "diego-cell")
	if err != nil || strings.Join(nets, ",") != "cells,backup" || !statics["10.0.16.10"] {
		t.Fatalf("got %v %v %v", nets, statics, err)
	}
	if _, _, err := groupNetworks(manifest, "router"); err == nil || err.Error() != "instance group router not in the manifest" {
		t.Fatalf("err = %v", err)
	}
}

func TestSplitInstanceRefusesAnythingButGroupSlashID(t *testing.T) {
	for _, bad := range []string{"", "cell", "cell/", "/id", "a/b/c"} {
		if _, _, err := SplitInstance(bad); err == nil || !refusal.Is(err) {
			t.Fatalf("%q: err = %v; want a refusal", bad, err)
		}
	}
	g, id, err := SplitInstance("diego-cell/abc-123")
	if err != nil || g != "diego-cell" || id != "abc-123" {
		t.Fatalf("got %q %q %v", g, id, err)
	}
}

func TestHostOfReadsRepAddresses(t *testing.T) {
	for in, want := range map[string]string{
		"http://10.0.16.5:1800":  "10.0.16.5",
		"https://10.0.16.5:1801": "10.0.16.5",
		"10.0.16.5:1800":         "10.0.16.5",
		"10.0.16.5":              "10.0.16.5",
	} {
		if got := hostOf(in); got != want {
			t.Fatalf("%s: got %s want %s", in, got, want)
		}
	}
}

func TestUnreservedSequesteredNamesOnlyLiveVMsWhoseIPTheConfigCanHandOut(t *testing.T) {
	content := []byte("networks:\n- name: cells\n  type: manual\n  subnets:\n  - range: 10.0.16.0/24\n    gateway: 10.0.16.1\n    reserved: [10.0.16.2 - 10.0.16.9, 10.0.16.20]\n")
	rec := func(id, ip, network, state string, reserved bool) record.Record {
		r := record.Record{ID: "seq-" + id, Deployment: "cf", InstanceGroup: "diego-cell", InstanceID: id, OldIP: ip, Network: network, State: state}
		if reserved {
			r.Step(StepReserveIP).Finish(time.Now(), steps.Outcome{}, nil)
		}
		return r
	}
	all := []record.Record{
		rec("still-reserved", "10.0.16.20", "cells", record.StateComplete, true),
		rec("dropped", "10.0.16.21", "cells", record.StateComplete, true),
		rec("released", "10.0.16.22", "cells", record.StateReleased, true),
		rec("self", "10.0.16.23", "cells", record.StateInProgress, true),
		rec("other-network", "10.0.16.24", "default", record.StateComplete, true),
		rec("outside-every-subnet", "10.0.99.5", "cells", record.StateComplete, true),
		rec("not-reserved-yet", "10.0.16.25", "cells", record.StateFailed, false),
	}
	got, err := unreservedSequestered(all, "cf", "self", "cells", content)
	want := "10.0.16.21 of the sequestered VM of cf:diego-cell/dropped (record seq-dropped)"
	if err != nil || len(got) != 1 || got[0] != want {
		t.Fatalf("got %q, %v; want [%q]", got, err, want)
	}
}
