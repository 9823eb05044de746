package metrics_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/dstate"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/metrics"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/jobrender"
)

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// exercised returns metrics with every family populated: a poll that
// made a suspect, a hung-task report, a bundle, a destroy, a finished step.
func exercised(t *testing.T) (*metrics.Metrics, *clock) {
	t.Helper()
	clk := &clock{now: time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)}
	started, finished := clk.now.Add(-3*time.Second), clk.now
	report := dstate.Report{
		At: clk.now, Scanned: 2100, Took: 30 * time.Millisecond,
		D: []agentapi.DProcess{
			{Pid: 11, Container: "h-1", Seconds: 200},
			{Pid: 12, Container: "h-1", Seconds: 40},
			{Pid: 13, Container: "", Seconds: 5},
			{Pid: 14, Container: "h-frozen"},
		},
		Suspects: []string{"h-1"}, NewSuspects: []string{"h-1"}, Frozen: []string{"h-frozen"},
	}
	status := agentapi.Status{OperationID: "op-1", Phase: agentapi.PhaseRunning, Steps: []agentapi.Step{
		{Name: agentapi.StepWithdrawRoutes, State: agentapi.StepDone, StartedAt: &started, FinishedAt: &finished},
		{Name: agentapi.StepStopRep, State: agentapi.StepRunning, StartedAt: &finished},
	}}
	m := metrics.New(metrics.Sources{
		DState: func() dstate.Report { return report },
		Status: func() agentapi.Status { return status },
		AppOf:  func(h string) string { return map[string]string{"h-1": "app-1"}[h] },
		Now:    clk.Now,
	})
	m.Polled(report)
	m.Polled(report) // a step is observed once, however often it is seen
	m.Episode("h-1", "app-1")
	m.Episode("h-1", "app-1")
	m.HungTask("h-1", "app-1")
	m.HungTask("", "")
	m.Bundle(metrics.BundleCaptured)
	m.ObserveDestroy(1500 * time.Millisecond)
	return m, clk
}

