package director

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
	"github.com/cloudfoundry-community/cell-sequestration/internal/version"
)

// Report is the --json document of `sequester cell` and the errand.
type Report struct {
	State string `json:"state"`
	// Version is the sequester build that wrote the report (the release
	// version).
	Version    string       `json:"version"`
	RecordID   string       `json:"record_id"`
	Deployment string       `json:"deployment"`
	Instance   string       `json:"instance"`
	OldIP      string       `json:"old_ip"`
	VMCID      string       `json:"vm_cid"`
	AZ         string       `json:"az,omitempty"`
	NewIP      string       `json:"new_ip"`
	NewVMCID   string       `json:"new_vm_cid,omitempty"`
	Kept       []string     `json:"kept"`
	Pruned     []string     `json:"pruned"`
	Steps      []ReportStep `json:"steps"`
	// CellSteps break the cell-side step down as the agent ran it.
	CellSteps []ReportStep `json:"cell_steps"`
	// NoReplacement: app instances pruned before BBS ran them elsewhere.
	NoReplacement  []string            `json:"no_replacement,omitempty"`
	PruneFailures  map[string]string   `json:"prune_failures,omitempty"`
	PruneLeftovers map[string][]string `json:"prune_leftovers,omitempty"`
	// Quarantined: containers that could not be pruned and were isolated
	// instead (or could not be: "NOT isolated").
	Quarantined map[string]string   `json:"quarantined,omitempty"`
	Evidence    ReportEvidence      `json:"evidence"`
	SSH         *agentapi.SSHStatus `json:"ssh"`

	// ContainedAt is when the cell reported its contain phase done (the
	// BOSH agent stopped, routes withdrawn, the rep dead, kept containers
	// isolated); TimeToContainSeconds counts from the command's start,
	// TimeToContainAfterPreflightSeconds from the end of preflight.
	ContainedAt                        *time.Time `json:"contained_at,omitempty"`
	TimeToContainSeconds               float64    `json:"time_to_contain_seconds,omitempty"`
	TimeToContainAfterPreflightSeconds float64    `json:"time_to_contain_after_preflight_seconds,omitempty"`

	Reservation  record.Reservation  `json:"reservation"`
	Resurrection record.Resurrection `json:"resurrection"`
	// ResurrectionBridgeSeconds is how long the global switch was paused
	// to bridge the health monitor's re-read of the scoped rule.
	ResurrectionBridgeSeconds float64  `json:"resurrection_bridge_seconds,omitempty"`
	Warnings                  []string `json:"warnings,omitempty"`
	Error                     string   `json:"error,omitempty"`
	// Tasks are the director tasks this run waited for (this process's
	// only: a resumed run lists its own).
	Tasks       []TaskTiming `json:"tasks,omitempty"`
	RequestedBy string       `json:"requested_by,omitempty"`
	Reason      string       `json:"reason,omitempty"`
	CaseID      string       `json:"case_id,omitempty"`
	// ReleasedAt: when release deleted the old VM.
	ReleasedAt *time.Time `json:"released_at,omitempty"`
	// Health is the cell's D-state figures at preflight (this run's).
	Health *agentapi.Health `json:"health,omitempty"`
}

// ReportEvidence points at what was captured and what was checked.
type ReportEvidence struct {
	// Cell is the evidence directory on the sequestered VM.
	Cell string `json:"cell,omitempty"`
	// Checks are the consumer-side verifications.
	Checks []string `json:"checks,omitempty"`
}

// ReportStep is one step with its timing.
type ReportStep struct {
	Name            string     `json:"name"`
	State           string     `json:"state"`
	StartedAt       *time.Time `json:"started_at"`
	FinishedAt      *time.Time `json:"finished_at"`
	DurationSeconds float64    `json:"duration_seconds,omitempty"`
	Error           string     `json:"error"`
	// Detail is the agent's account of a cell step (what it found, what it
	// could only partly do, such as a freeze a stuck task refused).
	Detail string `json:"detail,omitempty"`
}

