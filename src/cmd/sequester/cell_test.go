package main

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi/agentapitest"
	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
	"github.com/cloudfoundry-community/cell-sequestration/internal/director/directortest"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/directorsim"
	"github.com/cloudfoundry-community/cell-sequestration/internal/version"
)

const cliCloudConfig = `azs: [{name: z1}]
vm_types: [{name: default}]
compilation: {workers: 1, network: cells, az: z1, vm_type: default}
networks:
- name: cells
  type: manual
  subnets:
  - range: 10.0.16.0/24
    gateway: 10.0.16.1
    az: z1
    reserved: [10.0.16.1 - 10.0.16.9]
`

const cliManifest = `name: cf
releases: []
stemcells: [{alias: default, os: ubuntu-jammy, version: latest}]
update: {canaries: 1, max_in_flight: 1, canary_watch_time: 1000, update_watch_time: 1000}
instance_groups:
- name: diego-cell
  instances: 2
  azs: [z1]
  vm_type: default
  stemcell: default
  networks: [{name: cells}]
  jobs: [{name: rep, release: diego}]
`

// cliLab is a simulated director with a deployed "cf", real agent servers
// per cell, and the BOSH_* and SEQUESTER_AGENT_* environment of an operator.
type cliLab struct {
	sim    *directorsim.Simulator
	target directorsim.Instance
	dir    string
}

func newCLILab(t *testing.T) *cliLab {
	sim, err := directorsim.New(directorsim.Options{HMInterval: 5 * time.Millisecond, ResurrectionRulesInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	if _, err := sim.SetCloudConfig("default", cliCloudConfig); err != nil {
		t.Fatal(err)
	}
	if _, err := sim.Deploy(cliManifest); err != nil {
		t.Fatal(err)
	}
	fleet := directortest.NewAgentFleet(t)
	l := &cliLab{sim: sim, dir: t.TempDir()}
	for _, in := range sim.Instances("cf") {
		in := in
		cell := fleet.Add(in.IPs["cells"], in.ID)
		cell.StopBoshAgent = func() { _ = sim.SetInstanceAgentResponsive("cf", in.Group, in.ID, false) }
		if in.Index == 0 {
			l.target = in
		}
	}
	// The agents listen on loopback ports, not on the cells' IPs: the
	// dialer maps IPs to them; the TLS material from the flags is still
	// loaded and checked.
	prev := agentDialer
	agentDialer = func(int, *tls.Config) director.AgentDialer { return fleet.Dialer() }
	t.Cleanup(func() { agentDialer = prev })

	ca, caFile := agentapitest.NewCA(t, "cli-agents")
	client := ca.Issue(t, "operator")
	client2, secret := sim.ClientCredentials()
	caPath := filepath.Join(l.dir, "director-ca.pem")
	if err := os.WriteFile(caPath, sim.CACertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"BOSH_ENVIRONMENT": sim.URL(), "BOSH_CLIENT": client2, "BOSH_CLIENT_SECRET": secret, "BOSH_CA_CERT": caPath,
		"SEQUESTER_AGENT_CA": caFile, "SEQUESTER_AGENT_CERT": client.CertFile, "SEQUESTER_AGENT_KEY": client.KeyFile,
		"BOSH_DEPLOYMENT": "",
		// Not the bosh CLI config of whoever runs the tests.
		"BOSH_CONFIG": filepath.Join(l.dir, "bosh-config"),
	} {
		t.Setenv(k, v)
	}
	return l
}

func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootCommand()
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetIn(strings.NewReader(stdin))
	code := execute(root, append(args, "--log-level", "fatal"))
	return code, out.String(), errOut.String()
}

var fast = []string{"--resurrection-wait", "50ms", "--poll-interval", "5ms", "--unresponsive-timeout", "5s", "--cell-timeout", "5s"}

func TestCellSequestersAndStatusListReleaseFollowTheRecord(t *testing.T) {
	l := newCLILab(t)
	inst := "diego-cell/" + l.target.ID
	oldIP := l.target.IPs["cells"]

	code, out, errOut := runCLI(t, "", "plan", "-d", "cf", inst, "--keep-suspects")
	if code != exitOK || !strings.Contains(out, "Preflight:") || strings.Contains(out, "REFUSED") {
		t.Fatalf("plan: exit %d\n%s\n%s", code, out, errOut)
	}

	code, out, errOut = runCLI(t, "", append([]string{"cell", "-d", "cf", inst, "--keep-suspects", "-n", "--json", "--reason", "D state", "--case", "INC-7"}, fast...)...)
	if code != exitOK {
		t.Fatalf("cell: exit %d\n%s\n%s", code, out, errOut)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("cell --json printed no JSON document: %v\n%s", err, out)
	}
	for _, k := range []string{"state", "deployment", "instance", "old_ip", "vm_cid", "new_ip", "kept", "pruned", "steps", "evidence", "ssh"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("JSON report lacks %q", k)
		}
	}
	if rep["state"] != "complete" || rep["old_ip"] != oldIP || rep["new_ip"] == oldIP || rep["instance"] != inst || rep["version"] != version.Version {
		t.Fatalf("report: %v", rep)
	}
	steps, _ := rep["steps"].([]any)
	if len(steps) != len(director.Steps) {
		t.Fatalf("%d steps; want %d", len(steps), len(director.Steps))
	}
	for _, s := range steps {
		m := s.(map[string]any)
		for _, k := range []string{"name", "state", "started_at", "finished_at", "error"} {
			if _, ok := m[k]; !ok {
				t.Errorf("step %v lacks %q", m["name"], k)
			}
		}
	}

	code, out, _ = runCLI(t, "", "status", "-d", "cf", inst, "--json")
	if code != exitOK || !strings.Contains(out, `"state": "complete"`) {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "", "list", "--json")
	var entries []director.ListEntry
	if code != exitOK || json.Unmarshal([]byte(out), &entries) != nil || len(entries) != 1 || entries[0].OldVM != "alive" || len(entries[0].Drift) != 0 {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	code, out, errOut = runCLI(t, "", "release", "-d", "cf", oldIP)
	if code != exitOK || !strings.Contains(out, "RELEASED") {
		t.Fatalf("release: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "", "list")
	if code != exitOK || !strings.Contains(out, "released") {
		t.Fatalf("list after release: exit %d\n%s", code, out)
	}
}

func TestCellExitCodes(t *testing.T) {
	cases := []struct {
		name     string
		setup    func(l *cliLab)
		args     func(l *cliLab) []string
		stdin    string
		wantCode int
		wantErr  string
	}{
		{
			name: "an unknown instance is refused",
			args: func(l *cliLab) []string {
				return []string{"cell", "-d", "cf", "diego-cell/nope", "--keep-suspects", "-n"}
			},
			wantCode: exitRefused, wantErr: `instance diego-cell/nope not found in deployment "cf"`,
		},
		{
			name:     "no keep selection is refused before anything",
			args:     func(l *cliLab) []string { return []string{"cell", "-d", "cf", "diego-cell/" + l.target.ID, "-n"} },
			wantCode: exitRefused, wantErr: "say what to keep",
		},
		{
			name: "an interactive run the operator declines is refused",
			args: func(l *cliLab) []string {
				return []string{"cell", "-d", "cf", "diego-cell/" + l.target.ID, "--keep-suspects"}
			},
			stdin:    "n\n",
			wantCode: exitRefused, wantErr: "not confirmed",
		},
		{
			name:  "a failed deploy is a failure with the report",
			setup: func(l *cliLab) { l.sim.FailNextTask(directorsim.KindUpdateDeployment, "injected") },
			args: func(l *cliLab) []string {
				return append([]string{"cell", "-d", "cf", "diego-cell/" + l.target.ID, "--keep-suspects", "-n"}, fast...)
			},
			wantCode: exitFailed, wantErr: "redeploy: deploy:",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := newCLILab(t)
			if tc.setup != nil {
				tc.setup(l)
			}
			code, out, errOut := runCLI(t, tc.stdin, tc.args(l)...)
			if code != tc.wantCode || !strings.Contains(errOut, tc.wantErr) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q)\n%s", code, tc.wantCode, errOut, tc.wantErr, out)
			}
			if tc.wantCode == exitRefused && l.sim.RequestCount("POST", "/configs") != 0 {
				t.Fatal("a refused run wrote configs")
			}
			if tc.wantCode == exitFailed && !strings.Contains(out, "FAILED") {
				t.Fatalf("a failed run printed no report:\n%s", out)
			}
		})
	}
}

