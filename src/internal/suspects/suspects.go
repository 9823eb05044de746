// Package suspects answers "which cell should be sequestered?" for a
// whole deployment: it asks every cell's sequester-agent for its D-state
// figures (bounded concurrency, a deadline per cell), lists a cell whose
// agent does not answer as unreachable instead of dropping it (a cell
// whose own tools hang is itself the signal), and sorts the cells worst
// first with the `sequester plan` command that takes each out.
package suspects

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/sync/errgroup"
	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
)

// Defaults of a fleet query.
const (
	DefaultConcurrency = 16
	DefaultCellTimeout = 5 * time.Second
)

// Instance is a deployment's instance as the director lists it.
type Instance struct {
	Group string
	ID    string
	AZ    string
	IPs   []string
	// HasVM is false for an instance without a VM (an errand, a VM the
	// director forgot): there is no agent to ask.
	HasVM bool
}

// Name is GROUP/ID.
func (i Instance) Name() string { return i.Group + "/" + i.ID }

// HealthAgent is the part of the agent's client a query needs.
type HealthAgent interface {
	Health(ctx context.Context) (agentapi.Health, error)
}

// Dialer returns the agent of the cell with the given IP.
type Dialer func(ip string) HealthAgent

// Options of a query.
type Options struct {
	// Concurrency bounds the cells asked at once.
	Concurrency int
	// CellTimeout bounds each cell's answer.
	CellTimeout time.Duration
	// PlanArgs are appended to each `sequester plan` command (the agent
	// flags the operator gave, so the command works as printed).
	PlanArgs []string
	Now      func() time.Time
}

// Cell is one row of the report.
type Cell struct {
	Instance  string           `json:"instance"`
	AZ        string           `json:"az"`
	IP        string           `json:"ip"`
	Reachable bool             `json:"reachable"`
	Error     string           `json:"error,omitempty"`
	Seconds   float64          `json:"answer_seconds"`
	Health    *agentapi.Health `json:"health,omitempty"`
	// Plan is the command that takes the cell out, for a cell that is
	// not healthy.
	Plan string `json:"plan,omitempty"`
}

// Report is the fleet view, worst cell first.
type Report struct {
	Deployment  string    `json:"deployment"`
	CollectedAt time.Time `json:"collected_at"`
	Seconds     float64   `json:"seconds"`
	Cells       []Cell    `json:"cells"`
	// Skipped are instances with no VM or no IP: nothing to ask.
	Skipped []string `json:"skipped,omitempty"`
}

// Collect asks every instance's agent. It never fails as a whole: each
// cell's error is in its row.
func Collect(ctx context.Context, deployment string, instances []Instance, dial Dialer, opts Options) Report {
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.CellTimeout <= 0 {
		opts.CellTimeout = DefaultCellTimeout
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	start := time.Now()
	rep := Report{Deployment: deployment, CollectedAt: now().UTC()}
	var asked []Instance
	for _, in := range instances {
		if !in.HasVM || len(in.IPs) == 0 {
			rep.Skipped = append(rep.Skipped, in.Name())
			continue
		}
		asked = append(asked, in)
	}
	cells := make([]Cell, len(asked))
	g := new(errgroup.Group)
	g.SetLimit(opts.Concurrency)
	for i, in := range asked {
		i, in := i, in
		g.Go(func() error {
			cells[i] = ask(ctx, in, dial, opts.CellTimeout)
			return nil
		})
	}
	_ = g.Wait()
	for i := range cells {
		cells[i].Plan = planCommand(deployment, cells[i], opts.PlanArgs)
	}
	sort.SliceStable(cells, func(i, j int) bool { return worse(cells[i], cells[j]) })
	rep.Cells = cells
	rep.Seconds = time.Since(start).Seconds()
	return rep
}

func ask(ctx context.Context, in Instance, dial Dialer, timeout time.Duration) Cell {
	c := Cell{Instance: in.Name(), AZ: in.AZ, IP: in.IPs[0]}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	h, err := dial(c.IP).Health(ctx)
	c.Seconds = time.Since(start).Seconds()
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("no answer within %s", timeout)
		}
		c.Error = err.Error()
		return c
	}
	c.Reachable, c.Health = true, &h
	return c
}