// NewReport renders a record as the report.
func NewReport(r *record.Record) *Report {
	rep := &Report{
		State: r.State, Version: version.Version, RecordID: r.ID, Deployment: r.Deployment, Instance: r.Instance(),
		OldIP: r.OldIP, VMCID: r.VMCID, AZ: r.AZ, NewIP: r.NewIP, NewVMCID: r.NewVMCID,
		Kept: nonNil(r.Kept), Pruned: nonNil(r.Pruned), SSH: r.SSH,
		Evidence:    ReportEvidence{Cell: r.Evidence, Checks: r.Verification},
		Reservation: r.Reservation, Resurrection: r.Resurrection,
		Warnings: r.Warnings, Error: r.Error,
		RequestedBy: r.RequestedBy, Reason: r.Reason, CaseID: r.CaseID,
		ReleasedAt: r.ReleasedAt,
	}
	byName := map[string]record.Step{}
	for _, s := range r.Steps {
		byName[s.Name] = s
	}
	for _, name := range Steps {
		s, ok := byName[name]
		if !ok {
			s = record.Step{Name: name, State: record.StepPending}
		}
		rs := reportStep(s.Name, s.State, s.StartedAt, s.FinishedAt, s.Error)
		rs.Detail = s.Detail
		rep.Steps = append(rep.Steps, rs)
	}
	rep.ResurrectionBridgeSeconds = r.Resurrection.BridgeSeconds()
	if r.ContainedAt != nil {
		at := *r.ContainedAt
		rep.ContainedAt = &at
		if pf := byName[StepPreflight]; pf.StartedAt != nil && pf.FinishedAt != nil {
			rep.TimeToContainSeconds = at.Sub(*pf.StartedAt).Seconds()
			rep.TimeToContainAfterPreflightSeconds = at.Sub(*pf.FinishedAt).Seconds()
		}
	}
	rep.CellSteps = []ReportStep{}
	for _, s := range r.CellSteps {
		rs := reportStep(s.Name, s.State, s.StartedAt, s.FinishedAt, s.Error)
		rs.Detail = s.Detail
		rep.CellSteps = append(rep.CellSteps, rs)
	}
	rep.NoReplacement, rep.PruneFailures, rep.PruneLeftovers = r.NoReplacement, r.PruneFailures, r.PruneLeftovers
	rep.Quarantined = r.Quarantined
	return rep
}

