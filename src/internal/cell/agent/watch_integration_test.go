package agent_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi/agentapitest"
	"github.com/cloudfoundry-community/cell-sequestration/internal/config"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
)

// withWatch turns on the metrics (with a scraper CA of their own) and
// first-responder evidence, with a short suspect threshold, and returns
// a scraper's client.
func (c *cell) withWatch(suspectAfter int) *http.Client {
	c.t.Helper()
	scraperCA, scraperCAFile := agentapitest.NewCA(c.t, "metric-scraper-ca")
	server := scraperCA.Issue(c.t, "sequester-agent-metrics")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(c.t, err)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	c.cfg.Metrics = config.Metrics{Enabled: true, ListenAddress: "127.0.0.1:" + strconv.Itoa(port),
		TLS: config.TLS{CAFile: scraperCAFile, CertFile: server.CertFile, KeyFile: server.KeyFile}}
	c.cfg.FirstResponder = config.FirstResponder{Enabled: true, Dir: filepath.Join(c.dir, "first-responder"), MaxPerHour: 6, MaxTotalBytes: 64 << 20, MaxBundleBytes: 8 << 20}
	c.cfg.DState.SuspectAfterSeconds = suspectAfter
	c.writeConfig()
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: scraperCA.Pool(), Certificates: []tls.Certificate{scraperCA.Issue(c.t, "prom_scraper").TLSCertificate(c.t)}, MinVersion: tls.VersionTLS12}}}
}

func (c *cell) scrape(scraper *http.Client) string {
	c.t.Helper()
	resp, err := scraper.Get("https://" + c.cfg.Metrics.ListenAddress + "/metrics")
	must(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(c.t, err)
	return string(b)
}

// parseable checks the scrape is valid exposition text, as Prometheus
// and prom_scraper parse it.
func parseable(t *testing.T, exposition string) {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(exposition))
	if err != nil {
		t.Fatalf("the scrape does not parse: %v", err)
	}
	if len(fams) == 0 {
		t.Fatal("the scrape holds no metric")
	}
}

func sample(exposition, series string) (float64, bool) {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(exposition)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	return v, err == nil
}

// A real container whose processes are held in D state (its cgroup v1
// freezer frozen by someone other than the agent, with runc pause) shows
// in the metrics with its container and app, in the health figures, and
// gets one first-responder bundle listed in the status; its neighbour
// does not.
func TestStuckContainerShowsInMetricsHealthAndFirstResponder(t *testing.T) {
	c := newCell(t)
	// A poll may come a little early (the scanner allows 50 ms), so the
	// suspect's age is checked against 1.9 s.
	scraper := c.withWatch(2)
	hs := c.create(
		gardenrunc.Spec{AppGUID: "app-stuck", AppVersion: "v1", Index: 4},
		gardenrunc.Spec{AppGUID: "app-fine", AppVersion: "v1", Index: 0},
	)
	stuck, fine := hs[0], hs[1]
	cl := c.startAgent()
	must(t, c.garden.Pause(stuck))
	t.Cleanup(func() { _, _ = c.garden.Runc("resume", stuck) })

	// Other tests on this machine may freeze containers of their own,
	// which the agent rightly sees too: look at ours.
	ours := func(h agentapi.Health) []agentapi.FirstResponderBundle {
		var out []agentapi.FirstResponderBundle
		for _, b := range h.FirstResponder {
			if b.Container == stuck {
				out = append(out, b)
			}
		}
		return out
	}
	var h agentapi.Health
	deadline := time.Now().Add(30 * time.Second)
	for {
		var err error
		h, err = cl.Health(context.Background())
		must(t, err)
		if len(ours(h)) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no first-responder bundle within 30 s; health %+v", h)
		}
		time.Sleep(200 * time.Millisecond)
	}
	var s *agentapi.Suspect
	for i := range h.Suspects {
		if h.Suspects[i].Container == stuck {
			s = &h.Suspects[i]
		}
		if h.Suspects[i].Container == fine {
			t.Fatalf("the running container is a suspect: %+v", h.Suspects)
		}
	}
	if s == nil || s.AppGUID != "app-stuck" || s.Index == nil || *s.Index != 4 || s.DThreads < 1 || s.OldestSeconds < 1.9 {
		t.Fatalf("suspect = %+v in %+v", s, h)
	}
	if h.DThreads < 1 || h.OldestDSeconds < 1.9 || h.Episodes < 1 || h.ScannedAt.IsZero() {
		t.Fatalf("health figures = %+v", h)
	}
	b := ours(h)[0]
	if b.Container != stuck || b.AppGUID != "app-stuck" || b.Bytes == 0 || !strings.HasPrefix(b.Path, c.cfg.FirstResponder.Dir) {
		t.Fatalf("bundle = %+v", b)
	}

	labels := fmt.Sprintf(`{app="app-stuck",container="%s"}`, stuck)
	want := map[string]float64{
		"sequester_agent_suspect_dstate_seconds" + labels:                  1.9,
		"sequester_agent_dstate_episodes_total" + labels:                   1,
		"sequester_agent_dstate_threads":                                   1,
		"sequester_agent_suspect_containers":                               1,
		`sequester_agent_first_responder_bundles_total{result="captured"}`: 1,
		`sequester_agent_sequestration_phase{phase="idle"}`:                1,
		"sequester_agent_scan_duration_seconds_count":                      1,
	}
	// The counters follow the bundle by a moment: scrape until they are in.
	var out string
	var missing []string
	for end := time.Now().Add(5 * time.Second); ; {
		out, missing = c.scrape(scraper), nil
		for series, min := range want {
			if v, ok := sample(out, series); !ok || v < min {
				missing = append(missing, fmt.Sprintf("%s = %v (present %v), want at least %v", series, v, ok, min))
			}
		}
		if len(missing) == 0 || time.Now().After(end) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, m := range missing {
		t.Error(m)
	}
	parseable(t, out)
	if last, ok := sample(out, "sequester_agent_last_scan_timestamp_seconds"); !ok || time.Since(time.Unix(int64(last), 0)) > 10*time.Second {
		t.Errorf("last scan timestamp %v is not recent", last)
	}
	if strings.Contains(out, fine) {
		t.Errorf("the running container %s has series:\n%s", fine, out)
	}
	st, err := cl.Status(context.Background())
	must(t, err)
	listed := false
	for _, sb := range st.FirstResponder {
		listed = listed || sb.Path == b.Path
	}
	if !listed {
		t.Fatalf("status lists bundles %+v, want %s", st.FirstResponder, b.Path)
	}
	// One bundle per episode: polls go on, the episode goes on.
	time.Sleep(2500 * time.Millisecond)
	h2, err := cl.Health(context.Background())
	must(t, err)
	if n := len(ours(h2)); n != 1 {
		t.Fatalf("the same episode made %d bundles", n)
	}
}
