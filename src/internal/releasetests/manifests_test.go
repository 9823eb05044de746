package releasetests

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
)

// Every manifest interpolates with every ops file that applies to it, with
// --var-errs so a variable the operator must give cannot go unnoticed.
func TestManifestsInterpolateWithTheirOpsFiles(t *testing.T) {
	bosh := boshCLI(t)
	dir := filepath.Join(repoRoot(t), "manifests")
	store := filepath.Join(t.TempDir(), "creds.yml")
	vars := filepath.Join(t.TempDir(), "vars.yml")
	if err := os.WriteFile(vars, []byte(`
director_url: https://10.0.0.6:25555
director_ca_cert: CA
director_client: sequester
director_client_secret: s3cret
uaa_client: sequester
uaa_client_secret: s3cret
director_username: admin
director_password: pw
target_deployment: cf
target: diego-cell/6b1c8f3a-0c7d-4a53-9a9e-2f1d3c4b5a69
reason: processes stuck in D state
case_id: INC-1234
keep_handle: 2f3c1d2e-aaaa-4bbb-8ccc-123456789abc
keep_app_guid: 9d8c7b6a-1111-4222-8333-444455556666
keep_pid: 4242
bbs_url: https://bbs.service.cf.internal:8889
bbs_ca_cert: CA
bbs_client_cert: CERT
bbs_client_key: KEY
cell_sequestration_version: 1.0.0
investigator_public_keys: ["ssh-ed25519 AAAAC3 sre@jumpbox"]
investigator_source_cidrs: [10.0.0.5/32]
`), 0o644); err != nil {
		t.Fatal(err)
	}

	ops := func(names ...string) []string {
		var args []string
		for _, n := range names {
			args = append(args, "-o", filepath.Join(dir, "operations", n))
		}
		return args
	}
	cases := []struct {
		name     string
		manifest string
		ops      []string
		check    string // a path that must hold a value afterwards
		want     string
	}{
		{"errand deployment as is", "sequester.yml", nil, "/instance_groups/name=sequester-cell/lifecycle", "errand"},
		{"errand with UAA client", "sequester.yml", ops("use-uaa-client.yml"), "/instance_groups/name=sequester-cell/jobs/name=sequester-cell/properties/director/client", "sequester"},
		{"errand with basic auth", "sequester.yml", ops("use-basic-auth.yml"), "/instance_groups/name=sequester-cell/jobs/name=sequester-cell/properties/director/client", "admin"},
		{"errand keeping a handle and an app", "sequester.yml", ops("keep-handle.yml", "keep-app.yml"), "/instance_groups/name=sequester-cell/jobs/name=sequester-cell/properties/keep/handles/0", "2f3c1d2e-aaaa-4bbb-8ccc-123456789abc"},
		{"errand keeping a stuck pid's container", "sequester.yml", ops("keep-pid.yml"), "/instance_groups/name=sequester-cell/jobs/name=sequester-cell/properties/keep/pids/0", "4242"},
		{"errand keeping suspects, frozen", "sequester.yml", ops("keep-suspects.yml", "freeze-kept.yml"), "/instance_groups/name=sequester-cell/jobs/name=sequester-cell/properties/keep/suspects", "true"},
		{"errand keeping nothing", "sequester.yml", ops("keep-none.yml"), "/instance_groups/name=sequester-cell/jobs/name=sequester-cell/properties/keep/none", "true"},
		{"errand verifying with BBS", "sequester.yml", ops("verify-with-bbs.yml"), "/instance_groups/name=sequester-cell/jobs/name=sequester-cell/properties/bbs/url", "https://bbs.service.cf.internal:8889"},
		{"addon as is", "runtime-config.yml", nil, "/addons/name=sequester-agent/include/jobs/name=rep/release", "diego"},
		{"addon with investigator keys and sudo", "runtime-config.yml", ops("investigator-keys.yml", "investigator-sudo.yml"), "/addons/name=sequester-agent/jobs/name=sequester-agent/properties/investigator/public_keys/0", "ssh-ed25519 AAAAC3 sre@jumpbox"},
		{"addon without metrics", "runtime-config.yml", ops("disable-metrics.yml"), "/addons/name=sequester-agent/jobs/name=sequester-agent/properties/metrics/enabled", "false"},
	}
	// sequester.yml generates the certificates first; the addon reads them.
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"interpolate", filepath.Join(dir, c.manifest), "--var-errs", "--vars-store", store, "-l", vars}, c.ops...)
			out := run(t, "", nil, bosh, args...)
			var doc map[string]any
			if err := yaml.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("output is not YAML: %v", err)
			}
			got := strings.TrimSpace(run(t, "", nil, bosh, append(args, "--path", c.check)...))
			if got != c.want {
				t.Errorf("%s = %q, want %q", c.check, got, c.want)
			}
			if strings.Contains(out, "((") {
				t.Errorf("unresolved variable left:\n%s", out)
			}
		})
	}

	// The addon's agent certificate chains to the CA the errand trusts.
	rc := run(t, "", nil, bosh, "interpolate", filepath.Join(dir, "runtime-config.yml"), "--var-errs", "--vars-store", store, "-l", vars,
		"--path", "/addons/name=sequester-agent/jobs/name=sequester-agent/properties/sequester_agent/tls/ca")
	errand := run(t, "", nil, bosh, "interpolate", filepath.Join(dir, "sequester.yml"), "--var-errs", "--vars-store", store, "-l", vars,
		"--path", "/instance_groups/name=sequester-cell/jobs/name=sequester-cell/properties/agent/tls/ca")
	if rc != errand || !strings.Contains(rc, "BEGIN CERTIFICATE") {
		t.Errorf("the addon and the errand do not share the agent CA")
	}

	// The metrics endpoint trusts the metric scraper CA, which is not the
	// API's: a scraper's certificate must not open the agent's API.
	metricsCA := run(t, "", nil, bosh, "interpolate", filepath.Join(dir, "runtime-config.yml"), "--var-errs", "--vars-store", store, "-l", vars,
		"--path", "/addons/name=sequester-agent/jobs/name=sequester-agent/properties/metrics/tls/ca")
	var creds struct {
		MetricScraperCA struct {
			Certificate string `yaml:"certificate"`
		} `yaml:"metric_scraper_ca"`
	}
	b, err := os.ReadFile(store)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &creds); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(metricsCA) != strings.TrimSpace(creds.MetricScraperCA.Certificate) || metricsCA == rc {
		t.Errorf("the addon's metrics CA is not the metric scraper CA, or is the API's")
	}
}

