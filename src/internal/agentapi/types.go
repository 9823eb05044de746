// Package agentapi is the versioned HTTP API of sequester-agent: the types on
// the wire, the mTLS server and the client the errand and the CLI use.
//
// Endpoints (all under /v1/, mTLS only):
//
//	GET  /v1/inventory                 -> Inventory
//	POST /v1/plan       SequesterRequest -> Plan      (changes nothing)
//	POST /v1/sequester  SequesterRequest -> Status    (202; runs in the background,
//	                                                   idempotent per operation_id)
//	GET  /v1/status                    -> Status
//	GET  /v1/health                    -> Health    (D-state figures, suspects,
//	                                                   hung-task reports, first-responder bundles)
//
// Errors are {"error": "..."}; 400 and 422 mean the request was refused and
// nothing changed, 409 means another operation owns the cell.
package agentapi

import (
	"fmt"
	"strings"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/steps"
)

// Container is one container found on the cell.
type Container struct {
	Handle string `json:"handle"`
	// State is running, paused (frozen), stopped or unknown.
	State string `json:"state"`
	// Source is the backend that listed it: garden or runc.
	Source       string            `json:"source"`
	Pids         []int             `json:"pids,omitempty"`
	AppGUID      string            `json:"app_guid,omitempty"`
	ProcessGUID  string            `json:"process_guid,omitempty"`
	InstanceGUID string            `json:"instance_guid,omitempty"`
	Index        *int              `json:"index,omitempty"`
	IP           string            `json:"ip,omitempty"`
	Ports        []int             `json:"ports,omitempty"`
	Properties   map[string]string `json:"properties,omitempty"`
	DState       []DProcess        `json:"d_state,omitempty"`
	// Suspect is true when a process has been in D state past the threshold
	// and the container was not frozen by us.
	Suspect bool `json:"suspect"`
	// FrozenByUs tells a container we froze from one that is stuck.
	FrozenByUs bool `json:"frozen_by_us"`
}

// DProcess is a process seen in uninterruptible sleep.
type DProcess struct {
	Pid       int       `json:"pid"`
	Comm      string    `json:"comm"`
	Container string    `json:"container,omitempty"`
	Since     time.Time `json:"since"`
	Seconds   float64   `json:"seconds"`
	Wchan     string    `json:"wchan,omitempty"`
}

type Inventory struct {
	CellID      string      `json:"cell_id"`
	Backend     string      `json:"backend"`
	CollectedAt time.Time   `json:"collected_at"`
	Containers  []Container `json:"containers"`
	Warnings    []string    `json:"warnings,omitempty"`
}

// Keep selects the containers that survive. An empty Keep is refused unless
// None is set, so a forgotten flag never prunes everything.
type Keep struct {
	Handles  []string `json:"handles,omitempty"`
	AppGUIDs []string `json:"app_guids,omitempty"`
	Pids     []int    `json:"pids,omitempty"`
	Suspects bool     `json:"suspects,omitempty"`
	None     bool     `json:"none,omitempty"`
}

type SequesterRequest struct {
	OperationID string `json:"operation_id"`
	Keep        Keep   `json:"keep"`
	Freeze      bool   `json:"freeze,omitempty"`
	BlockEgress bool   `json:"block_egress,omitempty"`
	// AllowWithoutSSH goes on when investigator access cannot be verified.
	AllowWithoutSSH bool `json:"allow_without_ssh,omitempty"`
	// SkipBoshAgentStop leaves the BOSH agent running (for dry rehearsals).
	SkipBoshAgentStop bool `json:"skip_bosh_agent_stop,omitempty"`
	// ReplacementTimeoutSeconds overrides the configured BBS wait.
	ReplacementTimeoutSeconds int `json:"replacement_timeout_seconds,omitempty"`
	// SkipReplacementWait goes on without waiting for BBS to run
	// replacements elsewhere (for a BBS that is down).
	SkipReplacementWait bool `json:"skip_replacement_wait,omitempty"`
}

type Plan struct {
	CellID string `json:"cell_id"`
	// Health is the cell's D-state figures when the plan was made, the
	// same as `sequester suspects` shows.
	Health *Health     `json:"health,omitempty"`
	Keep   []Container `json:"keep"`
	Prune  []Container `json:"prune"`
	Steps  []string    `json:"steps"`
	SSH    SSHStatus   `json:"ssh"`
	// Parts say, checked before anything changes, whether each cell part
	// the sequence needs is reachable the way it will be used.
	Parts    []Part   `json:"parts"`
	Warnings []string `json:"warnings,omitempty"`
}

