// Package record keeps the sequestration record in the BOSH director's
// configs API, where it outlives the errand VM and the operator's jumpbox
// session: one config per sequestered instance, of a type of our own, written
// with expected_latest_id so that two writers never lose each other's update.
package record

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/steps"
)

// DefaultType is the director config type holding records.
const DefaultType = "sequestration"

// Record states.
const (
	StateInProgress = "in-progress"
	StateComplete   = "complete"
	StateFailed     = "failed"
	StateReleased   = "released"
)

// Step states: the agent's words, so a report reads the same on both sides.
const (
	StepPending = agentapi.StepPending
	StepRunning = agentapi.StepRunning
	StepDone    = agentapi.StepDone
	StepFailed  = agentapi.StepFailed
	StepSkipped = agentapi.StepSkipped
)

// Resurrection modes: how resurrection was paused.
const (
	ResurrectionScoped = "scoped"
	ResurrectionGlobal = "global"
)

// Record is one sequestration, from the request to its release.
type Record struct {
	ID          string `json:"id"`
	RequestedBy string `json:"requested_by,omitempty"`
	Reason      string `json:"reason,omitempty"`
	CaseID      string `json:"case_id,omitempty"`

	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	ReleasedAt *time.Time `json:"released_at,omitempty"`

	Deployment    string `json:"deployment"`
	InstanceGroup string `json:"instance_group"`
	InstanceID    string `json:"instance_id"`

	// What the instance was before: the sequestered VM.
	OldIP   string `json:"old_ip"`
	VMCID   string `json:"vm_cid"`
	AgentID string `json:"agent_id,omitempty"`
	AZ      string `json:"az,omitempty"`
	Network string `json:"network,omitempty"`

	Reservation  Reservation  `json:"reservation"`
	Resurrection Resurrection `json:"resurrection"`

	Steps []Step `json:"steps"`

	// What the instance is after: the replacement VM.
	NewIP    string `json:"new_ip,omitempty"`
	NewVMCID string `json:"new_vm_cid,omitempty"`

	// OtherVMs is GROUP/ID -> VM cid of every other instance before we
	// changed anything: the proof that the redeploy touched only ours.
	OtherVMs map[string]string `json:"other_vms,omitempty"`
	// Keep is the keep list the agent was given.
	Keep agentapi.Keep `json:"keep"`
	// BoshAgent is what we know of the sequestered VM's BOSH agent:
	// running, stopped or unknown (decides whether resurrection may be
	// restored after a failure).
	BoshAgent string              `json:"bosh_agent,omitempty"`
	SSH       *agentapi.SSHStatus `json:"ssh,omitempty"`
	// ContainedAt is when the cell reported its contain phase done (BOSH
	// agent stopped, routes withdrawn, rep dead, kept containers
	// isolated), by the cell's clock.
	ContainedAt *time.Time `json:"contained_at,omitempty"`

	// Verification is what the consumer-side checks saw.
	Verification []string `json:"verification,omitempty"`

	Kept     []string `json:"kept,omitempty"`
	Pruned   []string `json:"pruned,omitempty"`
	Evidence string   `json:"evidence,omitempty"`
	// CellSteps are the agent's own steps on the cell as it last reported
	// them, so the record tells where a cell side stopped.
	CellSteps []agentapi.Step `json:"cell_steps,omitempty"`
	// NoReplacement lists app instances BBS had not run elsewhere when
	// they were pruned; PruneFailures what could not be removed.
	NoReplacement []string          `json:"no_replacement,omitempty"`
	PruneFailures map[string]string `json:"prune_failures,omitempty"`
	// PruneLeftovers: what the backend could not free around a pruned
	// container (the runc fallback leaves garden's records behind).
	PruneLeftovers map[string][]string `json:"prune_leftovers,omitempty"`
	// Quarantined says how each container that could not be pruned was
	// isolated instead, or that it could not be.
	Quarantined map[string]string `json:"quarantined,omitempty"`

	State string `json:"state"`
	Error string `json:"error,omitempty"`
	// Warnings are things an operator must act on (resurrection left
	// paused, drift found by list).
	Warnings []string `json:"warnings,omitempty"`
}

