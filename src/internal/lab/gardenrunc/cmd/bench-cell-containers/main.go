// Command bench-cell-containers measures the container half of the agent
// against what operators ran by hand, side by side in one run, on real
// runc containers:
//
//   - prune: our prune (through garden's API and through the runc
//     fallback, bounded worker pool) against
//     `ls depot | grep -v KEEP | xargs -n1 runc delete --force`;
//   - D-state scan: one dstate.Scanner poll reading /proc/<pid>/stat
//     against spawning `ps axho pid,state,comm` and parsing it, over at
//     least -procs processes;
//   - the CPU share of polling steadily at the default interval.
//
// It prints a table of ratios (or JSON with -json). It needs root, runc
// and busybox-static, and removes every container and process it made.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/dstate"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/prune"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
)

// Row is one line of the report.
type Row struct {
	Bench    string                  `json:"bench"`
	Ours     string                  `json:"ours"`
	Baseline string                  `json:"baseline,omitempty"`
	Ratio    float64                 `json:"ratio,omitempty"`
	Goal     float64                 `json:"goal,omitempty"`
	Met      *bool                   `json:"met,omitempty"`
	Stats    *agentapi.DurationStats `json:"stats,omitempty"`
	Note     string                  `json:"note,omitempty"`
}

func main() {
	var (
		n        = flag.Int("containers", 200, "containers to prune per contender")
		workers  = flag.Int("workers", prune.DefaultWorkers, "prune workers")
		procs    = flag.Int("procs", 2000, "minimum processes on the machine during the D-state scan")
		polls    = flag.Int("polls", 20, "scans per contender")
		steady   = flag.Duration("steady", 20*time.Second, "how long to poll at the default interval for the CPU share (0 skips)")
		interval = flag.Duration("interval", dstate.DefaultPollInterval, "the steady polling interval")
		asJSON   = flag.Bool("json", false, "print JSON instead of a table")
		only     = flag.String("only", "", "run only prune or dstate")
	)
	flag.Parse()
	if err := gardenrunc.Available(); err != nil {
		fmt.Fprintf(os.Stderr, "bench-cell-containers: %v\n", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var rows []Row
	if *only == "" || *only == "prune" {
		r, err := benchPrune(ctx, *n, *workers)
		if err != nil {
			fail(err)
		}
		rows = append(rows, r...)
	}
	if *only == "" || *only == "dstate" {
		r, err := benchDState(ctx, *procs, *polls, *steady, *interval)
		if err != nil {
			fail(err)
		}
		rows = append(rows, r...)
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rows)
	} else {
		printTable(rows)
	}
	for _, r := range rows {
		if r.Met != nil && !*r.Met {
			os.Exit(1)
		}
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "bench-cell-containers: %v\n", err)
	os.Exit(1)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "# "+format+"\n", args...)
}

// fleet is a garden fixture with n containers to prune and one to keep,
// whose handle carries KEEP for the baseline's grep.
func fleet(n int) (*gardenrunc.Fixture, []string, string, error) {
	f, err := gardenrunc.New("", gardenrunc.Options{})
	if err != nil {
		return nil, nil, "", err
	}
	start := time.Now()
	keep := "KEEP-" + gardenrunc.NewGUID()
	if _, err := f.Create(gardenrunc.Spec{Handle: keep, AppGUID: "kept-app"}); err != nil {
		f.Close()
		return nil, nil, "", err
	}
	hs, err := f.CreateN(n, gardenrunc.Spec{AppGUID: "app"})
	if err != nil {
		f.Close()
		return nil, nil, "", err
	}
	logf("created %d runc containers in %s", n+1, time.Since(start).Round(time.Millisecond))
	return f, hs, keep, nil
}

