package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/journal"
)

func writeAgentConfig(t *testing.T, stateDir string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "agent.json")
	b, _ := json.Marshal(map[string]any{"cell_id": "cell-9", "state_dir": stateDir})
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestStatusLocalReadsTheAgentStateFileWithoutTheNetwork(t *testing.T) {
	stateDir := t.TempDir()
	j, err := journal.Open(stateDir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	st := journal.NewState("cell-9", agentapi.SequesterRequest{OperationID: "op-7"}, []string{agentapi.StepWithdrawRoutes, agentapi.StepStopRep}, now)
	if err := j.Begin(st); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Update(now, func(s *journal.State) {
		s.StartStep(agentapi.StepWithdrawRoutes, now)
		s.EndStep(agentapi.StepWithdrawRoutes, agentapi.StepDone, "route_emitter stopped", nil, now)
		s.StartStep(agentapi.StepStopRep, now)
		s.Status.Kept = []string{"keep-me"}
	}); err != nil {
		t.Fatal(err)
	}
	cfg := writeAgentConfig(t, stateDir)

	cases := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{"readable", []string{"status", "--local", "--config", cfg}, exitOK, []string{"operation:  op-7", "withdraw-routes", "route_emitter stopped", "stop-rep", "running", "keep-me"}},
		{"json", []string{"status", "--local", "--config", cfg, "--json"}, exitOK, []string{`"operation_id": "op-7"`, `"phase": "running"`}},
		{"no operation yet is idle", []string{"status", "--local", "--config", writeAgentConfig(t, t.TempDir())}, exitOK, []string{"phase:      idle"}},
		{"local without config is refused", []string{"status", "--local"}, exitRefused, []string{"--local needs --config"}},
		{"local with a deployment argument is refused", []string{"status", "--local", "--config", cfg, "router/0"}, exitRefused, nil},
		{"a missing config file is refused", []string{"status", "--local", "--config", "/nonexistent/agent.json"}, exitRefused, []string{"read config"}},
		{"config without local is refused", []string{"status", "-d", "cf", "diego-cell/0", "--config", cfg}, exitRefused, []string{"--config goes with --local"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			root := newRootCommand()
			root.SetOut(&out)
			root.SetErr(&out)
			if code := execute(root, tc.args); code != tc.wantCode {
				t.Fatalf("exit %d, want %d: %s", code, tc.wantCode, out.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

func TestAgentCommandRefusesAMissingOrBrokenConfig(t *testing.T) {
	broken := filepath.Join(t.TempDir(), "agent.json")
	if err := os.WriteFile(broken, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"agent"}, {"agent", "--config", "/nonexistent"}, {"agent", "--config", broken}} {
		var out bytes.Buffer
		root := newRootCommand()
		root.SetOut(&out)
		root.SetErr(&out)
		if code := execute(root, args); code != exitRefused {
			t.Errorf("%v: exit %d, want %d: %s", args, code, exitRefused, out.String())
		}
	}
	// A config the agent cannot run with (no cell id) fails without serving.
	cfg := filepath.Join(t.TempDir(), "agent.json")
	if err := os.WriteFile(cfg, []byte(`{"state_dir":"`+t.TempDir()+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	root := newRootCommand()
	root.SetOut(&out)
	root.SetErr(&out)
	if code := execute(root, []string{"agent", "--config", cfg}); code != exitFailed || !strings.Contains(out.String(), "cell_id") {
		t.Errorf("exit %d: %s", code, out.String())
	}
}