// Reservation is where the old IP was reserved.
type Reservation struct {
	CloudConfig string `json:"cloud_config,omitempty"`
	// ConfigIDBefore and ConfigIDAfter are the cloud config versions around
	// our edit, for the audit trail (the deploy is pinned to the configs its
	// diff was checked against).
	ConfigIDBefore string `json:"config_id_before,omitempty"`
	ConfigIDAfter  string `json:"config_id_after,omitempty"`
	// Added is true when we wrote the entry; false when an operator's entry
	// already covered the IP (release then leaves it alone).
	Added bool `json:"added"`
	// CreatedKey: the subnet had no reserved key before our edit.
	CreatedKey bool `json:"created_key,omitempty"`
	// FromString: the subnet's reserved was one string before our edit
	// turned it into a list; release gives the string back.
	FromString bool   `json:"from_string,omitempty"`
	CoveredBy  string `json:"covered_by,omitempty"`
	Removed    bool   `json:"removed,omitempty"`
}

// Resurrection is the state before we paused it and how we did.
type Resurrection struct {
	// GlobalPausedBefore is GET /resurrection before we touched anything.
	GlobalPausedBefore bool `json:"global_paused_before"`
	// GlobalUnknown: the director has no GET /resurrection, so the global
	// switch's prior value is unknown and the global switch is never used.
	GlobalUnknown bool `json:"global_unknown,omitempty"`
	// Mode is scoped (a resurrection config excluding the instance group)
	// or global (PUT /resurrection).
	Mode string `json:"mode,omitempty"`
	// ConfigName is the resurrection config we created (scoped mode).
	ConfigName string     `json:"config_name,omitempty"`
	PausedAt   *time.Time `json:"paused_at,omitempty"`
	RestoredAt *time.Time `json:"restored_at,omitempty"`
	// LeftPaused is set after a failure inside the unsafe window.
	LeftPaused bool `json:"left_paused,omitempty"`
	// Bridge: in scoped mode we also paused the global switch, which the
	// director reads on every scan-and-fix request, to cover the minute
	// until the health monitor reads the scoped rule; BridgeEndedAt is
	// when the global switch went back to its prior value.
	Bridge        bool       `json:"bridge,omitempty"`
	BridgeEndedAt *time.Time `json:"bridge_ended_at,omitempty"`
}

// BridgeSeconds is how long the global switch bridged the scoped rule's
// re-read (0 when there was no bridge or it has not ended).
func (r Resurrection) BridgeSeconds() float64 {
	if !r.Bridge || r.PausedAt == nil || r.BridgeEndedAt == nil {
		return 0
	}
	return r.BridgeEndedAt.Sub(*r.PausedAt).Seconds()
}

// Step is one step of the director-side flow.
type Step = steps.Step

// Instance is GROUP/ID.
func (r *Record) Instance() string { return r.InstanceGroup + "/" + r.InstanceID }

// Step returns the named step, adding it as pending when absent.
func (r *Record) Step(name string) *Step {
	for i := range r.Steps {
		if r.Steps[i].Name == name {
			return &r.Steps[i]
		}
	}
	r.Steps = append(r.Steps, Step{Name: name, State: StepPending})
	return &r.Steps[len(r.Steps)-1]
}

// Done reports whether the named step finished.
func (r *Record) Done(name string) bool {
	for _, s := range r.Steps {
		if s.Name == name {
			return s.State == StepDone || s.State == StepSkipped
		}
	}
	return false
}

// Active reports whether the record still holds a VM out of BOSH's hands
// (it counts towards max_sequestered and blocks a second sequestration of
// the same instance).
func (r *Record) Active() bool { return r.State != StateReleased }

// NewID returns a random id for a new record; it is also the operation id
// the agent sees, so a resumed run drives the same cell-side operation.
func NewID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "seq-" + hex.EncodeToString(b)
}