func benchPrune(ctx context.Context, n, workers int) ([]Row, error) {
	logger := lager.NewLogger("bench")

	// Baseline: what operators ran by hand, one runc delete at a time.
	f, _, keep, err := fleet(n)
	if err != nil {
		return nil, err
	}
	script := fmt.Sprintf("cd %q && ls | grep -v KEEP | xargs -n1 runc --root %q delete --force", f.DepotPath(), f.RuncRoot())
	start := time.Now()
	out, err := exec.CommandContext(ctx, "bash", "-c", script).CombinedOutput()
	baseline := time.Since(start)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("baseline: %v: %s", err, out)
	}
	if err := checkOnlyKept(f, keep); err != nil {
		f.Close()
		return nil, fmt.Errorf("baseline: %w", err)
	}
	f.Close()
	logf("baseline xargs runc delete --force: %s", baseline.Round(time.Millisecond))

	var rows []Row
	for _, via := range []string{containers.BackendGarden, containers.BackendRunc} {
		f, hs, keep, err := fleet(n)
		if err != nil {
			return nil, err
		}
		var b containers.Backend
		if via == containers.BackendGarden {
			b = containers.NewGarden(logger, containers.GardenConfig{Socket: f.Socket()})
		} else {
			b = containers.NewRunc(logger, containers.RuncConfig{Root: f.RuncRoot(), DepotPath: f.DepotPath()})
		}
		start := time.Now()
		res := prune.Run(ctx, logger, b, hs, prune.Options{Workers: workers, Keep: []string{keep}})
		ours := time.Since(start)
		err = checkOnlyKept(f, keep)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("prune via %s: %w", via, err)
		}
		if len(res.Failures) > 0 || len(res.KeptProblems) > 0 || len(res.Pruned) != n {
			return nil, fmt.Errorf("prune via %s: pruned %d of %d, failures %v, kept problems %v", via, len(res.Pruned), n, res.Failures, res.KeptProblems)
		}
		logf("prune via %s: %s", via, ours.Round(time.Millisecond))
		ratio := baseline.Seconds() / ours.Seconds()
		met := ratio >= 8
		stats := res.Durations
		rows = append(rows, Row{
			Bench:    fmt.Sprintf("prune %d containers via %s (%d workers)", n, via, workers),
			Ours:     ours.Round(time.Millisecond).String(),
			Baseline: baseline.Round(time.Millisecond).String(),
			Ratio:    ratio, Goal: 8, Met: &met, Stats: &stats,
			Note: fmt.Sprintf("per destroy: count %d, p99 %.3fs, max %.3fs", stats.Count, stats.P99Seconds, stats.MaxSeconds),
		})
	}
	return rows, nil
}

// checkOnlyKept makes sure a contender did the whole job: only the kept
// container is left, and it runs.
func checkOnlyKept(f *gardenrunc.Fixture, keep string) error {
	out, err := f.Runc("list", "-q")
	if err != nil {
		return err
	}
	left := strings.Fields(string(out))
	if len(left) != 1 || left[0] != keep {
		return fmt.Errorf("left behind %d containers (%v), want only %s", len(left), head(left, 5), keep)
	}
	st, err := f.Runc("state", "--", keep)
	if err != nil || !bytes.Contains(st, []byte(`"running"`)) {
		return fmt.Errorf("kept container not running: %s %v", st, err)
	}
	return nil
}

