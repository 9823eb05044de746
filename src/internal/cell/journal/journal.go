// Package journal keeps the cell-side operation's state on disk, so that an
// agent restarted in the middle of a sequestration resumes where it stopped
// and `sequester status --local` can read it without the network.
package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/steps"
)

// FileName is the state file inside the state directory.
const FileName = "state.json"

// ErrOtherOperation refuses an operation id when another operation already
// owns the cell (running, done or failed): a cell is sequestered once.
var ErrOtherOperation = errors.New("another operation owns this cell")

// State is everything needed to resume: the request, the keep and prune
// sets resolved before anything changed (never re-resolved, since pruning
// and freezing change what a fresh resolution would find), the LRP
// instances to wait for, and the status reported to clients.
type State struct {
	Request agentapi.SequesterRequest `json:"request"`
	Keep    []agentapi.Container      `json:"keep"`
	Prune   []agentapi.Container      `json:"prune"`
	// Awaited are the LRP instances (process guid and index) on this cell
	// about to be pruned, for which a replacement elsewhere is awaited.
	Awaited []LRPInstance   `json:"awaited,omitempty"`
	Status  agentapi.Status `json:"status"`
}

// LRPInstance names one instance of an LRP.
type LRPInstance struct {
	ProcessGUID  string `json:"process_guid"`
	Index        int32  `json:"index"`
	InstanceGUID string `json:"instance_guid,omitempty"`
}

func (l LRPInstance) String() string { return fmt.Sprintf("%s/%d", l.ProcessGUID, l.Index) }

// NewState starts an operation with every step pending.
func NewState(cellID string, req agentapi.SequesterRequest, steps []string, now time.Time) State {
	st := State{Request: req}
	st.Status = agentapi.Status{
		CellID:      cellID,
		OperationID: req.OperationID,
		Phase:       agentapi.PhaseRunning,
		Kept:        []string{},
		Pruned:      []string{},
		UpdatedAt:   now.UTC(),
	}
	for _, name := range steps {
		st.Status.Steps = append(st.Status.Steps, agentapi.Step{Name: name, State: agentapi.StepPending})
	}
	return st
}

// Step returns the named step, or nil.
func (s *State) Step(name string) *agentapi.Step {
	for i := range s.Status.Steps {
		if s.Status.Steps[i].Name == name {
			return &s.Status.Steps[i]
		}
	}
	return nil
}

// Finished tells whether a step needs no (re)run on resume.
func (s *State) Finished(name string) bool {
	st := s.Step(name)
	return st != nil && st.Finished()
}

// StartStep marks a step running. A step found running on resume was
// interrupted; it runs again from the start, which every step allows.
func (s *State) StartStep(name string, now time.Time) {
	if st := s.Step(name); st != nil {
		st.Start(now)
	}
	s.Status.Phase = agentapi.PhaseRunning
	s.Status.Error = ""
}

// EndStep records a step's outcome: done, skipped or failed (err != nil).
func (s *State) EndStep(name, state, detail string, err error, now time.Time) {
	st := s.Step(name)
	if st == nil {
		return
	}
	st.Finish(now, steps.Outcome{Skipped: state == agentapi.StepSkipped, Detail: detail}, err)
	if err != nil {
		s.Status.Phase = agentapi.PhaseFailed
		s.Status.Error = fmt.Sprintf("%s: %v", name, err)
	}
}

// Journal is the state file of one cell. It is safe for concurrent use.
type Journal struct {
	path string
	mu   sync.Mutex
	st   *State
}

// Open reads dir/state.json if it exists; a missing file means no
// operation yet. It creates dir (0700: the file names containers and
// investigators).
func Open(dir string) (*Journal, error) {
	if dir == "" {
		return nil, errors.New("journal: state dir is empty")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	j := &Journal{path: filepath.Join(dir, FileName)}
	st, err := Read(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err == nil {
		j.st = &st
	}
	return j, nil
}

// Read loads the state file of dir without opening a journal (for
// `sequester status --local`). The error wraps os.ErrNotExist when no
// operation was ever journaled.
func Read(dir string) (State, error) {
	var st State
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		return st, fmt.Errorf("journal: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("journal: %s is corrupt: %w", filepath.Join(dir, FileName), err)
	}
	return st, nil
}

// Current returns a copy of the journaled state, if there is one.
func (j *Journal) Current() (State, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.st == nil {
		return State{}, false
	}
	return clone(*j.st), true
}

// Owner tells how an operation id relates to the journal: (false, nil) no
// operation yet; (true, nil) the same operation; ErrOtherOperation otherwise.
func (j *Journal) Owner(operationID string) (same bool, err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.st == nil {
		return false, nil
	}
	if j.st.Request.OperationID == operationID {
		return true, nil
	}
	return false, fmt.Errorf("%w: operation %s is %s", ErrOtherOperation, j.st.Request.OperationID, j.st.Status.Phase)
}

// Begin journals a new operation; it fails if one exists already, so two
// racing requests cannot both start.
func (j *Journal) Begin(st State) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.st != nil {
		if j.st.Request.OperationID == st.Request.OperationID {
			return nil
		}
		return fmt.Errorf("%w: operation %s is %s", ErrOtherOperation, j.st.Request.OperationID, j.st.Status.Phase)
	}
	if err := writeAtomic(j.path, st); err != nil {
		return err
	}
	c := clone(st)
	j.st = &c
	return nil
}

// Update changes the journaled state and writes it before returning; on a
// write error the state in memory is left as it was.
func (j *Journal) Update(now time.Time, f func(*State)) (State, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.st == nil {
		return State{}, errors.New("journal: no operation")
	}
	next := clone(*j.st)
	f(&next)
	next.Status.UpdatedAt = now.UTC()
	if err := writeAtomic(j.path, next); err != nil {
		return clone(*j.st), err
	}
	j.st = &next
	return clone(next), nil
}

// writeAtomic replaces path so that a crash leaves the old or the new
// document, never a torn one: temp file, fsync, rename, fsync the dir.
func writeAtomic(path string, st State) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("journal: encode: %w", err)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".state-*.json")
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			_ = os.Remove(tmp)
		}
	}()
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("journal: write: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("journal: fsync: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	ok = true
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("journal: fsync dir: %w", err)
	}
	return nil
}

// clone deep-copies through JSON: the state is small and this keeps callers
// from sharing slices and maps with the journal.
func clone(st State) State {
	b, err := json.Marshal(st)
	if err != nil {
		panic(fmt.Sprintf("journal: state does not marshal: %v", err))
	}
	var out State
	if err := json.Unmarshal(b, &out); err != nil {
		panic(fmt.Sprintf("journal: state does not unmarshal: %v", err))
	}
	return out
}