// rank orders cells by kind: suspects, then agents that do not answer,
// then threads in D or hung-task reports without a suspect, then healthy.
func rank(c Cell) int {
	switch {
	case c.Reachable && len(c.Health.Suspects) > 0:
		return 0
	case !c.Reachable:
		return 1
	case c.Health.DThreads > 0 || c.Health.HungTaskReports > 0:
		return 2
	}
	return 3
}

func worse(a, b Cell) bool {
	ra, rb := rank(a), rank(b)
	if ra != rb {
		return ra < rb
	}
	if a.Reachable && b.Reachable {
		ha, hb := a.Health, b.Health
		if ha.OldestDSeconds != hb.OldestDSeconds {
			return ha.OldestDSeconds > hb.OldestDSeconds
		}
		if ha.DThreads != hb.DThreads {
			return ha.DThreads > hb.DThreads
		}
		if ha.HungTaskReports != hb.HungTaskReports {
			return ha.HungTaskReports > hb.HungTaskReports
		}
	}
	return a.Instance < b.Instance
}

// planCommand is the command that takes an unhealthy cell out: keeping
// its suspects for investigation, or (D state on the host only) none.
func planCommand(deployment string, c Cell, extra []string) string {
	args := []string{"sequester", "plan", "-d", deployment, c.Instance}
	switch rank(c) {
	case 0, 1:
		args = append(args, "--keep-suspects")
	case 2:
		args = append(args, "--keep-none")
	default:
		return ""
	}
	return strings.Join(append(args, extra...), " ")
}

// WriteText prints the table.
func (r Report) WriteText(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CELL\tAZ\tD-THREADS\tOLDEST-D\tSUSPECTS (APP)\tHUNG-TASKS\tBUNDLES\tTAKE IT OUT")
	for _, c := range r.Cells {
		if !c.Reachable {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\tUNREACHABLE (%s): %s\t-\t-\t%s\n", c.Instance, c.AZ, c.IP, c.Error, orDash(c.Plan))
			continue
		}
		h := c.Health
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%d\t%d\t%s\n", c.Instance, c.AZ, h.DThreads, age(h.OldestDSeconds),
			suspectList(h.Suspects), h.HungTaskReports, len(h.FirstResponder), orDash(c.Plan))
	}
	_ = tw.Flush()
	unreachable := 0
	for _, c := range r.Cells {
		if !c.Reachable {
			unreachable++
		}
	}
	fmt.Fprintf(w, "\n%d cell(s) of deployment %s asked in %.1fs, %d unreachable", len(r.Cells), r.Deployment, r.Seconds, unreachable)
	if len(r.Skipped) > 0 {
		fmt.Fprintf(w, "; %d instance(s) without a VM not asked: %s", len(r.Skipped), strings.Join(r.Skipped, ", "))
	}
	fmt.Fprintln(w)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func age(seconds float64) string {
	if seconds <= 0 {
		return "-"
	}
	return (time.Duration(seconds) * time.Second).String()
}

func suspectList(ss []agentapi.Suspect) string {
	if len(ss) == 0 {
		return "-"
	}
	var parts []string
	for _, s := range ss {
		parts = append(parts, s.Container+" ("+s.App()+")")
	}
	return strings.Join(parts, ", ")
}

// CellGroups are the instance groups of a deployment manifest that run
// Diego's rep, where the runtime config places the agent.
func CellGroups(manifest string) ([]string, error) {
	var m struct {
		InstanceGroups []struct {
			Name string `yaml:"name"`
			Jobs []struct {
				Name string `yaml:"name"`
			} `yaml:"jobs"`
		} `yaml:"instance_groups"`
	}
	if err := yaml.Unmarshal([]byte(manifest), &m); err != nil {
		return nil, fmt.Errorf("deployment manifest: %w", err)
	}
	var out []string
	for _, ig := range m.InstanceGroups {
		for _, j := range ig.Jobs {
			if j.Name == "rep" {
				out = append(out, ig.Name)
				break
			}
		}
	}
	return out, nil
}
