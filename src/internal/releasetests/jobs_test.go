package releasetests

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/config"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/jobrender"
)

const cellID = "6b1c8f3a-0c7d-4a53-9a9e-2f1d3c4b5a69"

var cell = jobrender.Instance{Deployment: "cf", Group: "diego-cell", ID: cellID, Index: 2, AZ: "z1", IP: "10.0.16.12"}

func pem(kind string) string {
	return "-----BEGIN " + kind + "-----\nMIIB" + kind + "\n-----END " + kind + "-----"
}

func agentTLS() map[string]any {
	return map[string]any{"tls": map[string]any{
		"ca": pem("CERTIFICATE"), "certificate": pem("CERTIFICATE"), "private_key": pem("PRIVATE KEY"),
	}}
}

// metricsTLS is the metrics endpoint's material: a CA other than the
// API's, as the metric scraper CA is.
func metricsTLS() map[string]any {
	ca := "-----BEGIN CERTIFICATE-----\nMIIBmetricScraperCA\n-----END CERTIFICATE-----"
	return map[string]any{"tls": map[string]any{
		"ca": ca, "certificate": pem("CERTIFICATE"), "private_key": pem("PRIVATE KEY"),
	}}
}

// render renders a job. The agent's metrics are on by default and need
// their mTLS material, so an agent render without a metrics block gets
// metricsTLS.
func render(t *testing.T, job string, props map[string]any) (map[string]string, error) {
	t.Helper()
	if job == "sequester-agent" && props["metrics"] == nil {
		props["metrics"] = metricsTLS()
	}
	requireCommand(t, "ruby")
	j, err := jobrender.Load(repoRoot(t), job)
	if err != nil {
		t.Fatal(err)
	}
	return j.Render(t.TempDir(), cell, props)
}

