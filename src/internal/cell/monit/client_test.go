package monit_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/monit"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/standins"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/monitd"
)

func TestMain(m *testing.M) {
	standins.RunIfRequested()
	os.Exit(m.Run())
}

func emitterService(t *testing.T, name string) (monitd.Service, string) {
	dir := t.TempDir()
	pid := filepath.Join(dir, name+".pid")
	reg := filepath.Join(dir, "registrations")
	return monitd.Service{
		Name:    name,
		PidFile: pid,
		Start:   monitd.Background(standins.Command("route-emitter", "--register-file", reg), pid, filepath.Join(dir, name+".log")),
		Stop:    monitd.KillTERM(pid),
	}, reg
}

func newClient(t *testing.T, d *monitd.Daemon) *monit.Client {
	c, err := monit.NewClient(lager.NewLogger("test"), d.Address, d.CredentialsFile)
	if err != nil {
		t.Fatal(err)
	}
	c.PollInterval = 100 * time.Millisecond
	c.Timeout = 30 * time.Second
	return c
}

func TestServicesReportsTheProcessMonitWatches(t *testing.T) {
	monitd.ForEachVersion(t, func(t *testing.T, v monitd.Version) {
		svc, _ := emitterService(t, "route_emitter")
		d := monitd.StartVersion(t, v, svc)
		c := newClient(t, d)
		s, err := c.WaitFor(context.Background(), "route_emitter", monit.Service.Running)
		if err != nil {
			t.Fatalf("%v\n%s", err, d.Log())
		}
		if want := monitd.PidFromFile(svc.PidFile); s.Pid != want {
			t.Fatalf("monit pid = %d, pid file says %d", s.Pid, want)
		}
		if s.Monitor != monit.Monitored || s.Type != 3 {
			t.Fatalf("service = %+v", s)
		}
		if _, err := c.Service(context.Background(), "no_such_job"); !errors.Is(err, monit.ErrNoSuchService) {
			t.Fatalf("unknown service error = %v", err)
		}
	})
}

func TestStopEndsTheProcessAndIsIdempotent(t *testing.T) {
	monitd.ForEachVersion(t, func(t *testing.T, v monitd.Version) {
		svc, _ := emitterService(t, "route_emitter")
		d := monitd.StartVersion(t, v, svc)
		c := newClient(t, d)
		pid := monitd.PidFromFile(svc.PidFile)
		ctx := context.Background()
		for i := 0; i < 2; i++ {
			s, err := c.Stop(ctx, "route_emitter")
			if err != nil {
				t.Fatalf("stop #%d: %v\n%s", i+1, err, d.Log())
			}
			if s.Monitor != monit.NotMonitored {
				t.Fatalf("after stop #%d monitor = %d", i+1, s.Monitor)
			}
		}
		waitDead(t, pid)
		if _, err := c.Start(ctx, "route_emitter"); err != nil {
			t.Fatalf("start: %v\n%s", err, d.Log())
		}
		if np := monitd.PidFromFile(svc.PidFile); np == pid || !monitd.Alive(np) {
			t.Fatalf("start did not run a new process: old %d new %d", pid, np)
		}
	})
}

func TestUnmonitorLeavesTheProcessAloneAndMonitDoesNotRestartIt(t *testing.T) {
	monitd.ForEachVersion(t, func(t *testing.T, v monitd.Version) {
		svc, _ := emitterService(t, "rep")
		d := monitd.StartVersion(t, v, svc)
		c := newClient(t, d)
		pid := monitd.PidFromFile(svc.PidFile)
		if _, err := c.Unmonitor(context.Background(), "rep"); err != nil {
			t.Fatalf("%v\n%s", err, d.Log())
		}
		if !monitd.Alive(pid) {
			t.Fatal("unmonitor stopped the process")
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		waitDead(t, pid)
		// monit polls every second; three cycles would have restarted it.
		time.Sleep(3 * time.Second)
		if np := monitd.PidFromFile(svc.PidFile); np != pid {
			t.Fatalf("monit restarted an unmonitored service: pid %d -> %d", pid, np)
		}
	})
}

func TestBadCredentialsAreAnError(t *testing.T) {
	monitd.ForEachVersion(t, func(t *testing.T, v monitd.Version) {
		svc, _ := emitterService(t, "route_emitter")
		d := monitd.StartVersion(t, v, svc)
		bad := filepath.Join(t.TempDir(), "monit.user")
		if err := os.WriteFile(bad, []byte(d.User+":wrong\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := monit.NewClient(lager.NewLogger("test"), d.Address, bad)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Services(context.Background()); err == nil {
			t.Fatal("status with a wrong password succeeded")
		}
		if err := c.Action(context.Background(), "route_emitter", "stop"); err == nil {
			t.Fatal("stop with a wrong password succeeded")
		}
		if !monitd.Alive(monitd.PidFromFile(svc.PidFile)) {
			t.Fatal("a refused stop stopped the service")
		}
	})
}

func TestNewClientRejectsMalformedCredentials(t *testing.T) {
	cases := map[string]string{
		"no colon":   "vcap\n",
		"empty user": ":secret\n",
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "monit.user")
			if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := monit.NewClient(lager.NewLogger("test"), "127.0.0.1:1", p); err == nil {
				t.Fatal("accepted malformed credentials")
			}
		})
	}
	if _, err := monit.NewClient(lager.NewLogger("test"), "127.0.0.1:1", "/nonexistent"); err == nil {
		t.Fatal("accepted a missing credentials file")
	}
}

func waitDead(t *testing.T, pid int) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if !monitd.Alive(pid) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("process %d still alive", pid)
}

// Where the two monits differ for what the agent does. A stop of a service
// nobody monitors: 5.2.5 (stemcells) runs the stop program, 5.33 answers
// "stop action done" and leaves the process alone, which is why the route
// emitter's stopper makes monit watch such a service before stopping it.
// Both acknowledge an action (5.2.5 with 200, 5.33 with a 302 to the
// service page) and both accept the CSRF token 5.33 requires.
func TestStopOfAnUnmonitoredServiceDependsOnTheMonitVersion(t *testing.T) {
	stops := map[string]bool{"5.2.5": true, "5.33.0": false}
	monitd.ForEachVersion(t, func(t *testing.T, v monitd.Version) {
		svc, _ := emitterService(t, "route_emitter")
		d := monitd.StartVersion(t, v, svc)
		want, known := stops[d.Version]
		if !known {
			t.Fatalf("monit %s: no expectation recorded for this version", d.Version)
		}
		c := newClient(t, d)
		ctx := context.Background()
		pid := monitd.PidFromFile(svc.PidFile)
		if _, err := c.Unmonitor(ctx, "route_emitter"); err != nil {
			t.Fatal(err)
		}
		if err := c.Action(ctx, "route_emitter", "stop"); err != nil {
			t.Fatalf("stop of an unmonitored service: %v", err)
		}
		stopped := false
		for i := 0; i < 50 && !stopped; i++ {
			time.Sleep(100 * time.Millisecond)
			stopped = !monitd.Alive(pid)
		}
		if stopped != want {
			t.Fatalf("monit %s: stop of an unmonitored service stopped it = %v, want %v\n%s", d.Version, stopped, want, d.Log())
		}
	})
}
