package agent

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/evidence"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/isolation"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/journal"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc/gardenrunctest"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
	"github.com/cloudfoundry-community/cell-sequestration/internal/version"
)

// listOnly is a backend that lists fixed containers and fails every change.
type listOnly []agentapi.Container

func (l listOnly) Name() string { return containers.BackendGarden }
func (l listOnly) List(context.Context) ([]agentapi.Container, error) {
	return append([]agentapi.Container(nil), l...), nil
}
func (l listOnly) Destroy(context.Context, string) ([]string, error) {
	return nil, errors.New("listOnly destroys nothing")
}
func (l listOnly) Freeze(context.Context, string) error {
	return errors.New("listOnly freezes nothing")
}

type stopperFunc func(context.Context) (string, error)

func (f stopperFunc) Stop(ctx context.Context) (string, error) { return f(ctx) }

type isolatorFunc func(context.Context, []agentapi.Container, IsolationOptions) (string, error)

func (f isolatorFunc) Isolate(ctx context.Context, kept []agentapi.Container, opts IsolationOptions) (string, error) {
	return f(ctx, kept, opts)
}

type noEvidence struct{}

func (noEvidence) Capture(context.Context, string) (evidence.Bundle, error) {
	return evidence.Bundle{}, errors.New("no evidence here")
}

type sshReady struct{}

func (sshReady) Check() agentapi.SSHStatus {
	return agentapi.SSHStatus{User: "investigator", Ready: true}
}

