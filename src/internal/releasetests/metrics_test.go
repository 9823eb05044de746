package releasetests

import (
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// promScraperConfig is the file's format as prom_scraper reads it
// [loggregator-agent-release: src/pkg/scraper/config_provider.go]: port is
// a string it parses as an integer and skips the file when that fails.
type promScraperConfig struct {
	Port       string `yaml:"port"`
	SourceID   string `yaml:"source_id"`
	InstanceID string `yaml:"instance_id"`
	Scheme     string `yaml:"scheme"`
	ServerName string `yaml:"server_name"`
	Path       string `yaml:"path"`
}

func scraperConfig(t *testing.T, out map[string]string) (promScraperConfig, bool) {
	t.Helper()
	raw, ok := out["config/prom_scraper_config.yml"]
	if !ok {
		t.Fatal("the job renders no config/prom_scraper_config.yml")
	}
	var c promScraperConfig
	if err := yaml.Unmarshal([]byte(raw), &c); err != nil {
		t.Fatalf("prom_scraper_config.yml is not YAML: %v\n%s", err, raw)
	}
	port, err := strconv.Atoi(c.Port)
	return c, err == nil && port > 0 && port <= 65535
}

func TestPromScraperConfigNamesTheMetricsEndpoint(t *testing.T) {
	cases := []struct {
		name    string
		metrics map[string]any
		want    promScraperConfig
	}{
		{"defaults", metricsTLS(), promScraperConfig{Port: "8898", SourceID: "sequester-agent", InstanceID: cellID, Scheme: "https", ServerName: "sequester-agent-metrics", Path: "/metrics"}},
		{"own port and server name", map[string]any{"port": 9101, "server_name": "agent-metrics.cell.internal", "tls": metricsTLS()["tls"]},
			promScraperConfig{Port: "9101", SourceID: "sequester-agent", InstanceID: cellID, Scheme: "https", ServerName: "agent-metrics.cell.internal", Path: "/metrics"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := mustRender(t, "sequester-agent", map[string]any{"sequester_agent": agentTLS(), "metrics": c.metrics})
			got, valid := scraperConfig(t, out)
			if !valid || got != c.want {
				t.Fatalf("prom_scraper_config.yml = %+v (port valid %v), want %+v", got, valid, c.want)
			}
			if !strings.Contains(out["config/certs/metrics-ca.pem"], "metricScraperCA") {
				t.Errorf("metrics-ca.pem = %q, want the metric scraper CA", out["config/certs/metrics-ca.pem"])
			}
		})
	}
}

// Off is off: no port for the scraper (it skips such a file), no
// certificates, and the agent is told so; never a plaintext endpoint.
func TestMetricsOffRendersNoScrapeTarget(t *testing.T) {
	out := mustRender(t, "sequester-agent", map[string]any{"sequester_agent": agentTLS(), "metrics": map[string]any{"enabled": false}})
	if c, valid := scraperConfig(t, out); valid {
		t.Fatalf("metrics off still gives the scraper a port: %+v", c)
	}
	for _, f := range []string{"config/certs/metrics-ca.pem", "config/certs/metrics.crt", "config/certs/metrics.key"} {
		if strings.TrimSpace(out[f]) != "" {
			t.Errorf("%s = %q with metrics off", f, out[f])
		}
	}
	if !strings.Contains(out["config/agent.json"], `"metrics":{"enabled":false`) {
		t.Errorf("agent.json does not turn metrics off: %s", out["config/agent.json"])
	}
}

func TestAgentRefusesUnsafeMetricsProperties(t *testing.T) {
	tls := func(overrides map[string]any) map[string]any {
		m := map[string]any{}
		for k, v := range metricsTLS()["tls"].(map[string]any) {
			m[k] = v
		}
		for k, v := range overrides {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name    string
		metrics map[string]any
		want    string
	}{
		{"no scraper CA", map[string]any{"tls": tls(map[string]any{"ca": ""})}, "metrics.tls.ca is empty"},
		{"no certificate", map[string]any{"tls": tls(map[string]any{"certificate": " "})}, "metrics.tls.certificate is empty"},
		{"the API's CA would let scrapers sequester", map[string]any{"tls": tls(map[string]any{"ca": pem("CERTIFICATE")})}, "metrics.tls.ca is the API's CA"},
		{"the API's port", map[string]any{"port": 8899, "tls": tls(nil)}, "needs a port of its own"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := render(t, "sequester-agent", map[string]any{"sequester_agent": agentTLS(), "metrics": c.metrics})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
	_, err := render(t, "sequester-agent", map[string]any{"sequester_agent": agentTLS(), "first_responder": map[string]any{"max_per_hour": 0}})
	if err == nil || !strings.Contains(err.Error(), "first_responder.max_per_hour must be a positive integer") {
		t.Fatalf("max_per_hour 0: got %v", err)
	}
}