func TestARefusalWithJSONIsStillOneJSONDocument(t *testing.T) {
	newCLILab(t)
	code, out, _ := runCLI(t, "", "cell", "-d", "cf", "diego-cell/nope", "--keep-suspects", "-n", "--json")
	var doc map[string]string
	if code != exitRefused || json.Unmarshal([]byte(out), &doc) != nil || doc["state"] != "refused" ||
		doc["error"] != `instance diego-cell/nope not found in deployment "cf"` {
		t.Fatalf("exit %d, output %q", code, out)
	}
}

func TestErrandRunsTheSameFlowFromItsConfig(t *testing.T) {
	l := newCLILab(t)
	cfg := map[string]any{
		"director":   map[string]any{"url": os.Getenv("BOSH_ENVIRONMENT"), "ca_cert_file": os.Getenv("BOSH_CA_CERT"), "client": os.Getenv("BOSH_CLIENT"), "client_secret": os.Getenv("BOSH_CLIENT_SECRET")},
		"deployment": "cf", "instance": "diego-cell/" + l.target.ID,
		"keep":   map[string]any{"suspects": true},
		"reason": "errand test", "case_id": "INC-9", "requested_by": "operator",
		"max_sequestered": 2,
		"agent":           map[string]any{"port": 8899, "tls": map[string]any{"ca_file": os.Getenv("SEQUESTER_AGENT_CA"), "cert_file": os.Getenv("SEQUESTER_AGENT_CERT"), "key_file": os.Getenv("SEQUESTER_AGENT_KEY")}},
		// Whole seconds are the errand's unit; global mode needs no wait
		// for the health monitor's re-read.
		"unresponsive_timeout_seconds": 10, "poll_interval_seconds": 1, "resurrection_mode": "global",
	}
	b, _ := json.Marshal(cfg)
	path := filepath.Join(l.dir, "errand.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "", "errand", "--config", path)
	if code != exitOK {
		t.Fatalf("errand: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"COMPLETE", "Steps:", "redeploy", "Director tasks: ", "- stop-rep", "Investigator SSH: investigator can log in", "Resurrection: paused (global) and restored", `requested by "operator", reason "errand test", case "INC-9"`} {
		if !strings.Contains(out, want) {
			t.Errorf("errand output lacks %q:\n%s", want, out)
		}
	}
	code, _, errOut = runCLI(t, "", "errand", "--config", filepath.Join(l.dir, "missing.json"))
	if code != exitRefused || !strings.Contains(errOut, "missing.json") {
		t.Fatalf("missing config: exit %d %s", code, errOut)
	}
}