func mustRender(t *testing.T, job string, props map[string]any) map[string]string {
	t.Helper()
	out, err := render(t, job, props)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestJobSpecsDocumentEveryProperty(t *testing.T) {
	for _, name := range []string{"sequester-agent", "sequester-cell"} {
		j, err := jobrender.Load(repoRoot(t), name)
		if err != nil {
			t.Fatal(err)
		}
		for prop, p := range j.Spec.Properties {
			if p == nil || strings.TrimSpace(p.Description) == "" {
				t.Errorf("%s: property %s has no description", name, prop)
			}
		}
		if !reflect.DeepEqual(j.Spec.Packages, []string{"sequester"}) {
			t.Errorf("%s: packages = %v, want [sequester]", name, j.Spec.Packages)
		}
	}
}

func TestAgentRendersWithDefaults(t *testing.T) {
	out := mustRender(t, "sequester-agent", map[string]any{"sequester_agent": agentTLS()})

	var cfg config.Agent
	if err := json.Unmarshal([]byte(out["config/agent.json"]), &cfg); err != nil {
		t.Fatalf("agent.json does not parse: %v\n%s", err, out["config/agent.json"])
	}
	want := config.Agent{
		ListenAddress: "0.0.0.0:8899",
		TLS: config.TLS{
			CAFile:   "/var/vcap/jobs/sequester-agent/config/certs/ca.pem",
			CertFile: "/var/vcap/jobs/sequester-agent/config/certs/server.crt",
			KeyFile:  "/var/vcap/jobs/sequester-agent/config/certs/server.key",
		},
		CellID:   cellID,
		StateDir: "/var/vcap/data/sequester-agent",
		LogLevel: "info",
		Garden:   config.Garden{Socket: "/var/vcap/data/garden/garden.sock", DepotPath: "/var/vcap/data/garden/depot", DestroyTimeoutSeconds: 30},
		Runc:     config.Runc{Binary: "/var/vcap/packages/runc/bin/runc", Root: "/run/containerd/runc/garden", CgroupRoot: "/sys/fs/cgroup", TimeoutSeconds: 30},
		Monit: config.Monit{
			Address: "127.0.0.1:2822", CredentialsFile: "/var/vcap/monit/monit.user", TimeoutSeconds: 10,
			RouteEmitterService: "route_emitter", RepService: "rep", RepPidFile: "/var/vcap/sys/run/bpm/rep/rep.pid",
			RouteEmitterPidFile: "/var/vcap/sys/run/bpm/route_emitter/route_emitter.pid",
		},
		BBS: config.BBS{
			URL:                       "https://bbs.service.cf.internal:8889",
			CAFile:                    "/var/vcap/jobs/route_emitter/config/certs/bbs/ca.crt",
			CertFile:                  "/var/vcap/jobs/route_emitter/config/certs/bbs/client.crt",
			KeyFile:                   "/var/vcap/jobs/route_emitter/config/certs/bbs/client.key",
			ReplacementTimeoutSeconds: 120,
		},
		Evidence: config.Evidence{
			Dir: "/var/vcap/data/sequester-agent/evidence", MaxBytes: 104857600,
			LogFiles: []string{
				"/var/vcap/sys/log/rep/rep.stdout.log", "/var/vcap/sys/log/rep/rep.stderr.log",
				"/var/vcap/sys/log/route_emitter/route_emitter.stdout.log", "/var/vcap/sys/log/garden/garden.stdout.log",
			},
		},
		BoshAgent: config.BoshAgent{Stop: true, Supervisor: "auto", RunitService: "/etc/sv/agent", SvBinary: "sv", SystemdUnit: "bosh-agent"},
		SSH:       config.SSH{User: "investigator", PublicKeys: []string{}, SourceCIDRs: []string{}, Port: 22},
		DState:    config.DState{PollIntervalSeconds: 10, SuspectAfterSeconds: 150, KmsgPath: "/dev/kmsg"},
		Prune:     config.Prune{Workers: 16},
		Metrics: config.Metrics{Enabled: true, ListenAddress: "0.0.0.0:8898", TLS: config.TLS{
			CAFile:   "/var/vcap/jobs/sequester-agent/config/certs/metrics-ca.pem",
			CertFile: "/var/vcap/jobs/sequester-agent/config/certs/metrics.crt",
			KeyFile:  "/var/vcap/jobs/sequester-agent/config/certs/metrics.key",
		}},
		FirstResponder: config.FirstResponder{Enabled: true, Dir: "/var/vcap/data/sequester-agent/first-responder",
			MaxPerHour: 6, MaxTotalBytes: 268435456, MaxBundleBytes: 16777216},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("agent.json\n got %+v\nwant %+v", cfg, want)
	}
	if got := strings.TrimSpace(out["config/certs/server.key"]); got != pem("PRIVATE KEY") {
		t.Errorf("server.key = %q", got)
	}
	for _, script := range []string{"bin/ctl", "bin/pre-start"} {
		if err := exec.Command("bash", "-n", writeTemp(t, out[script])).Run(); err != nil {
			t.Errorf("%s is not valid bash: %v\n%s", script, err, out[script])
		}
	}
}

func TestAgentCarriesCustomProperties(t *testing.T) {
	props := map[string]any{
		"sequester_agent": map[string]any{"port": 9443, "listen_address": "10.0.16.12", "log_level": "debug",
			"tls": agentTLS()["tls"]},
		"runc":         map[string]any{"root": "/run/runc"},
		"bbs":          map[string]any{"url": "", "replacement_timeout": 30},
		"investigator": map[string]any{"user": "sre", "public_keys": []string{"ssh-ed25519 AAAAC3 sre@jumpbox"}, "sudo": true, "source_cidrs": []string{"10.0.0.5/32"}},
		"bosh_agent":   map[string]any{"stop": false, "supervisor": "systemd"},
		"prune":        map[string]any{"workers": 4},
		"isolation":    map[string]any{"freeze": true, "block_egress": true},
	}
	out := mustRender(t, "sequester-agent", props)
	var cfg config.Agent
	if err := json.Unmarshal([]byte(out["config/agent.json"]), &cfg); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"listen address joins address and port", cfg.ListenAddress, "10.0.16.12:9443"},
		{"log level", cfg.LogLevel, "debug"},
		{"plain runc root", cfg.Runc.Root, "/run/runc"},
		{"empty bbs url disables the wait", cfg.BBS.URL, ""},
		{"replacement timeout", cfg.BBS.ReplacementTimeoutSeconds, 30},
		{"investigator user", cfg.SSH.User, "sre"},
		{"investigator keys", cfg.SSH.PublicKeys, []string{"ssh-ed25519 AAAAC3 sre@jumpbox"}},
		{"investigator sudo", cfg.SSH.Sudo, true},
		{"investigator sources", cfg.SSH.SourceCIDRs, []string{"10.0.0.5/32"}},
		{"bosh agent kept running", cfg.BoshAgent.Stop, false},
		{"systemd supervisor", cfg.BoshAgent.Supervisor, "systemd"},
		{"prune workers", cfg.Prune.Workers, 4},
		{"freeze", cfg.Isolation.Freeze, true},
		{"block egress", cfg.Isolation.BlockEgress, true},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	if !strings.Contains(out["bin/pre-start"], "ssh-ed25519 AAAAC3 sre@jumpbox") {
		t.Errorf("pre-start does not carry the key:\n%s", out["bin/pre-start"])
	}
}

