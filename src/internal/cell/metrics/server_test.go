package metrics_test

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi/agentapitest"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/dstate"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/metrics"
)

// The metrics endpoint answers only clients of the scraper's CA: not
// plaintext, not a client without a certificate, not the API's clients.
func TestMetricsEndpointServesOnlyTheScrapersCA(t *testing.T) {
	scraperCA, scraperCAFile := agentapitest.NewCA(t, "metric-scraper-ca")
	apiCA, _ := agentapitest.NewCA(t, "agent-api-ca")
	server := scraperCA.Issue(t, "sequester-agent-metrics")
	cfg, err := agentapi.ServerTLSConfig(scraperCAFile, server.CertFile, server.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New(metrics.Sources{DState: func() dstate.Report { return dstate.Report{At: time.Now(), Scanned: 7} }})
	srv, err := m.Listen(lager.NewLogger("test"), "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	t.Cleanup(func() { srv.Shutdown(context.Background()) })

	get := func(certs []tls.Certificate) (string, error) {
		c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
			RootCAs: scraperCA.Pool(), Certificates: certs, ServerName: "sequester-agent-metrics", MinVersion: tls.VersionTLS12}}}
		resp, err := c.Get("https://" + srv.Addr() + metrics.Path)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	cases := []struct {
		name   string
		certs  []tls.Certificate
		wantOK bool
	}{
		{"the scraper's certificate is served", []tls.Certificate{scraperCA.Issue(t, "prom_scraper").TLSCertificate(t)}, true},
		{"a client without a certificate is refused", nil, false},
		{"the API's client certificate is refused", []tls.Certificate{apiCA.Issue(t, "sequester-errand").TLSCertificate(t)}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, err := get(c.certs)
			if c.wantOK && (err != nil || !strings.Contains(body, "sequester_agent_scanned_processes 7")) {
				t.Fatalf("scrape = %v\n%s", err, body)
			}
			if !c.wantOK && err == nil {
				t.Fatalf("scrape got through:\n%s", body)
			}
		})
	}
	if resp, err := http.Get("http://" + srv.Addr() + metrics.Path); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("plaintext scrape was served")
		}
	}
	if _, err := m.Listen(lager.NewLogger("test"), "127.0.0.1:0", &tls.Config{}); err == nil {
		t.Fatal("Listen without client certificates succeeded")
	}
}
