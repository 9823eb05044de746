package director_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// BenchmarkSequestration runs one sequestration against the simulator with
// instant tasks and reports what it costs the director and what the command
// itself adds: director requests and tasks by kind per run, and the wall
// time beyond the director's task time and the configured wait for the
// health monitor's re-read (the overhead goal is under 2 s). scripts/bench
// runs it as
//
//	go test -run '^$' -bench Sequestration -benchtime 5x ./internal/director/
func BenchmarkSequestration(b *testing.B) {
	var requests, overhead, taskSeconds float64
	kinds := map[string]int{}
	byEndpoint := map[string]int{}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		l := newLab(b, time.Millisecond)
		f := l.flow("diego-cell/"+l.target().ID, keepSuspects())
		f.Opts.ResurrectionWait = time.Millisecond
		l.sim.ResetStats()
		b.StartTimer()
		start := time.Now()
		rep, err := f.Run(withDeadline(b))
		wall := time.Since(start)
		b.StopTimer()
		if err != nil {
			b.Fatalf("run: %v (%+v)", err, rep)
		}
		var taskTime time.Duration
		for _, tk := range l.sim.Tasks() {
			if !tk.CreatedAt.Before(start) {
				taskTime += tk.FinishedAt.Sub(tk.CreatedAt)
			}
		}
		for k, n := range l.sim.TaskCounts() {
			kinds[k] += n
		}
		reqs := l.sim.Requests()
		requests += float64(len(reqs))
		for _, r := range reqs {
			byEndpoint[r.Method+" "+endpointPattern(r.Path)]++
		}
		taskSeconds += taskTime.Seconds()
		overhead += (wall - taskTime - f.Opts.ResurrectionWait).Seconds()
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(requests/n, "requests/op")
	b.ReportMetric(taskSeconds/n, "task-s/op")
	b.ReportMetric(overhead/n, "overhead-s/op")
	var lines []string
	for k, v := range kinds {
		b.ReportMetric(float64(v)/n, "tasks-"+strings.ReplaceAll(k, "_", "-")+"/op")
		lines = append(lines, fmt.Sprintf("task %-20s %5.1f", k, float64(v)/n))
	}
	for k, v := range byEndpoint {
		lines = append(lines, fmt.Sprintf("request %-35s %5.1f", k, float64(v)/n))
	}
	sort.Strings(lines)
	b.Logf("per sequestration:\n  %s", strings.Join(lines, "\n  "))
}
