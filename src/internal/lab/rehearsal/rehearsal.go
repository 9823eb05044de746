// Package rehearsal runs `sequester lab`: it builds the lab platform
// (package scenario), sequesters diego-cell/0 with the code `sequester
// cell` runs (director.Flow: plan, then run), and verifies the outcome by
// reading the world, not the report.
package rehearsal

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/scenario"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

// Options of a rehearsal.
type Options struct {
	Dir               string
	Cells, Containers int
	// Keep is what the sequestration keeps; Keep.Suspects (the default)
	// keeps the container the lab froze. A handle that is a number N
	// names the target's Nth app container, since the lab's handles are
	// new GUIDs on every run.
	Keep        agentapi.Keep
	RequestedBy string
	// Logger receives the flow's and the parts' logs.
	Logger lager.Logger
	// Progress, when set, hears what the lab is doing while it sets up.
	Progress io.Writer
	// SetupOnly stops once the platform is up and the agent reports the
	// suspect: nothing is sequestered, so an operator can rehearse
	// `sequester suspects`, `plan` and `cell` on it by hand.
	SetupOnly bool
}

// Result is the lab's --json document.
type Result struct {
	Lab     Lab                  `json:"lab"`
	Suspect *Suspect             `json:"suspect,omitempty"`
	Plan    *director.PlanReport `json:"plan,omitempty"`
	Report  *director.Report     `json:"report,omitempty"`
	Error   string               `json:"error,omitempty"`
	// TimeToContainSeconds runs from the start of the sequestration
	// command to the end of the last containment step; zero when it did
	// not contain.
	TimeToContainSeconds float64 `json:"time_to_contain_seconds"`
	// TotalSeconds is the sequestration command's run, SetupSeconds the
	// lab's setup before it.
	TotalSeconds float64 `json:"total_seconds"`
	SetupSeconds float64 `json:"setup_seconds"`
	// Verification checks the world after the run; after a refusal, that
	// nothing changed.
	Verification []Check `json:"verification"`
	// OK: the sequestration completed and every check passed, or it was
	// refused and nothing changed.
	OK bool `json:"ok"`
	// Refused: preflight refused the sequestration; nothing was to change.
	Refused bool `json:"refused"`
	// SetupOnly: the lab was only set up; nothing was sequestered.
	SetupOnly bool `json:"setup_only,omitempty"`
}

// Lab says where the lab's parts are.
type Lab struct {
	Dir               string `json:"dir"`
	ID                string `json:"id"`
	Cells             int    `json:"cells"`
	ContainersPerCell int    `json:"containers_per_cell"`
	DirectorURL       string `json:"director_url"`
	NATS              string `json:"nats"`
	AgentPort         int    `json:"agent_port"`
	Target            string `json:"target"`
	TargetIP          string `json:"target_ip"`
	NetNSPrefix       string `json:"netns_prefix"`
	Investigator      string `json:"investigator_source"`
	// Containers are every cell's app containers, by cell id.
	Containers map[string][]scenario.Container `json:"containers"`
}

// Suspect is the container the agent reported stuck, as the agent saw it.
type Suspect struct {
	Handle    string              `json:"handle"`
	AppGUID   string              `json:"app_guid"`
	Index     *int                `json:"index,omitempty"`
	Cell      string              `json:"cell"`
	Processes []agentapi.DProcess `json:"processes"`
}

