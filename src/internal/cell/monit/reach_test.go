package monit_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/monit"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/monitd"
)

// The firewall case needs a network namespace with the stemcell's rule:
// internal/releasetests (monitfirewall_test.go) rebuilds the stemcell's
// firewall and tests it with the real ctl and agent.
func TestProbeTellsReachableFromDownAndStuck(t *testing.T) {
	monitd.ForEachVersion(t, func(t *testing.T, v monitd.Version) {
		svc, _ := emitterService(t, "route_emitter")
		d := monitd.StartVersion(t, v, svc)
		c := newClient(t, d)
		ctx := context.Background()

		r := c.Probe(ctx)
		if r.Kind != monit.Reachable || !r.Listening || r.Version != d.Version {
			t.Fatalf("running monit: %+v, want reachable, listening, version %s", r, d.Version)
		}

		// SIGSTOP: the kernel still completes connects to monit's listening
		// socket, but nothing answers, as with a monit stuck in D state.
		if err := syscall.Kill(d.Pid(), syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		waitState(t, d.Pid(), 'T')
		r = c.Probe(ctx)
		_, err := c.Services(ctx)
		if err := syscall.Kill(d.Pid(), syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		if r.Kind != monit.Stuck || !strings.Contains(r.Explanation, "does not answer") {
			t.Fatalf("stopped monit: %+v, want stuck", r)
		}
		var ue *monit.UnreachableError
		if !errors.As(err, &ue) || ue.Reach.Kind != monit.Stuck {
			t.Fatalf("status of a stopped monit = %v, want an UnreachableError saying it is stuck", err)
		}

		d.Close()
		r = c.Probe(ctx)
		if r.Kind != monit.Down || r.Listening || !strings.Contains(r.Explanation, "connection refused") {
			t.Fatalf("monit gone: %+v, want down by a refused connection", r)
		}
		err = c.Action(ctx, "route_emitter", "stop")
		if !errors.As(err, &ue) || ue.Reach.Kind != monit.Down || !strings.Contains(err.Error(), "monit is not running") {
			t.Fatalf("stop with monit gone = %v, want an UnreachableError saying monit is down", err)
		}
	})
}

func TestProbeNamesRejectedCredentials(t *testing.T) {
	monitd.ForEachVersion(t, func(t *testing.T, v monitd.Version) {
		svc, _ := emitterService(t, "route_emitter")
		d := monitd.StartVersion(t, v, svc)
		wrong := *d
		wrong.Password = "wrong"
		c := newClient(t, withWrongPassword(t, &wrong))
		if r := c.Probe(context.Background()); r.Kind != monit.CredentialsRejected {
			t.Fatalf("probe with a wrong password = %+v", r)
		}
	})
}

func TestProbeSeesAListenerThatIsNotMonitAsListening(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	d := &monitd.Daemon{Address: l.Addr().String(), User: "vcap", Password: "x"}
	c := newClient(t, withWrongPassword(t, d))
	// Nobody accepts: the kernel's backlog completes the connect, and no
	// answer comes, which is how a stuck monit looks.
	if r := c.Probe(context.Background()); r.Kind != monit.Stuck || !r.Listening {
		t.Fatalf("probe of a silent listener = %+v", r)
	}
}

// withWrongPassword is d with a credentials file of its own holding
// d.User:d.Password.
func withWrongPassword(t *testing.T, d *monitd.Daemon) *monitd.Daemon {
	t.Helper()
	cp := *d
	cp.CredentialsFile = filepath.Join(t.TempDir(), "monit.user")
	if err := os.WriteFile(cp.CredentialsFile, []byte(d.User+":"+d.Password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return &cp
}

// waitState waits until every thread of pid is in state (a signal takes
// effect on each thread as it next runs).
func waitState(t *testing.T, pid int, state byte) {
	t.Helper()
	for i := 0; i < 100; i++ {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
		all := len(tasks) > 0
		for _, task := range tasks {
			b, _ := os.ReadFile(task)
			if i := strings.LastIndexByte(string(b), ')'); i < 0 || i+2 >= len(b) || b[i+2] != state {
				all = false
			}
		}
		if all {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("pid %d never reached state %c", pid, state)
}
