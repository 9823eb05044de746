package keep_test

import (
	"strings"
	"testing"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/keep"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

var inventory = []agentapi.Container{
	{Handle: "h-app1-0", AppGUID: "app1", Pids: []int{100, 101}},
	{Handle: "h-app1-1", AppGUID: "app1", Pids: []int{200}},
	{Handle: "h-app2-0", AppGUID: "app2", Pids: []int{300}, Suspect: true},
	{Handle: "h-task", Pids: []int{400}},
}

func TestResolveSplitsTheInventoryIntoKeepAndPrune(t *testing.T) {
	cases := []struct {
		name  string
		keep  agentapi.Keep
		kept  string
		prune string
	}{
		{"a handle keeps that container", agentapi.Keep{Handles: []string{"h-task"}}, "h-task", "h-app1-0,h-app1-1,h-app2-0"},
		{"an app guid keeps all its instances", agentapi.Keep{AppGUIDs: []string{"app1"}}, "h-app1-0,h-app1-1", "h-app2-0,h-task"},
		{"a pid keeps the container it runs in", agentapi.Keep{Pids: []int{101}}, "h-app1-0", "h-app1-1,h-app2-0,h-task"},
		{"suspects keeps the containers stuck in D", agentapi.Keep{Suspects: true}, "h-app2-0", "h-app1-0,h-app1-1,h-task"},
		{"selectors add up and overlap without duplicates", agentapi.Keep{Handles: []string{"h-app1-0"}, AppGUIDs: []string{"app1"}, Pids: []int{100}}, "h-app1-0,h-app1-1", "h-app2-0,h-task"},
		{"none keeps nothing", agentapi.Keep{None: true}, "", "h-app1-0,h-app1-1,h-app2-0,h-task"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sel, err := keep.Resolve(c.keep, inventory)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(sel.KeepHandles(), ","); got != c.kept {
				t.Fatalf("kept %s, want %s", got, c.kept)
			}
			if got := strings.Join(sel.PruneHandles(), ","); got != c.prune {
				t.Fatalf("pruned %s, want %s", got, c.prune)
			}
		})
	}
}

func TestResolveRefusesWhatWouldPruneByMistake(t *testing.T) {
	cases := []struct {
		name      string
		keep      agentapi.Keep
		inventory []agentapi.Container
		says      string
	}{
		{"an empty keep would prune everything", agentapi.Keep{}, inventory, "nothing is selected to keep"},
		{"none combined with a selector is contradictory", agentapi.Keep{None: true, Handles: []string{"h-task"}}, inventory, "not both"},
		{"a handle that is not on the cell", agentapi.Keep{Handles: []string{"h-typo"}}, inventory, `no container with handle "h-typo"`},
		{"an empty handle", agentapi.Keep{Handles: []string{""}}, inventory, "handle is empty"},
		{"a path as handle", agentapi.Keep{Handles: []string{"../etc"}}, inventory, "slash"},
		{"a dot-dot handle", agentapi.Keep{Handles: []string{".."}}, inventory, "is a path"},
		{"a NUL in a handle", agentapi.Keep{Handles: []string{"h\x00"}}, inventory, "control character"},
		{"an app with no container here", agentapi.Keep{AppGUIDs: []string{"app9"}}, inventory, "no container of app app9"},
		{"an empty app guid", agentapi.Keep{AppGUIDs: []string{""}}, inventory, "empty app guid"},
		{"a pid outside every container", agentapi.Keep{Pids: []int{1}}, inventory, "pid 1 is in no container"},
		{"a negative pid", agentapi.Keep{Pids: []int{-5}}, inventory, "not a process id"},
		{"suspects when none is stuck", agentapi.Keep{Suspects: true}, inventory[:2], "no container is a suspect"},
		{"a good selector does not excuse a bad one", agentapi.Keep{Handles: []string{"h-task", "h-typo"}}, inventory, `"h-typo"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sel, err := keep.Resolve(c.keep, c.inventory)
			if err == nil {
				t.Fatalf("Resolve accepted it: keep %v prune %v", sel.KeepHandles(), sel.PruneHandles())
			}
			if !refusal.Is(err) {
				t.Fatalf("error %v is not a refusal", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, c.says) {
				t.Fatalf("error %q does not say %q", msg, c.says)
			}
			if !strings.Contains(msg, ": ") || strings.Count(msg, ". ") > 0 {
				t.Fatalf("error %q is not one sentence saying what is wrong and what to do", msg)
			}
		})
	}
}