// Run sets the lab up, runs the sequestration and verifies it. The world
// is returned for --keep-running; the caller closes it.
func Run(ctx context.Context, opts Options) (*scenario.World, *Result, error) {
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	res := &Result{Verification: []Check{}}
	setupStart := time.Now()
	fmt.Fprintf(progress, "lab: starting the director simulator, NATS and %d cell(s) with %d app container(s) each under %s\n", opts.Cells, opts.Containers, opts.Dir)
	w, err := scenario.New(ctx, scenario.Options{
		Dir: opts.Dir, Cells: opts.Cells, Containers: opts.Containers, Suspect: true, Logger: opts.Logger,
	})
	if err != nil {
		return nil, res, fmt.Errorf("set up the lab: %w", err)
	}
	res.Lab = labInfo(w, opts)
	if err := w.WaitForRoutes(ctx); err != nil {
		return w, res, err
	}
	fmt.Fprintf(progress, "lab: every container is registered on NATS; waiting for the agent on %s to report the frozen container as a suspect\n", res.Lab.Target)
	sus, err := w.WaitForSuspect(ctx)
	if err != nil {
		return w, res, err
	}
	res.Suspect = &Suspect{Handle: sus.Handle, AppGUID: sus.AppGUID, Index: sus.Index, Cell: res.Lab.Target, Processes: sus.DState}
	res.SetupSeconds = time.Since(setupStart).Seconds()
	if opts.SetupOnly {
		res.SetupOnly, res.OK = true, true
		return w, res, nil
	}

	keep := opts.Keep
	keep.Handles = nil
	for _, h := range opts.Keep.Handles {
		if n, err := strconv.Atoi(h); err == nil && n >= 0 && n < len(w.Target().Containers) {
			h = w.Target().Containers[n].Handle
		}
		keep.Handles = append(keep.Handles, h)
	}
	opts.Keep = keep

	// What `sequester cell` does without -n: the plan, then the run.
	f := w.Flow(opts.Keep, opts.RequestedBy)
	fmt.Fprintf(progress, "lab: set up in %.1fs; running `sequester cell -d %s %s`\n", res.SetupSeconds, scenario.Deployment, f.Opts.Instance)
	start := time.Now()
	plan, err := f.Plan(ctx)
	res.Plan = plan
	var rep *director.Report
	if err == nil {
		rep, err = f.Run(ctx)
	}
	res.TotalSeconds = time.Since(start).Seconds()
	res.Report = rep
	if err != nil {
		res.Error = err.Error()
		res.Refused = refusal.Is(err)
	}
	switch {
	case res.Refused:
		// A refusal must leave everything as it was: check that instead.
		res.Verification = VerifyUnchanged(ctx, w)
		res.OK = true
	case rep == nil:
		return w, res, nil
	default:
		if ttc, ok := TimeToContain(start, rep); ok {
			res.TimeToContainSeconds = ttc.Seconds()
		}
		res.Verification = Verify(ctx, w, rep, expectedKept(w, opts.Keep, sus.Handle))
		res.OK = err == nil && res.TimeToContainSeconds > 0
	}
	for _, c := range res.Verification {
		res.OK = res.OK && c.OK
	}
	return w, res, nil
}