func reportStep(name, state string, started, finished *time.Time, err string) ReportStep {
	rs := ReportStep{Name: name, State: state, StartedAt: started, FinishedAt: finished, Error: err}
	if started != nil && finished != nil {
		rs.DurationSeconds = finished.Sub(*started).Seconds()
	}
	return rs
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// WriteText prints the report for people (bosh run-errand output).
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "Sequestration %s of %s in deployment %s: %s (sequester %s)\n", r.RecordID, r.Instance, r.Deployment, strings.ToUpper(r.State), r.Version)
	if r.RequestedBy != "" || r.Reason != "" || r.CaseID != "" {
		fmt.Fprintf(w, "  requested by %q, reason %q, case %q\n", r.RequestedBy, r.Reason, r.CaseID)
	}
	if r.Health != nil {
		fmt.Fprintf(w, "  cell health at preflight: %s\n", r.Health.Summary())
	}
	if r.State == record.StateReleased {
		at := ""
		if r.ReleasedAt != nil {
			at = " at " + r.ReleasedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(w, "  old VM %s at %s (az %s) — deleted on release%s\n", r.VMCID, r.OldIP, r.AZ, at)
	} else {
		fmt.Fprintf(w, "  old VM %s at %s (az %s) — kept alive, out of BOSH\n", r.VMCID, r.OldIP, r.AZ)
	}
	if r.NewIP != "" {
		fmt.Fprintf(w, "  new VM %s at %s\n", r.NewVMCID, r.NewIP)
	}
	if r.ContainedAt != nil {
		fmt.Fprintf(w, "  contained at %s: %.1fs after the command started, %.1fs after preflight (cell's clock)\n",
			r.ContainedAt.Format(time.RFC3339), r.TimeToContainSeconds, r.TimeToContainAfterPreflightSeconds)
	} else {
		fmt.Fprintln(w, "  NOT CONTAINED: the cell did not report its contain phase done")
	}
	fmt.Fprintln(w, "\nSteps:")
	for i, s := range r.Steps {
		if s.Name == ParallelSteps[0] {
			fmt.Fprintln(w, "  in parallel (the cell cleans up while the director switches the VM):")
		}
		if s.Name == StepRestoreResurrection {
			fmt.Fprintln(w, "  joined:")
		}
		writeStep(w, fmt.Sprintf("%2d.", i+1), s)
		for _, c := range r.CellSteps {
			if phaseOf(c.Name) == s.Name {
				writeStep(w, "     -", c)
			}
		}
	}
	fmt.Fprintf(w, "\nContainers: kept %d %v, pruned %d\n", len(r.Kept), r.Kept, len(r.Pruned))
	for _, handle := range sortedKeys(r.PruneFailures) {
		fmt.Fprintf(w, "  not pruned: %s: %s\n", handle, r.PruneFailures[handle])
	}
	for _, handle := range sortedKeys(r.PruneLeftovers) {
		fmt.Fprintf(w, "  pruned, left behind: %s: %s\n", handle, strings.Join(r.PruneLeftovers[handle], "; "))
	}
	if len(r.Quarantined) > 0 {
		hs := sortedKeys(r.Quarantined)
		fmt.Fprintf(w, "  NOT PRUNED: %d container(s) could not be removed and were isolated instead, never left running unwatched:\n", len(hs))
		for _, h := range hs {
			fmt.Fprintf(w, "    %s: %s\n", h, r.Quarantined[h])
		}
	}
	if len(r.NoReplacement) > 0 {
		fmt.Fprintf(w, "  pruned before BBS ran them elsewhere (capacity was short for a while): %v\n", r.NoReplacement)
	}
	if r.SSH != nil {
		fmt.Fprintf(w, "Investigator SSH: %s\n", sshLine(*r.SSH))
	}
	if r.Evidence.Cell != "" {
		fmt.Fprintf(w, "Evidence on the cell: %s\n", r.Evidence.Cell)
	}
	res := r.Resurrection
	switch {
	case res.Mode == "":
		fmt.Fprintln(w, "Resurrection: not touched")
	case res.RestoredAt != nil:
		fmt.Fprintf(w, "Resurrection: paused (%s) and restored to its prior value (globally paused before: %v)\n", res.Mode, res.GlobalPausedBefore)
	default:
		fmt.Fprintf(w, "Resurrection: STILL PAUSED (%s %s)\n", res.Mode, res.ConfigName)
	}
	switch {
	case res.Bridge && res.BridgeEndedAt != nil:
		fmt.Fprintf(w, "  the global switch bridged the health monitor's re-read of the scoped rule for %.1fs, then went back to its prior value\n", r.ResurrectionBridgeSeconds)
	case res.Bridge:
		fmt.Fprintln(w, "  the GLOBAL switch is STILL PAUSED as a bridge: re-run the same command to put it back")
	}
	switch {
	case r.Reservation.CloudConfig == "":
	case r.State == record.StateReleased && !r.Reservation.Added:
		fmt.Fprintf(w, "Old IP %s: the operator's entry %s in cloud config %q covers it and was left as it is\n", r.OldIP, r.Reservation.CoveredBy, r.Reservation.CloudConfig)
	case r.State == record.StateReleased:
		fmt.Fprintf(w, "Old IP %s: no longer reserved by us; our entry is gone from cloud config %q, and the director may give the IP to a new VM\n", r.OldIP, r.Reservation.CloudConfig)
	default:
		by := "our entry"
		if !r.Reservation.Added {
			by = "an existing entry " + r.Reservation.CoveredBy
		}
		fmt.Fprintf(w, "Old IP %s reserved in cloud config %q (%s)\n", r.OldIP, r.Reservation.CloudConfig, by)
	}
	for _, c := range r.Evidence.Checks {
		fmt.Fprintf(w, "Verified: %s\n", c)
	}
	if len(r.Tasks) > 0 {
		var total time.Duration
		for _, t := range r.Tasks {
			total += t.Duration
		}
		fmt.Fprintf(w, "Director tasks: %d, %.1fs in all\n", len(r.Tasks), total.Seconds())
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "WARNING: %s\n", warn)
	}
	if r.Error != "" {
		fmt.Fprintf(w, "Error: %s\n", r.Error)
	}
}