// Part is one cell part the sequence needs (monit through its firewall,
// the container backend, the runc root, the BOSH agent's supervisor,
// investigator SSH) and how it was found.
type Part struct {
	Name  string `json:"name"`
	Ready bool   `json:"ready"`
	// Detail says how it was reached, or in one sentence why not and
	// what fixes it.
	Detail string `json:"detail"`
	// Advisory parts weaken the sequence when missing but do not stop it.
	Advisory bool `json:"advisory,omitempty"`
}

type SSHStatus struct {
	User     string `json:"user"`
	Ready    bool   `json:"ready"`
	InSSHers bool   `json:"in_bosh_sshers"`
	// InSudoers is checked only when the investigator may sudo.
	InSudoers bool   `json:"in_bosh_sudoers,omitempty"`
	Keys      int    `json:"authorized_keys"`
	Listening bool   `json:"sshd_listening"`
	Problem   string `json:"problem,omitempty"`
}

// Phase values for Status.Phase.
const (
	PhaseIdle    = "idle"
	PhaseRunning = "running"
	PhaseDone    = "done"
	PhaseFailed  = "failed"
)

// Step state values.
const (
	StepPending = steps.Pending
	StepRunning = steps.Running
	StepDone    = steps.Done
	StepFailed  = steps.Failed
	StepSkipped = steps.Skipped
)

// Step names of the cell side. The contain phase comes first and takes
// seconds: investigator SSH is checked, then the BOSH agent stops before
// anything else, so no deploy of the cells' deployment can start the rep or
// the route emitter again (the BOSH agent starts every monit job when a
// deploy applies to its instance), then routes go, the rep dies and the
// kept containers are isolated. The cleanup phase runs while the director
// switches the VM.
const (
	StepCheckSSH          = "check-investigator-ssh"
	StepStopBoshAgent     = "stop-bosh-agent"
	StepWithdrawRoutes    = "withdraw-routes"
	StepStopRep           = "stop-rep"
	StepIsolateKept       = "isolate-kept"
	StepCaptureEvidence   = "capture-evidence"
	StepAwaitReplacements = "await-replacements"
	StepPruneContainers   = "prune-containers"
)

// ContainSteps take the cell out of service (no traffic, no new work) and
// run first; CleanupSteps follow. Together they are the sequence.
var (
	ContainSteps = []string{StepCheckSSH, StepStopBoshAgent, StepWithdrawRoutes, StepStopRep, StepIsolateKept}
	CleanupSteps = []string{StepCaptureEvidence, StepAwaitReplacements, StepPruneContainers}
)

// Step is one step of the cell side as the status reports it.
type Step = steps.Step

// DurationStats summarises many timings. Averages alone hide spikes, so the
// count, maximum and p99 always travel with the total.
type DurationStats struct {
	Count        int     `json:"count"`
	TotalSeconds float64 `json:"total_seconds"`
	MaxSeconds   float64 `json:"max_seconds"`
	P99Seconds   float64 `json:"p99_seconds"`
}

type Status struct {
	CellID      string   `json:"cell_id"`
	OperationID string   `json:"operation_id,omitempty"`
	Phase       string   `json:"phase"`
	Steps       []Step   `json:"steps"`
	Kept        []string `json:"kept"`
	Pruned      []string `json:"pruned"`
	// PruneFailures maps handle to what could not be removed.
	PruneFailures map[string]string `json:"prune_failures,omitempty"`
	// PruneLeftovers maps a pruned handle to what the backend could not
	// free around it (the runc fallback leaves garden's network, image
	// and record behind); the container itself is gone.
	PruneLeftovers map[string][]string `json:"prune_leftovers,omitempty"`
	// Quarantined maps each container that could not be pruned to how it
	// was isolated instead (inbound reset, egress blocked, frozen where the
	// kernel allows), or "NOT isolated: why".
	Quarantined map[string]string `json:"quarantined,omitempty"`
	Suspects    []string          `json:"suspects,omitempty"`
	// NoReplacement lists LRP instances BBS did not replace in time.
	NoReplacement []string                 `json:"no_replacement,omitempty"`
	Evidence      string                   `json:"evidence,omitempty"`
	EvidenceBytes int64                    `json:"evidence_bytes,omitempty"`
	SSH           SSHStatus                `json:"ssh"`
	Durations     map[string]DurationStats `json:"durations,omitempty"`
	// FirstResponder lists the bundles captured when containers first
	// became suspects, before any sequestration.
	FirstResponder []FirstResponderBundle `json:"first_responder,omitempty"`
	Error          string                 `json:"error,omitempty"`
	UpdatedAt      time.Time              `json:"updated_at"`
	// Version is the answering agent's build: the release version.
	Version string `json:"version,omitempty"`
	// ContainedAt is when the last contain step finished: the BOSH agent
	// stopped, routes withdrawn, the rep dead, kept containers isolated.
	// The cleanup steps run after it.
	ContainedAt *time.Time `json:"contained_at,omitempty"`
}