func head(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func benchDState(ctx context.Context, minProcs, polls int, steady, interval time.Duration) ([]Row, error) {
	// Two paused containers give the scan real D-state processes.
	f, err := gardenrunc.New("", gardenrunc.Options{})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	hs, err := f.CreateN(2, gardenrunc.Spec{AppGUID: "frozen-app"})
	if err != nil {
		return nil, err
	}
	for _, h := range hs {
		if err := f.Pause(h); err != nil {
			return nil, err
		}
	}
	stopProcs, err := spawnSleepers(ctx, minProcs, f.RootfsPath())
	defer stopProcs()
	if err != nil {
		return nil, err
	}
	pids, _ := containers.ListPids("/proc")
	logf("%d processes on the machine for the scan", len(pids))

	scanner := dstate.New(lager.NewLogger("bench"), dstate.Config{})
	var ours, theirs []time.Duration
	var oursD, theirsD int
	// Interleave the contenders so machine noise hits both alike.
	for i := 0; i < polls; i++ {
		start := time.Now()
		r, err := scanner.Poll()
		if err != nil {
			return nil, err
		}
		ours = append(ours, time.Since(start))
		oursD = len(r.D)
		start = time.Now()
		d, err := psScan(ctx)
		if err != nil {
			return nil, err
		}
		theirs = append(theirs, time.Since(start))
		theirsD = d
	}
	if oursD < 2 || theirsD < 2 {
		return nil, fmt.Errorf("the scans saw %d and %d processes in D, want the 2 paused ones at least", oursD, theirsD)
	}
	mo, mt := median(ours), median(theirs)
	ratio := mt.Seconds() / mo.Seconds()
	met := ratio >= 4
	so := containers.SummarizeDurations(ours)
	rows := []Row{{
		Bench:    fmt.Sprintf("D-state scan of %d processes (median of %d polls)", len(pids), polls),
		Ours:     mo.Round(10 * time.Microsecond).String(),
		Baseline: mt.Round(10 * time.Microsecond).String(),
		Ratio:    ratio, Goal: 4, Met: &met, Stats: &so,
		Note: fmt.Sprintf("ours p99 %.1fms max %.1fms; ps p99 %.1fms; both saw %d in D", so.P99Seconds*1000, so.MaxSeconds*1000, containers.SummarizeDurations(theirs).P99Seconds*1000, oursD),
	}}

	// CPU per poll from rusage over back-to-back polls, then a real
	// steady run at the interval.
	cpu0 := cpuTime()
	for i := 0; i < polls; i++ {
		if _, err := scanner.Poll(); err != nil {
			return nil, err
		}
	}
	perPoll := (cpuTime() - cpu0) / time.Duration(polls)
	rows = append(rows, Row{
		Bench: fmt.Sprintf("CPU per poll, %d processes", len(pids)),
		Ours:  perPoll.Round(10 * time.Microsecond).String(),
		Note:  fmt.Sprintf("%.3f%% of one core at one poll per %s", 100*perPoll.Seconds()/interval.Seconds(), interval),
	})
	if steady > 0 {
		sctx, cancel := context.WithTimeout(ctx, steady)
		cpu0 := cpuTime()
		start := time.Now()
		scanner.Run(sctx, interval)
		cancel()
		used := cpuTime() - cpu0
		wall := time.Since(start)
		rows = append(rows, Row{
			Bench: fmt.Sprintf("steady polling every %s for %s", interval, steady),
			Ours:  fmt.Sprintf("%.3f%% of one core", 100*used.Seconds()/wall.Seconds()),
			Note:  fmt.Sprintf("%s CPU in %s wall, measured with getrusage", used.Round(10*time.Microsecond), wall.Round(time.Millisecond)),
		})
	}
	return rows, nil
}

// psScan is the old diagnostics' poll: spawn ps and pick out state D.
func psScan(ctx context.Context) (int, error) {
	out, err := exec.CommandContext(ctx, "ps", "axho", "pid,state,comm").Output()
	if err != nil {
		return 0, err
	}
	d := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[1] == "D" {
			d++
		}
	}
	return d, nil
}

// spawnSleepers starts busybox sleeps until the machine has at least min
// processes; the returned func kills them.
func spawnSleepers(ctx context.Context, min int, rootfs string) (func(), error) {
	var cmds []*exec.Cmd
	stop := func() {
		for _, c := range cmds {
			_ = c.Process.Kill()
		}
		for _, c := range cmds {
			_ = c.Wait()
		}
	}
	bb := filepath.Join(rootfs, "bin", "busybox")
	// Count again after each batch: processes come and go meanwhile.
	for {
		pids, err := containers.ListPids("/proc")
		if err != nil {
			return stop, err
		}
		if len(pids) >= min {
			break
		}
		for i := len(pids); i < min+16; i++ {
			if ctx.Err() != nil {
				return stop, ctx.Err()
			}
			c := exec.Command(bb, "sleep", "600")
			c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
			if err := c.Start(); err != nil {
				return stop, fmt.Errorf("start sleeper %d: %w", len(cmds), err)
			}
			cmds = append(cmds, c)
		}
	}
	return stop, nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func printTable(rows []Row) {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "bench\tours\tbaseline\tratio\tgoal\tnote")
	for _, r := range rows {
		ratio, goal := "", ""
		if r.Ratio > 0 {
			ratio = fmt.Sprintf("%.1fx", r.Ratio)
		}
		if r.Goal > 0 {
			mark := "met"
			if r.Met != nil && !*r.Met {
				mark = "MISSED"
			}
			goal = fmt.Sprintf(">=%.0fx %s", r.Goal, mark)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Bench, r.Ours, r.Baseline, ratio, goal, r.Note)
	}
	w.Flush()
}