func TestEveryOpsFileIsExercised(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join(repoRoot(t), "manifests", "operations"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("manifests_test.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.Contains(string(src), `"`+e.Name()+`"`) {
			t.Errorf("ops file %s is not interpolated by any test", e.Name())
		}
	}
}

// One name is checked in agents' certificates: the sequester CLI's default,
// sequester-cell's agent.server_name default, and the name sequester.yml
// puts in the agents' server certificate.
func TestTheAgentServerNameHasOneDefault(t *testing.T) {
	root := repoRoot(t)
	var spec struct {
		Properties map[string]struct {
			Default any `yaml:"default"`
		} `yaml:"properties"`
	}
	readYAML(t, filepath.Join(root, "jobs", "sequester-cell", "spec"), &spec)
	if got := spec.Properties["agent.server_name"].Default; got != agentapi.DefaultServerName {
		t.Errorf("sequester-cell agent.server_name defaults to %v; the CLI to %q", got, agentapi.DefaultServerName)
	}
	var manifest struct {
		Variables []struct {
			Name    string `yaml:"name"`
			Options struct {
				CommonName       string   `yaml:"common_name"`
				AlternativeNames []string `yaml:"alternative_names"`
			} `yaml:"options"`
		} `yaml:"variables"`
	}
	readYAML(t, filepath.Join(root, "manifests", "sequester.yml"), &manifest)
	found := false
	for _, v := range manifest.Variables {
		if v.Name == "/sequester/agent_server_tls" {
			found = true
			if !slices.Contains(v.Options.AlternativeNames, agentapi.DefaultServerName) {
				t.Errorf("the agents' certificate names %v, not %q", v.Options.AlternativeNames, agentapi.DefaultServerName)
			}
		}
	}
	if !found {
		t.Error("sequester.yml defines no /sequester/agent_server_tls")
	}
}

func readYAML(t *testing.T, path string, out any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, out); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