func TestAgentRefusesBadProperties(t *testing.T) {
	tls := agentTLS()["tls"].(map[string]any)
	without := func(key string) map[string]any {
		m := map[string]any{}
		for k, v := range tls {
			if k != key {
				m[k] = v
			}
		}
		return m
	}
	emptied := func(key string) map[string]any {
		m := without(key)
		m[key] = " "
		return m
	}
	cases := []struct {
		name  string
		props map[string]any
		want  string
	}{
		{"missing CA names the property", map[string]any{"sequester_agent": map[string]any{"tls": without("ca")}}, "sequester_agent.tls.ca"},
		{"empty certificate is refused", map[string]any{"sequester_agent": map[string]any{"tls": emptied("certificate")}}, "sequester_agent.tls.certificate is empty"},
		{"unknown supervisor", map[string]any{"sequester_agent": agentTLS(), "bosh_agent": map[string]any{"supervisor": "upstart"}}, "bosh_agent.supervisor must be auto, runit or systemd"},
		{"unknown log level", map[string]any{"sequester_agent": map[string]any{"tls": tls, "log_level": "verbose"}}, "log_level must be debug, info, error or fatal"},
		{"account name with a slash", map[string]any{"sequester_agent": agentTLS(), "investigator": map[string]any{"user": "../root"}}, "is not a valid account name"},
		{"key spanning two lines", map[string]any{"sequester_agent": agentTLS(), "investigator": map[string]any{"public_keys": []string{"ssh-rsa AAAA\nssh-rsa BBBB"}}}, "must be one authorized_keys line"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			props := c.props
			if props["sequester_agent"] == nil {
				props["sequester_agent"] = agentTLS()
			}
			_, err := render(t, "sequester-agent", props)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func errandProps() map[string]any {
	return map[string]any{
		"director": map[string]any{"url": "https://10.0.0.6:25555", "ca_cert": pem("CERTIFICATE"), "client": "sequester", "client_secret": "s3cret"},
		"target":   map[string]any{"deployment": "cf", "instance": "diego-cell/" + cellID},
		"agent":    agentTLS(),
	}
}

func TestErrandRendersWithDefaults(t *testing.T) {
	out := mustRender(t, "sequester-cell", errandProps())
	var cfg config.Errand
	if err := json.Unmarshal([]byte(out["config/errand.json"]), &cfg); err != nil {
		t.Fatalf("errand.json does not parse: %v\n%s", err, out["config/errand.json"])
	}
	certs := "/var/vcap/jobs/sequester-cell/config/certs/"
	want := config.Errand{
		Director:   config.Director{URL: "https://10.0.0.6:25555", CACertFile: certs + "director_ca.pem", Client: "sequester", ClientSecret: "s3cret"},
		Deployment: "cf", Instance: "diego-cell/" + cellID,
		Keep:           config.Keep{Handles: []string{}, AppGUIDs: []string{}, Pids: []int{}},
		MaxSequestered: 2, RecordConfigType: "sequestration",
		Agent: config.ErrandAgent{Port: 8899, ServerName: "sequester-agent.internal", TLS: config.TLS{
			CAFile: certs + "agent_ca.pem", CertFile: certs + "agent_client.crt", KeyFile: certs + "agent_client.key"}},
		UnresponsiveTimeoutSeconds: 300, ResurrectionWaitSeconds: 65,
		ResurrectionMode: "scoped", CellTimeoutSeconds: 900, PollIntervalSeconds: 5, LogLevel: "info",
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("errand.json\n got %+v\nwant %+v", cfg, want)
	}
	if !strings.Contains(out["bin/run"], "sequester errand --config /var/vcap/jobs/sequester-cell/config/errand.json") {
		t.Errorf("bin/run does not run the errand:\n%s", out["bin/run"])
	}
}

func TestErrandCarriesCustomProperties(t *testing.T) {
	props := errandProps()
	// A pid from a -v variable arrives as a string.
	props["keep"] = map[string]any{"handles": []string{"h-1", "h-2"}, "app_guids": []string{"app-1"}, "pids": []any{4242, "77"}, "suspects": true}
	props["reason"] = "processes stuck in D state"
	props["case_id"] = "INC-1234"
	props["max_sequestered"] = 1
	props["freeze"] = true
	props["resurrection_mode"] = "global"
	props["ignore_capacity"] = true
	props["bbs"] = map[string]any{"url": "https://bbs.service.cf.internal:8889", "ca_cert": pem("CERTIFICATE"), "client_cert": pem("CERTIFICATE"), "client_key": pem("PRIVATE KEY")}
	out := mustRender(t, "sequester-cell", props)
	var cfg config.Errand
	if err := json.Unmarshal([]byte(out["config/errand.json"]), &cfg); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Keep, config.Keep{Handles: []string{"h-1", "h-2"}, AppGUIDs: []string{"app-1"}, Pids: []int{4242, 77}, Suspects: true}) {
		t.Errorf("keep = %+v", cfg.Keep)
	}
	if cfg.Reason != "processes stuck in D state" || cfg.CaseID != "INC-1234" || cfg.MaxSequestered != 1 || !cfg.Freeze || cfg.ResurrectionMode != "global" || !cfg.IgnoreCapacity {
		t.Errorf("reason/case/limits not carried: %+v", cfg)
	}
	if cfg.BBS.URL == "" || cfg.BBS.CAFile != "/var/vcap/jobs/sequester-cell/config/certs/bbs_ca.pem" {
		t.Errorf("bbs = %+v", cfg.BBS)
	}
	if strings.TrimSpace(out["config/certs/bbs_client.key"]) != pem("PRIVATE KEY") {
		t.Errorf("bbs client key not rendered")
	}
}

func TestErrandRefusesBadProperties(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(map[string]any)
		want   string
	}{
		{"missing director url names the property", func(p map[string]any) { delete(p["director"].(map[string]any), "url") }, "director.url"},
		{"empty client secret", func(p map[string]any) { p["director"].(map[string]any)["client_secret"] = "" }, "director.client_secret is empty"},
		{"instance by index instead of id", func(p map[string]any) { p["target"].(map[string]any)["instance"] = "diego-cell/0" }, "must be GROUP/ID"},
		{"instance without group", func(p map[string]any) { p["target"].(map[string]any)["instance"] = cellID }, "must be GROUP/ID"},
		{"keep none with handles", func(p map[string]any) {
			p["keep"] = map[string]any{"none": true, "handles": []string{"h-1"}}
		}, "keep.none contradicts"},
		{"keep none with a pid", func(p map[string]any) {
			p["keep"] = map[string]any{"none": true, "pids": []int{4242}}
		}, "keep.none contradicts"},
		{"a pid that is not a process id", func(p map[string]any) {
			p["keep"] = map[string]any{"pids": []any{"0"}}
		}, `keep.pids holds "0", not a process id`},
		{"a negative pid", func(p map[string]any) {
			p["keep"] = map[string]any{"pids": []any{-3}}
		}, "keep.pids holds -3, not a process id"},
		{"unknown resurrection mode", func(p map[string]any) { p["resurrection_mode"] = "per-instance" }, "resurrection_mode must be scoped or global"},
		{"unknown log level", func(p map[string]any) { p["log_level"] = "trace" }, "log_level must be debug, info, error or fatal"},
		{"bbs url without certificates", func(p map[string]any) { p["bbs"] = map[string]any{"url": "https://bbs:8889"} }, "bbs.url is set"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			props := errandProps()
			c.mutate(props)
			_, err := render(t, "sequester-cell", props)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "script")
	if err := writeFile(p, content, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

var updateReadme = flag.Bool("update", false, "rewrite README.md's property reference from the job specs")

// The README's property reference is generated from the specs, so it can
// never drift from them: run `go test ./internal/releasetests -run Readme
// -update` after changing a spec.
func TestReadmePropertyReferenceMatchesTheSpecs(t *testing.T) {
	path := filepath.Join(repoRoot(t), "README.md")
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const heading = "## Property reference\n"
	i := strings.Index(string(readme), heading)
	if i < 0 {
		t.Fatalf("README.md has no %q section", strings.TrimSpace(heading))
	}
	head := string(readme[:i+len(heading)])
	want := head + "\nEvery property, with its default; the job specs under `jobs/` are the source.\n\n"
	for _, name := range []string{"sequester-agent", "sequester-cell"} {
		j, err := jobrender.Load(repoRoot(t), name)
		if err != nil {
			t.Fatal(err)
		}
		want += propertyTable(t, j)
	}
	want = strings.TrimRight(want, "\n") + "\n"
	if *updateReadme {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if string(readme) != want {
		t.Errorf("README.md's property reference differs from the job specs; run: go test ./internal/releasetests -run Readme -update")
	}
}

// propertyTable renders one job's properties in spec order.
func propertyTable(t *testing.T, j jobrender.Job) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(j.Dir, "spec"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Properties yaml.Node `yaml:"properties"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "### `%s`\n\n| property | default | description |\n|---|---|---|\n", j.Spec.Name)
	for k := 0; k+1 < len(doc.Properties.Content); k += 2 {
		name := doc.Properties.Content[k].Value
		p := j.Spec.Properties[name]
		def := "**required**"
		if hasDefault(doc.Properties.Content[k+1]) {
			def = defaultCell(p.Default)
		}
		desc := strings.ReplaceAll(strings.Join(strings.Fields(p.Description), " "), "|", "\\|")
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", name, def, desc)
	}
	b.WriteString("\n")
	return b.String()
}

func hasDefault(n *yaml.Node) bool {
	for k := 0; k+1 < len(n.Content); k += 2 {
		if n.Content[k].Value == "default" {
			return true
		}
	}
	return false
}

func defaultCell(v any) string {
	switch d := v.(type) {
	case nil:
		return "`null`"
	case []any:
		if len(d) == 0 {
			return "`[]`"
		}
		return "see spec"
	case string:
		if d == "" {
			return "`\"\"`"
		}
		return "`" + d + "`"
	default:
		return fmt.Sprintf("`%v`", d)
	}
}