// A kept container that is not running, or whose processes cannot be
// found, would fail the sequence only after the rep is dead and every
// other container pruned (prune checks the kept ones still run; isolation
// needs a process to enter). So it is refused before anything changes.
func TestKeepingAContainerThatCannotStayRunningIsRefusedUpFront(t *testing.T) {
	cases := []struct {
		name string
		kept agentapi.Container
		want string
	}{
		{"a stopped container", agentapi.Container{Handle: "stopped", State: containers.StateStopped}, "kept container stopped is stopped, not running"},
		{"a container garden could not describe", agentapi.Container{Handle: "unknown", State: containers.StateUnknown, Pids: []int{os.Getpid()}}, "kept container unknown is unknown, not running"},
		{"a running container with no process found", agentapi.Container{Handle: "lost", State: containers.StateRunning}, "no process of kept container lost was found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j, err := journal.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			touched := ""
			touch := func(what string) stopperFunc {
				return func(context.Context) (string, error) { touched += what + " "; return "", nil }
			}
			a, err := New(Deps{
				CellID:  "cell-1",
				Logger:  lager.NewLogger("test"),
				Journal: j,
				Backend: func(context.Context) (containers.Backend, error) {
					return listOnly{tc.kept, {Handle: "other", State: containers.StateRunning, Pids: []int{1}}}, nil
				},
				RouteEmitter: touch("route-emitter"),
				Rep:          touch("rep"),
				BoshAgent:    touch("bosh-agent"),
				Isolator: isolatorFunc(func(context.Context, []agentapi.Container, IsolationOptions) (string, error) {
					touched += "isolate "
					return "", nil
				}),
				Evidence: noEvidence{},
				SSH:      sshReady{},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			req := agentapi.SequesterRequest{OperationID: "op-1", Keep: agentapi.Keep{Handles: []string{tc.kept.Handle}}, SkipReplacementWait: true}
			if _, err := a.Plan(context.Background(), req); !refusal.Is(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Plan error = %v, want a refusal containing %q", err, tc.want)
			}
			if _, err := a.Sequester(context.Background(), req); !refusal.Is(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Sequester error = %v, want a refusal containing %q", err, tc.want)
			}
			a.Wait()
			if _, ok := j.Current(); ok || touched != "" {
				t.Fatalf("a refused request journaled an operation (%v) or touched %q", ok, touched)
			}
		})
	}
}

// NetworkIsolator must not pass over a running kept container whose
// processes it cannot find: that container may still listen.
func TestNetworkIsolatorFailsOnARunningContainerWithoutProcesses(t *testing.T) {
	kept := agentapi.Container{Handle: "lost", State: containers.StateRunning}
	n := NetworkIsolator{Logger: lager.NewLogger("test"), Backend: func(context.Context) (containers.Backend, error) {
		return listOnly{kept}, nil
	}}
	detail, err := n.Isolate(context.Background(), []agentapi.Container{kept}, IsolationOptions{AllowSources: []string{"10.0.0.0/8"}})
	if err == nil || !strings.Contains(err.Error(), "none of its processes was found") {
		t.Fatalf("Isolate = %q, %v; want an error", detail, err)
	}
	stopped := agentapi.Container{Handle: "dead", State: containers.StateStopped}
	n.Backend = func(context.Context) (containers.Backend, error) { return listOnly{stopped}, nil }
	if detail, err := n.Isolate(context.Background(), []agentapi.Container{stopped}, IsolationOptions{}); err != nil || !strings.Contains(detail, "without processes") {
		t.Fatalf("Isolate of a stopped container = %q, %v; want it left as it is", detail, err)
	}
}

type sshSwitch struct{ ready bool }

func (s *sshSwitch) Check() agentapi.SSHStatus {
	if s.ready {
		return agentapi.SSHStatus{User: "investigator", Ready: true}
	}
	return agentapi.SSHStatus{User: "investigator", Problem: "user investigator is not in group bosh_sshers"}
}

// An operation that failed at stopping the BOSH agent is resumed later by
// posting it again; investigator access checked back then may be gone by
// now, and the BOSH agent is the other way in. Nothing after the stop runs
// before it.
func TestAResumedBoshAgentStopChecksInvestigatorSSHAgain(t *testing.T) {
	dir := t.TempDir()
	j, err := journal.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	req := agentapi.SequesterRequest{OperationID: "op-1", Keep: agentapi.Keep{None: true}, SkipReplacementWait: true}
	now := time.Now()
	if err := j.Begin(journal.NewState("cell-1", req, Steps, now)); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Update(now, func(s *journal.State) {
		s.StartStep(agentapi.StepCheckSSH, now)
		s.EndStep(agentapi.StepCheckSSH, agentapi.StepDone, "", nil, now)
		s.StartStep(agentapi.StepStopBoshAgent, now)
		s.EndStep(agentapi.StepStopBoshAgent, "", "", errors.New("sv: not found"), now)
	}); err != nil {
		t.Fatal(err)
	}
	stops, later := 0, 0
	ssh := &sshSwitch{}
	a, err := New(Deps{
		CellID: "cell-1", Logger: lager.NewLogger("test"), Journal: j,
		Backend:       func(context.Context) (containers.Backend, error) { return listOnly{}, nil },
		RouteEmitter:  stopperFunc(func(context.Context) (string, error) { later++; return "stopped", nil }),
		Rep:           stopperFunc(func(context.Context) (string, error) { later++; return "killed", nil }),
		BoshAgent:     stopperFunc(func(context.Context) (string, error) { stops++; return "down", nil }),
		Evidence:      noEvidence{},
		SSH:           ssh,
		StopBoshAgent: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Sequester(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	a.Wait()
	st, _ := a.Status(context.Background())
	if st.Phase != agentapi.PhaseFailed || stops != 0 || later != 0 || !strings.Contains(st.Error, "investigator SSH is not ready") {
		t.Fatalf("resumed with investigator SSH gone: phase %s, BOSH agent stops %d, later steps %d, error %q", st.Phase, stops, later, st.Error)
	}
	ssh.ready = true
	if _, err := a.Sequester(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	a.Wait()
	// Contained; the cleanup then fails on this test's missing evidence.
	if st, _ := a.Status(context.Background()); stops != 1 || later != 2 || !st.SSH.Ready || st.ContainedAt == nil || st.Version != version.Version {
		t.Fatalf("resumed with investigator SSH back: %+v, BOSH agent stops %d, later steps %d", st, stops, later)
	}
}

// unfreezable is a real backend whose freeze fails, as runc pause does on
// a container with a task stuck in D state (cgroup v1 cannot freeze it).
type unfreezable struct{ containers.Backend }

func (unfreezable) Freeze(context.Context, string) error { return errors.New("unable to freeze") }

// A kept container that cannot be frozen is still cut off, and the
// sequence goes on: failing here would leave the rep dead and every other
// container running unwatched, and posting the operation again would only
// fail the same way.
func TestAFreezeThatFailsLeavesTheKeptContainerIsolatedAndTheStepDone(t *testing.T) {
	f := gardenrunctest.Start(t, gardenrunc.Options{})
	hs, err := f.Create(gardenrunc.Spec{AppGUID: "app-keep"})
	if err != nil {
		t.Fatal(err)
	}
	logger := lager.NewLogger("test")
	ctx := context.Background()
	r := containers.NewRunc(logger, containers.RuncConfig{Root: f.RuncRoot()})
	cs, err := r.List(ctx)
	if err != nil || len(cs) != 1 || cs[0].Handle != hs[0] {
		t.Fatalf("list = %+v, %v", cs, err)
	}
	n := NetworkIsolator{Logger: logger, Backend: func(context.Context) (containers.Backend, error) { return unfreezable{r}, nil }}
	opts := IsolationOptions{Freeze: true, AllowSources: []string{"10.244.0.0/16"}}
	detail, err := n.Isolate(ctx, cs, opts)
	if err != nil || !strings.Contains(detail, "1 could not be frozen and still run") || !strings.Contains(detail, "unable to freeze") {
		t.Fatalf("Isolate = %q, %v; want the step done, saying the freeze failed", detail, err)
	}
	iso, err := isolation.New(logger, nil, isolation.Options{AllowCIDRs: opts.AllowSources})
	if err != nil {
		t.Fatal(err)
	}
	if err := iso.Verify(ctx, cs[0]); err != nil {
		t.Fatalf("the unfrozen kept container is not isolated: %v", err)
	}
}