// PlanReport is what `sequester plan` prints.
type PlanReport struct {
	Deployment  string   `json:"deployment"`
	Instance    string   `json:"instance"`
	OldIP       string   `json:"old_ip"`
	VMCID       string   `json:"vm_cid"`
	AZ          string   `json:"az,omitempty"`
	Network     string   `json:"network,omitempty"`
	CloudConfig string   `json:"cloud_config,omitempty"`
	Resume      bool     `json:"resume"`
	Checks      []Check  `json:"checks"`
	Steps       []string `json:"steps"`
	// Descriptions say what each step will do, with this run's choices.
	Descriptions map[string]string `json:"descriptions"`
	Agent        *agentapi.Plan    `json:"agent,omitempty"`
	Refused      string            `json:"refused,omitempty"`
}

func (p *PlanReport) WriteText(w io.Writer) {
	fmt.Fprintf(w, "Plan for %s in deployment %s (IP %s, VM %s, network %s in cloud config %q)\n", p.Instance, p.Deployment, p.OldIP, p.VMCID, p.Network, p.CloudConfig)
	fmt.Fprintln(w, "\nPreflight:")
	for _, c := range p.Checks {
		mark := "ok     "
		switch {
		case c.Skipped:
			mark = "skipped"
		case !c.OK:
			mark = "REFUSED"
		}
		fmt.Fprintf(w, "  %s %-13s %s\n", mark, c.Name, c.Detail)
	}
	if p.Agent != nil {
		fmt.Fprintln(w, "\nOn the cell:")
		for _, c := range p.Agent.Keep {
			fmt.Fprintf(w, "  keep  %s (app %s)\n", c.Handle, c.AppGUID)
		}
		for _, c := range p.Agent.Prune {
			fmt.Fprintf(w, "  prune %s (app %s)\n", c.Handle, c.AppGUID)
		}
		for _, s := range p.Agent.Steps {
			fmt.Fprintf(w, "  step  %s\n", s)
		}
		fmt.Fprintf(w, "  ssh   %s\n", sshLine(p.Agent.SSH))
		if p.Agent.Health != nil {
			fmt.Fprintf(w, "  health %s\n", p.Agent.Health.Summary())
		}
		for _, pt := range p.Agent.Parts {
			mark := "ready"
			switch {
			case !pt.Ready && pt.Advisory:
				mark = "WARN "
			case !pt.Ready:
				mark = "NOT READY"
			}
			fmt.Fprintf(w, "  part  %s %s: %s\n", mark, pt.Name, pt.Detail)
		}
	}
	fmt.Fprintln(w, "\nSteps:")
	for i, s := range p.Steps {
		fmt.Fprintf(w, "  %2d. %-24s %s\n", i+1, s, p.Descriptions[s])
	}
	if p.Refused != "" {
		fmt.Fprintf(w, "\nREFUSED: %s\n", p.Refused)
	}
}

// phaseOf names the director step under which a cell step runs.
func phaseOf(cellStep string) string {
	for _, c := range agentapi.ContainSteps {
		if c == cellStep {
			return StepContain
		}
	}
	return StepCellCleanup
}

func writeStep(w io.Writer, prefix string, s ReportStep) {
	dur := ""
	if s.FinishedAt != nil && s.StartedAt != nil {
		dur = fmt.Sprintf("%8.1fs", s.DurationSeconds)
	}
	// Sub-steps indent further; the state column stays aligned.
	fmt.Fprintf(w, "  %s %-*s %-8s %s\n", prefix, 28-len(prefix), s.Name, s.State, dur)
	if s.Error != "" {
		fmt.Fprintf(w, "      error: %s\n", s.Error)
	}
	if s.Detail != "" {
		fmt.Fprintf(w, "        %s\n", s.Detail)
	}
}

func sshLine(s agentapi.SSHStatus) string {
	if s.Ready {
		return fmt.Sprintf("%s can log in (in bosh_sshers, %d authorized key(s), sshd listening)", s.User, s.Keys)
	}
	return fmt.Sprintf("%s NOT ready: %s", s.User, s.Problem)
}

// sortedKeys lists a map's keys in order, so reports read the same twice.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