// expectedKept is what the operator asked to keep, resolved against the
// lab's containers without asking the agent.
func expectedKept(w *scenario.World, k agentapi.Keep, suspect string) []string {
	want := map[string]bool{}
	for _, h := range k.Handles {
		want[h] = true
	}
	if k.Suspects {
		want[suspect] = true
	}
	for _, c := range w.Target().Containers {
		for _, app := range k.AppGUIDs {
			if c.AppGUID == app {
				want[c.Handle] = true
			}
		}
	}
	out := make([]string, 0, len(want))
	for h := range want {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

func labInfo(w *scenario.World, opts Options) Lab {
	u, _ := url.Parse(w.NATSURL)
	l := Lab{
		Dir: w.Dir, ID: w.ID, Cells: len(w.Cells), ContainersPerCell: opts.Containers,
		DirectorURL: w.Sim.URL(), AgentPort: w.AgentPort,
		Target:      scenario.CellGroup + "/" + w.Target().Instance.ID,
		TargetIP:    w.Target().IP(),
		NetNSPrefix: w.NetNSPrefix(), Investigator: w.Investigator,
		Containers: map[string][]scenario.Container{},
	}
	if u != nil {
		l.NATS = u.Host
	}
	for _, c := range w.Cells {
		l.Containers[c.Instance.ID] = c.Containers
	}
	return l
}

// WriteText prints the result for people.
func (r *Result) WriteText(w io.Writer) {
	fmt.Fprintf(w, "Lab %s: %d cell(s) x %d app containers, director %s, NATS %s, under %s (set up in %.1fs)\n",
		r.Lab.ID, r.Lab.Cells, r.Lab.ContainersPerCell, r.Lab.DirectorURL, r.Lab.NATS, r.Lab.Dir, r.SetupSeconds)
	if s := r.Suspect; s != nil {
		idx := ""
		if s.Index != nil {
			idx = fmt.Sprintf(" index %d", *s.Index)
		}
		fmt.Fprintf(w, "Suspect on %s: container %s (app %s%s)\n", s.Cell, s.Handle, s.AppGUID, idx)
		for _, p := range s.Processes {
			fmt.Fprintf(w, "  pid %d (%s) in D state since %s (%.0fs)%s\n", p.Pid, p.Comm, p.Since.UTC().Format(time.RFC3339), p.Seconds, wchan(p.Wchan))
		}
	}
	if r.SetupOnly {
		fmt.Fprintf(w, "\nNothing was sequestered: find the sick cell with `sequester suspects -d %s`, then rehearse `sequester plan` and `sequester cell` on it.\n", scenario.Deployment)
		return
	}
	if r.Plan != nil && r.Report == nil {
		r.Plan.WriteText(w)
	}
	if r.Report != nil {
		fmt.Fprintln(w)
		r.Report.WriteText(w)
	}
	if r.Error != "" && !r.Refused && (r.Report == nil || r.Report.Error == "") {
		fmt.Fprintf(w, "Error: %s\n", r.Error)
	}
	fmt.Fprintln(w)
	if r.Refused {
		fmt.Fprintf(w, "REFUSED after %.1fs: %s\n", r.TotalSeconds, r.Error)
	} else if r.TimeToContainSeconds > 0 {
		fmt.Fprintf(w, "TIME TO CONTAIN: %.1fs (routes withdrawn, rep dead, kept containers isolated, BOSH agent stopped)   total: %.1fs\n", r.TimeToContainSeconds, r.TotalSeconds)
	} else {
		fmt.Fprintf(w, "TIME TO CONTAIN: not contained   total: %.1fs\n", r.TotalSeconds)
	}
	if len(r.Verification) == 0 {
		return
	}
	if r.Refused {
		fmt.Fprintln(w, "\nVerification that the refusal changed nothing (reads monit, runit, runc, NATS and the director):")
	} else {
		fmt.Fprintln(w, "\nVerification (independent: reads monit, runc, NATS, TCP and the director, not the report):")
	}
	failed := 0
	for _, c := range r.Verification {
		mark := "ok  "
		if !c.OK {
			mark = "FAIL"
			failed++
		}
		fmt.Fprintf(w, "  %s  %-56s %s\n", mark, c.Name, c.Detail)
	}
	if failed == 0 {
		fmt.Fprintf(w, "All %d checks passed.\n", len(r.Verification))
	} else {
		fmt.Fprintf(w, "%d of %d checks FAILED.\n", failed, len(r.Verification))
	}
}

func wchan(s string) string {
	if s == "" || s == "0" {
		return ""
	}
	return ", waiting in " + s
}

// Exports are the environment that points the bosh CLI and `sequester`
// at a lab left running.
func Exports(w *scenario.World) []string {
	client, secret := w.Sim.ClientCredentials()
	return []string{
		"BOSH_ENVIRONMENT=" + w.Sim.URL(),
		"BOSH_CA_CERT=" + w.DirectorCAFile,
		"BOSH_CLIENT=" + client,
		"BOSH_CLIENT_SECRET=" + secret,
		"BOSH_DEPLOYMENT=" + scenario.Deployment,
		"SEQUESTER_AGENT_CA=" + w.Shared.AgentCAFile,
		"SEQUESTER_AGENT_CERT=" + w.Shared.ClientCert.CertFile,
		"SEQUESTER_AGENT_KEY=" + w.Shared.ClientCert.KeyFile,
	}
}

// WriteExports prints the exports as shell lines, with the commands to try.
func WriteExports(w io.Writer, world *scenario.World) {
	fmt.Fprintln(w, "\nThe lab keeps running. In another shell:")
	for _, e := range Exports(world) {
		k, v, _ := strings.Cut(e, "=")
		fmt.Fprintf(w, "  export %s=%q\n", k, v)
	}
	port := ""
	if world.AgentPort != 8899 {
		port = fmt.Sprintf(" --agent-port %d", world.AgentPort)
	}
	target := scenario.CellGroup + "/" + world.Target().Instance.ID
	fmt.Fprintf(w, "then: bosh instances; bosh cloud-config; bosh configs; sequester suspects%s; sequester plan %s%s --keep-suspects; sequester cell %s%s --keep-suspects; sequester list%s; sequester status %s%s; sequester release %s%s\n",
		port, target, port, target, port, port, target, port, world.Target().IP(), port)
	fmt.Fprintln(w, "Ctrl-C (SIGINT or SIGTERM) tears it all down.")
}

// Missing says, in one sentence, what this machine lacks for the lab and
// how to get it, or "" when nothing is missing.
func Missing() string {
	if err := scenario.Available(); err != nil {
		return fmt.Sprintf("the lab needs %s: run `bash scripts/lab` as root, which installs runc, monit, runit, busybox-static, iproute2 and iptables first (nothing was started)", err)
	}
	return ""
}