func TestGaugesAndCountersReadTheWatch(t *testing.T) {
	m, _ := exercised(t)
	expected := `
# HELP sequester_agent_dstate_threads Threads in D state now, counted per thread (frozen by the agent itself left out).
# TYPE sequester_agent_dstate_threads gauge
sequester_agent_dstate_threads 3
# HELP sequester_agent_dstate_threads_frozen_by_agent Threads in D state now because the agent froze their kept container.
# TYPE sequester_agent_dstate_threads_frozen_by_agent gauge
sequester_agent_dstate_threads_frozen_by_agent 1
# HELP sequester_agent_dstate_oldest_seconds How long the longest-stuck thread has been in D state.
# TYPE sequester_agent_dstate_oldest_seconds gauge
sequester_agent_dstate_oldest_seconds 200
# HELP sequester_agent_suspect_dstate_seconds Per suspect container: how long its longest-stuck thread has been in D state.
# TYPE sequester_agent_suspect_dstate_seconds gauge
sequester_agent_suspect_dstate_seconds{app="app-1",container="h-1"} 200
# HELP sequester_agent_dstate_episodes_total Suspect episodes: a container's thread stayed in D state past suspect_after (one per episode).
# TYPE sequester_agent_dstate_episodes_total counter
sequester_agent_dstate_episodes_total{app="app-1",container="h-1"} 2
# HELP sequester_agent_hung_task_reports_total The kernel's hung-task reports ("blocked for more than N seconds" in /dev/kmsg), by the task's container (host outside any).
# TYPE sequester_agent_hung_task_reports_total counter
sequester_agent_hung_task_reports_total{app="",container="host"} 1
sequester_agent_hung_task_reports_total{app="app-1",container="h-1"} 1
# HELP sequester_agent_step_duration_seconds_count x
# HELP sequester_agent_step_duration_max_seconds Longest run of each step in the last hour.
# TYPE sequester_agent_step_duration_max_seconds gauge
sequester_agent_step_duration_max_seconds{step="withdraw-routes"} 3
# HELP sequester_agent_container_destroy_duration_max_seconds Longest container destroy in the last hour.
# TYPE sequester_agent_container_destroy_duration_max_seconds gauge
sequester_agent_container_destroy_duration_max_seconds 1.5
`
	// HELP lines of families not compared are dropped by the names list.
	expected = strings.ReplaceAll(expected, "# HELP sequester_agent_step_duration_seconds_count x\n", "")
	names := []string{"sequester_agent_dstate_threads", "sequester_agent_dstate_threads_frozen_by_agent", "sequester_agent_dstate_oldest_seconds",
		"sequester_agent_suspect_dstate_seconds", "sequester_agent_dstate_episodes_total", "sequester_agent_hung_task_reports_total",
		"sequester_agent_step_duration_max_seconds", "sequester_agent_container_destroy_duration_max_seconds"}
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(expected), names...); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(m.Registry(), "sequester_agent_step_duration_seconds"); n != 1 {
		t.Fatalf("step duration series = %d, want 1 (the finished step, once)", n)
	}
	phase := `
# HELP sequester_agent_sequestration_phase 1 for the sequestration phase the cell is in (idle, running, done, failed), 0 for the others.
# TYPE sequester_agent_sequestration_phase gauge
sequester_agent_sequestration_phase{phase="done"} 0
sequester_agent_sequestration_phase{phase="failed"} 0
sequester_agent_sequestration_phase{phase="idle"} 0
sequester_agent_sequestration_phase{phase="running"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(phase), "sequester_agent_sequestration_phase"); err != nil {
		t.Fatal(err)
	}
}

func TestContainerLabelsAreBounded(t *testing.T) {
	report := dstate.Report{}
	m := metrics.New(metrics.Sources{DState: func() dstate.Report { return report }})
	for i := 0; i < metrics.MaxContainerSeries+50; i++ {
		m.HungTask(fmt.Sprintf("h-%d", i), "app")
	}
	n := testutil.CollectAndCount(m.Registry(), "sequester_agent_hung_task_reports_total")
	if n != metrics.MaxContainerSeries+1 {
		t.Fatalf("series = %d, want %d containers and one \"other\"", n, metrics.MaxContainerSeries+1)
	}
}

func TestMaxGaugesForgetWhatIsOlderThanTheWindow(t *testing.T) {
	m, clk := exercised(t)
	clk.now = clk.now.Add(metrics.MaxWindow + 2*time.Minute)
	m.ObserveDestroy(200 * time.Millisecond)
	if got := gaugeOf(t, m, "sequester_agent_container_destroy_duration_max_seconds"); got != 0.2 {
		t.Fatalf("max after the window = %v, want 0.2 (the 1.5 s destroy is over an hour old)", got)
	}
}

// gaugeOf reads an unlabelled gauge as a scrape would.
func gaugeOf(t *testing.T, m *metrics.Metrics, name string) float64 {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == name && len(f.GetMetric()) == 1 {
			return f.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// The README's metrics table is what the registry serves: every name,
// type and label set, in both directions.
func TestReadmeDocumentsEveryMetric(t *testing.T) {
	root, err := jobrender.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(b), "<!-- metrics-table:begin -->")
	table, _, ok2 := strings.Cut(table, "<!-- metrics-table:end -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no metrics table between its markers")
	}
	row := regexp.MustCompile("^\\| `([a-z_]+)` \\| ([a-z]+) \\|([a-z, ]*)\\|")
	documented := map[string]string{}
	for _, line := range strings.Split(table, "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			documented[m[1]] = m[2] + " [" + strings.ReplaceAll(strings.TrimSpace(m[3]), " ", "") + "]"
		}
	}
	m, _ := exercised(t)
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]string{}
	for _, f := range fams {
		var labels []string
		if len(f.GetMetric()) > 0 {
			for _, l := range f.GetMetric()[0].GetLabel() {
				labels = append(labels, l.GetName())
			}
		}
		sort.Strings(labels)
		served[f.GetName()] = strings.ToLower(f.GetType().String()) + " [" + strings.Join(labels, ",") + "]"
	}
	for name, want := range served {
		if got, ok := documented[name]; !ok {
			t.Errorf("%s (%s) is served but not in the README table", name, want)
		} else if sortedLabels(got) != want {
			t.Errorf("%s: README says %s, served %s", name, got, want)
		}
	}
	for name := range documented {
		if _, ok := served[name]; !ok {
			t.Errorf("%s is in the README table but not served", name)
		}
	}
}

// sortedLabels sorts the label list of "type [a,b]".
func sortedLabels(s string) string {
	typ, rest, _ := strings.Cut(s, " [")
	rest = strings.TrimSuffix(rest, "]")
	var ls []string
	if rest != "" {
		ls = strings.Split(rest, ",")
	}
	sort.Strings(ls)
	return typ + " [" + strings.Join(ls, ",") + "]"
}
