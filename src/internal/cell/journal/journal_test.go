package journal_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/journal"
)

var steps = []string{agentapi.StepWithdrawRoutes, agentapi.StepStopRep, agentapi.StepPruneContainers}

func TestAReopenedJournalResumesWithDoneStepsDoneAndTheInterruptedOneRunning(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	j, err := journal.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	req := agentapi.SequesterRequest{OperationID: "op-1", Keep: agentapi.Keep{Handles: []string{"keep-me"}}}
	st := journal.NewState("cell-1", req, steps, now)
	st.Keep = []agentapi.Container{{Handle: "keep-me"}}
	st.Prune = []agentapi.Container{{Handle: "prune-me"}}
	if err := j.Begin(st); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Update(now, func(s *journal.State) {
		s.StartStep(agentapi.StepWithdrawRoutes, now)
		s.EndStep(agentapi.StepWithdrawRoutes, agentapi.StepDone, "route_emitter stopped", nil, now.Add(time.Second))
		s.StartStep(agentapi.StepStopRep, now.Add(2*time.Second))
	}); err != nil {
		t.Fatal(err)
	}

	again, err := journal.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := again.Current()
	if !ok {
		t.Fatal("reopened journal has no operation")
	}
	if got.Request.OperationID != "op-1" || got.Keep[0].Handle != "keep-me" || got.Prune[0].Handle != "prune-me" {
		t.Fatalf("resumed state lost the resolved sets: %+v", got)
	}
	if !got.Finished(agentapi.StepWithdrawRoutes) {
		t.Fatal("a done step would run again")
	}
	if got.Finished(agentapi.StepStopRep) || got.Step(agentapi.StepStopRep).State != agentapi.StepRunning {
		t.Fatalf("interrupted step = %+v", got.Step(agentapi.StepStopRep))
	}
	if d := got.Step(agentapi.StepWithdrawRoutes); d.StartedAt == nil || d.FinishedAt == nil || d.Detail == "" {
		t.Fatalf("step times or detail lost: %+v", d)
	}
}

func TestOwnershipOfTheCell(t *testing.T) {
	cases := []struct {
		name     string
		existing string
		asked    string
		wantSame bool
		wantErr  error
	}{
		{"no operation yet", "", "op-1", false, nil},
		{"same operation resumes", "op-1", "op-1", true, nil},
		{"another operation is refused", "op-1", "op-2", false, journal.ErrOtherOperation},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j, err := journal.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if tc.existing != "" {
				if err := j.Begin(journal.NewState("c", agentapi.SequesterRequest{OperationID: tc.existing}, steps, time.Now())); err != nil {
					t.Fatal(err)
				}
			}
			same, err := j.Owner(tc.asked)
			if same != tc.wantSame || !errors.Is(err, tc.wantErr) {
				t.Fatalf("Owner(%q) = %v, %v", tc.asked, same, err)
			}
			err = j.Begin(journal.NewState("c", agentapi.SequesterRequest{OperationID: tc.asked}, steps, time.Now()))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Begin(%q) = %v", tc.asked, err)
			}
			cur, _ := j.Current()
			want := tc.existing
			if want == "" {
				want = tc.asked
			}
			if cur.Request.OperationID != want {
				t.Fatalf("journal now owned by %q, want %q", cur.Request.OperationID, want)
			}
		})
	}
}

func TestAFailedStepFailsTheOperationAndARerunClearsTheError(t *testing.T) {
	j, err := journal.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := j.Begin(journal.NewState("c", agentapi.SequesterRequest{OperationID: "op"}, steps, now)); err != nil {
		t.Fatal(err)
	}
	st, err := j.Update(now, func(s *journal.State) {
		s.StartStep(agentapi.StepWithdrawRoutes, now)
		s.EndStep(agentapi.StepWithdrawRoutes, agentapi.StepDone, "", errors.New("monit unreachable"), now)
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Status.Phase != agentapi.PhaseFailed || st.Step(agentapi.StepWithdrawRoutes).State != agentapi.StepFailed || st.Status.Error == "" {
		t.Fatalf("failure not recorded: %+v", st.Status)
	}
	st, _ = j.Update(now, func(s *journal.State) { s.StartStep(agentapi.StepWithdrawRoutes, now) })
	if st.Status.Phase != agentapi.PhaseRunning || st.Status.Error != "" || st.Step(agentapi.StepWithdrawRoutes).Error != "" {
		t.Fatalf("re-run kept the old failure: %+v", st.Status)
	}
}

func TestWritesLeaveNoTempFilesAndAFailedWriteKeepsTheOldState(t *testing.T) {
	dir := t.TempDir()
	j, err := journal.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := j.Begin(journal.NewState("c", agentapi.SequesterRequest{OperationID: "op"}, steps, now)); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != journal.FileName {
		t.Fatalf("state dir holds %v", entries)
	}
	// A read-only directory makes the next write fail (root ignores mode
	// bits, so replace the directory with a file instead).
	if err := os.Rename(dir, dir+".moved"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir + ".moved"); os.RemoveAll(dir) })
	if err := os.WriteFile(dir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Update(now, func(s *journal.State) { s.Status.Kept = []string{"x"} }); err == nil {
		t.Fatal("update into a missing directory succeeded")
	}
	cur, _ := j.Current()
	if len(cur.Status.Kept) != 0 {
		t.Fatalf("failed write changed the state in memory: %v", cur.Status.Kept)
	}
}

func TestReadOfACorruptOrMissingFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := journal.Read(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file error = %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, journal.FileName), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := journal.Read(dir); err == nil {
		t.Fatal("corrupt file read without error")
	}
	if _, err := journal.Open(dir); err == nil {
		t.Fatal("corrupt journal opened without error")
	}
}