// ErrorResponse is the body of every non-2xx answer.
type ErrorResponse struct {
	Error string `json:"error"`
}

// Health is what a cell's D-state watch knows now: the figures operators
// sort cells by before choosing one to sequester.
type Health struct {
	CellID string `json:"cell_id"`
	// ScannedAt is the last poll of /proc; a stale one means the agent's
	// own poller is stuck, which is itself a sign.
	ScannedAt time.Time `json:"scanned_at"`
	Scanned   int       `json:"scanned"`
	// ScanSeconds is how long the last scan took.
	ScanSeconds float64 `json:"scan_seconds"`
	// DThreads counts threads in D state now (not processes), frozen ones
	// of ours left out.
	DThreads       int     `json:"d_threads"`
	OldestDSeconds float64 `json:"oldest_d_seconds"`
	// SuspectAfterSeconds is the threshold that makes a suspect.
	SuspectAfterSeconds float64   `json:"suspect_after_seconds"`
	Suspects            []Suspect `json:"suspects"`
	// Episodes counts containers that became suspects since the agent started.
	Episodes int `json:"episodes"`
	// HungTaskReports counts the kernel's "blocked for more than N
	// seconds" reports since the agent started.
	HungTaskReports int        `json:"hung_task_reports"`
	RecentHungTasks []HungTask `json:"recent_hung_tasks,omitempty"`
	// FirstResponder lists the first-responder bundles on the cell.
	FirstResponder []FirstResponderBundle `json:"first_responder"`
	// Phase is the sequestration phase (idle when none).
	Phase    string   `json:"phase"`
	Warnings []string `json:"warnings,omitempty"`
}

// Suspect is a container with a thread in D state past the threshold.
type Suspect struct {
	Container     string  `json:"container"`
	AppGUID       string  `json:"app_guid,omitempty"`
	Index         *int    `json:"index,omitempty"`
	DThreads      int     `json:"d_threads"`
	OldestSeconds float64 `json:"oldest_seconds"`
}

// App names a suspect's app as "GUID/INDEX", or "unknown app".
func (s Suspect) App() string {
	if s.AppGUID == "" {
		return "unknown app"
	}
	if s.Index == nil {
		return "app " + s.AppGUID
	}
	return fmt.Sprintf("app %s/%d", s.AppGUID, *s.Index)
}

// Summary is the health figures in one line, as `sequester plan` and the
// errand show them for their target.
func (h Health) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d thread(s) in D state", h.DThreads)
	if h.OldestDSeconds > 0 {
		fmt.Fprintf(&b, ", the oldest for %s", (time.Duration(h.OldestDSeconds) * time.Second).String())
	}
	if len(h.Suspects) == 0 {
		b.WriteString("; no suspect container")
	} else {
		var ss []string
		for _, s := range h.Suspects {
			ss = append(ss, fmt.Sprintf("%s (%s, %d thread(s), %s)", s.Container, s.App(), s.DThreads, (time.Duration(s.OldestSeconds)*time.Second).String()))
		}
		fmt.Fprintf(&b, "; suspects: %s", strings.Join(ss, ", "))
	}
	fmt.Fprintf(&b, "; %d hung-task report(s); %d first-responder bundle(s)", h.HungTaskReports, len(h.FirstResponder))
	return b.String()
}

// HungTask is one hung-task report of the kernel.
type HungTask struct {
	At        time.Time `json:"at"`
	Comm      string    `json:"comm"`
	Pid       int       `json:"pid"`
	Seconds   int       `json:"seconds"`
	Container string    `json:"container,omitempty"`
}

// FirstResponderBundle is the evidence captured when a container first
// became a suspect.
type FirstResponderBundle struct {
	Path       string    `json:"path"`
	Container  string    `json:"container"`
	AppGUID    string    `json:"app_guid,omitempty"`
	Index      *int      `json:"index,omitempty"`
	CapturedAt time.Time `json:"captured_at"`
	Bytes      int64     `json:"bytes"`
	// Seconds is how long the capture took.
	Seconds   float64 `json:"seconds"`
	Truncated bool    `json:"truncated,omitempty"`
}
