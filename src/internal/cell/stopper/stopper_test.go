package stopper_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/monit"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/stopper"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/standins"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/monitd"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/runitd"
)

func TestMain(m *testing.M) {
	standins.RunIfRequested()
	os.Exit(m.Run())
}

type cell struct {
	monit        *monitd.Daemon
	client       *monit.Client
	repPid       string
	repStarts    string
	emitterPid   string
	registration string
}

// startCell runs a real monit supervising a rep stand-in (which records
// every start and every shutdown it sees) and a route-emitter stand-in.
func startCell(t *testing.T, v monitd.Version) *cell {
	dir := t.TempDir()
	c := &cell{
		repPid:       filepath.Join(dir, "rep.pid"),
		repStarts:    filepath.Join(dir, "rep.starts"),
		emitterPid:   filepath.Join(dir, "route_emitter.pid"),
		registration: filepath.Join(dir, "registrations"),
	}
	c.monit = monitd.StartVersion(t, v,
		monitd.Service{
			Name: "rep", PidFile: c.repPid,
			Start: monitd.Background(standins.Command("rep", "--starts-file", c.repStarts), c.repPid, filepath.Join(dir, "rep.log")),
			Stop:  monitd.KillTERM(c.repPid),
		},
		monitd.Service{
			Name: "route_emitter", PidFile: c.emitterPid,
			Start: monitd.Background(standins.Command("route-emitter", "--register-file", c.registration, "--interval", "50ms"), c.emitterPid, filepath.Join(dir, "re.log")),
			Stop:  monitd.KillTERM(c.emitterPid),
		},
	)
	var err error
	c.client, err = monit.NewClient(lager.NewLogger("test"), c.monit.Address, c.monit.CredentialsFile)
	if err != nil {
		t.Fatal(err)
	}
	c.client.PollInterval = 100 * time.Millisecond
	for _, name := range []string{"rep", "route_emitter"} {
		if _, err := c.client.WaitFor(context.Background(), name, monit.Service.Running); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, c.monit.Log())
		}
	}
	return c
}

func lines(path string) int {
	b, _ := os.ReadFile(path)
	return strings.Count(string(b), "\n")
}

func TestRouteEmitterStopEndsRegistrationsAndIsIdempotent(t *testing.T) {
	monitd.ForEachVersion(t, func(t *testing.T, v monitd.Version) {
		c := startCell(t, v)
		s := stopper.RouteEmitter{Monit: c.client, Service: "route_emitter", Logger: lager.NewLogger("test")}
		pid := monitd.PidFromFile(c.emitterPid)
		detail, err := s.Stop(context.Background())
		if err != nil {
			t.Fatalf("%v\n%s", err, c.monit.Log())
		}
		if monitd.Alive(pid) {
			t.Fatalf("route emitter pid %d still alive after %q", pid, detail)
		}
		n := lines(c.registration)
		time.Sleep(500 * time.Millisecond) // ten registration intervals
		if m := lines(c.registration); m != n {
			t.Fatalf("routes still registered after stop: %d -> %d", n, m)
		}
		detail, err = s.Stop(context.Background())
		if err != nil || !strings.Contains(detail, "already stopped") {
			t.Fatalf("second stop = %q, %v", detail, err)
		}
	})
}

// Someone (an operator investigating) unmonitored the route emitter: monit
// then reports no pid for it, yet it keeps registering routes. Monit 5.33
// ignores a stop of it ("stop action done", the process untouched), 5.2.5
// runs the stop program; the stopper finds it by its pid file and stops it
// on both.
func TestRouteEmitterStopStopsAnUnmonitoredButRunningEmitter(t *testing.T) {
	monitd.ForEachVersion(t, func(t *testing.T, v monitd.Version) {
		c := startCell(t, v)
		ctx := context.Background()
		pid := monitd.PidFromFile(c.emitterPid)
		if _, err := c.client.Unmonitor(ctx, "route_emitter"); err != nil {
			t.Fatal(err)
		}
		if s, _ := c.client.Service(ctx, "route_emitter"); s.Pid > 0 || !monitd.Alive(pid) {
			t.Fatalf("setup: monit reports %+v, emitter pid %d alive=%v; want no pid from monit and a live emitter", s, pid, monitd.Alive(pid))
		}
		s := stopper.RouteEmitter{Monit: c.client, Service: "route_emitter", PidFile: c.emitterPid, Logger: lager.NewLogger("test"), Timeout: 15 * time.Second}
		detail, err := s.Stop(ctx)
		if err != nil {
			t.Fatalf("%v\n%s", err, c.monit.Log())
		}
		if monitd.Alive(pid) {
			t.Fatalf("route emitter pid %d still alive after %q", pid, detail)
		}
		n := lines(c.registration)
		time.Sleep(500 * time.Millisecond)
		if m := lines(c.registration); m != n {
			t.Fatalf("routes still registered after %q: %d -> %d", detail, n, m)
		}
		if svc, err := c.client.Service(ctx, "route_emitter"); err != nil || svc.Monitor != monit.NotMonitored {
			t.Fatalf("monit afterwards: %+v %v", svc, err)
		}
	})
}

func TestRepStopKillsWithoutShutdownAndMonitDoesNotRestartIt(t *testing.T) {
	monitd.ForEachVersion(t, func(t *testing.T, v monitd.Version) {
		c := startCell(t, v)
		pid := monitd.PidFromFile(c.repPid)
		s := stopper.Rep{Monit: c.client, Service: "rep", PidFile: c.repPid, Logger: lager.NewLogger("test"), Hold: 2500 * time.Millisecond}
		detail, err := s.Stop(context.Background())
		if err != nil {
			t.Fatalf("%v\n%s", err, c.monit.Log())
		}
		if monitd.Alive(pid) {
			t.Fatalf("rep pid %d alive after %q", pid, detail)
		}
		starts, _ := os.ReadFile(c.repStarts)
		if strings.Contains(string(starts), "shutdown") {
			t.Fatalf("the rep ran its shutdown (it got a catchable signal):\n%s", starts)
		}
		if strings.Count(string(starts), "start pid=") != 1 {
			t.Fatalf("the rep was started again:\n%s", starts)
		}
		svc, err := c.client.Service(context.Background(), "rep")
		if err != nil || svc.Monitor != monit.NotMonitored {
			t.Fatalf("monit still monitors the rep: %+v %v", svc, err)
		}
		detail, err = s.Stop(context.Background())
		if err != nil || !strings.Contains(detail, "already stopped") {
			t.Fatalf("second stop = %q, %v", detail, err)
		}
	})
}

func TestRepStopFailsWhenTheRepComesBack(t *testing.T) {
	monitd.ForEachVersion(t, func(t *testing.T, v monitd.Version) {
		c := startCell(t, v)
		s := stopper.Rep{Monit: c.client, Service: "rep", PidFile: c.repPid, Logger: lager.NewLogger("test"), Hold: 20 * time.Second}
		ctx := context.Background()
		done := make(chan error, 1)
		go func() { _, err := s.Stop(ctx); done <- err }()
		// Someone (an operator, a stray `monit start all`) brings it back
		// while the stopper watches.
		deadline := time.Now().Add(15 * time.Second)
		for monitd.Alive(monitd.PidFromFile(c.repPid)) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if _, err := c.client.Start(ctx, "rep"); err != nil {
			t.Fatalf("restart: %v", err)
		}
		if err := <-done; err == nil || !strings.Contains(err.Error(), stopper.ErrRepRestarted.Error()) {
			t.Fatalf("stop error = %v, want it to report the restart", err)
		}
	})
}

func TestBoshAgentUnderRunitStaysDown(t *testing.T) {
	hb := filepath.Join(t.TempDir(), "heartbeats")
	argv := strings.Join(standins.Command("bosh-agent", "--heartbeat-file", hb, "--interval", "50ms"), " ")
	d := runitd.Start(t, "agent", "exec "+argv)
	s := stopper.BoshAgent{Supervisor: stopper.SupervisorAuto, RunitService: d.ServiceDir, Logger: lager.NewLogger("test"), SystemdRunDir: "/nonexistent"}
	if sup, err := s.Detect(); err != nil || sup != stopper.SupervisorRunit {
		t.Fatalf("Detect = %q, %v", sup, err)
	}
	if desc, err := s.Describe(context.Background()); err != nil || !strings.Contains(desc, "runit supervises the BOSH agent (run: ") {
		t.Fatalf("Describe = %q, %v", desc, err)
	}
	detail, err := s.Stop(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d.Status(), "down:") {
		t.Fatalf("sv status = %q after %q", d.Status(), detail)
	}
	if _, err := os.Stat(filepath.Join(d.ServiceDir, "down")); err != nil {
		t.Fatal("no down file: the agent would come back on reboot")
	}
	n := lines(hb)
	time.Sleep(400 * time.Millisecond)
	if m := lines(hb); m != n {
		t.Fatalf("agent still heartbeats: %d -> %d", n, m)
	}
	if detail, err := s.Stop(context.Background()); err != nil || !strings.Contains(detail, "already down") {
		t.Fatalf("second stop = %q, %v", detail, err)
	}
}

// No systemd runs here, so a stand-in systemctl keeps each unit's state
// and properties in files and records its calls. The Noble units name no
// dependency on each other (bosh-linux-stemcell-builder:
// stages/bosh_go_agent/assets/bosh-agent.service, stages/bosh_monit/assets/monit.service).
const standInSystemctl = `#!/bin/sh
dir=$(dirname "$0")
echo "$@" >> "$dir/calls"
case "$1" in
  disable) ;;
  stop) echo inactive > "$dir/$2.state" ;;
  is-active) s=$(cat "$dir/$2.state" 2>/dev/null || echo inactive); echo $s; [ "$s" = active ] ;;
  show)
    # show -p A,B [--value] UNIT
    props=$3; value=""; unit=$4
    if [ "$4" = --value ]; then value=1; unit=$5; fi
    for p in $(echo "$props" | tr , ' '); do
      v=$(cat "$dir/$unit.$p" 2>/dev/null)
      if [ -n "$value" ]; then echo "$v"; else echo "$p=$v"; fi
    done ;;
esac
`

func standInSystemd(t *testing.T, props map[string]string) (stopper.BoshAgent, string) {
	dir := t.TempDir()
	systemctl := filepath.Join(dir, "systemctl")
	files := map[string]string{
		"systemctl": standInSystemctl, "bosh-agent.service.state": "active", "monit.service.state": "active",
		"bosh-agent.service.Names": "bosh-agent.service agent.service",
	}
	for k, v := range props {
		files[k] = v
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	runDir := filepath.Join(dir, "run-systemd")
	if err := os.Mkdir(runDir, 0o755); err != nil {
		t.Fatal(err)
	}
	return stopper.BoshAgent{Supervisor: "auto", RunitService: filepath.Join(dir, "no-sv"), SystemdUnit: "bosh-agent",
		Systemctl: systemctl, SystemdRunDir: runDir, Logger: lager.NewLogger("test")}, dir
}

func TestBoshAgentUnderSystemdIsDisabledThenStoppedAndMonitKeepsRunning(t *testing.T) {
	s, dir := standInSystemd(t, nil)
	desc, err := s.Describe(context.Background())
	if err != nil || !strings.Contains(desc, "systemd runs the BOSH agent as bosh-agent.service (active)") {
		t.Fatalf("Describe = %q, %v", desc, err)
	}
	_ = os.Remove(filepath.Join(dir, "calls"))
	detail, err := s.Stop(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(detail, "monit.service still active") {
		t.Fatalf("detail = %q, want it to say monit.service still runs", detail)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "calls"))
	var order []string
	for _, l := range strings.Split(strings.TrimSpace(string(got)), "\n") {
		if !strings.HasPrefix(l, "show ") {
			order = append(order, l)
		}
	}
	want := []string{"disable bosh-agent.service", "stop bosh-agent.service", "is-active bosh-agent.service", "is-active monit.service"}
	if strings.Join(order, "; ") != strings.Join(want, "; ") {
		t.Fatalf("systemctl calls:\n%s\nwant, besides show: %q", got, want)
	}
}

func TestBoshAgentStopRefusesWhenMonitWouldStopWithIt(t *testing.T) {
	cases := []struct {
		name  string
		props map[string]string
		want  string
	}{
		{"monit part of the agent's unit", map[string]string{"monit.service.PartOf": "bosh-agent.service"}, "PartOf=bosh-agent.service"},
		{"monit bound to the agent's alias", map[string]string{"monit.service.BindsTo": "agent.service"}, "BindsTo=agent.service"},
		{"the agent propagating its stop to monit", map[string]string{"bosh-agent.service.PropagatesStopTo": "monit.service"}, "PropagatesStopTo=monit.service"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, dir := standInSystemd(t, tc.props)
			if _, err := s.Describe(context.Background()); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Describe = %v, want a refusal naming %s", err, tc.want)
			}
			if _, err := s.Stop(context.Background()); err == nil || !strings.Contains(err.Error(), "would stop monit.service too") {
				t.Fatalf("Stop = %v, want a refusal", err)
			}
			calls, _ := os.ReadFile(filepath.Join(dir, "calls"))
			if strings.Contains(string(calls), "disable") || strings.Contains(string(calls), "stop bosh-agent") {
				t.Fatalf("the agent's unit was touched:\n%s", calls)
			}
		})
	}
}

func TestBoshAgentSupervisorDetection(t *testing.T) {
	cases := []struct {
		name       string
		supervisor string
		runit      bool
		systemd    bool
		want       string
		wantErr    bool
	}{
		{"explicit runit", "runit", false, false, "runit", false},
		{"explicit systemd", "systemd", true, false, "systemd", false},
		{"auto prefers a runit service", "auto", true, true, "runit", false},
		{"auto falls back to systemd", "auto", false, true, "systemd", false},
		{"auto with neither is an error", "auto", false, false, "", true},
		{"unknown supervisor is an error", "upstart", true, true, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			sv := filepath.Join(dir, "sv", "agent")
			if tc.runit {
				_ = os.MkdirAll(sv, 0o755)
				_ = os.WriteFile(filepath.Join(sv, "run"), []byte("#!/bin/sh\n"), 0o755)
			}
			run := filepath.Join(dir, "systemd")
			if tc.systemd {
				_ = os.Mkdir(run, 0o755)
			}
			got, err := stopper.BoshAgent{Supervisor: tc.supervisor, RunitService: sv, SystemdRunDir: run}.Detect()
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("Detect = %q, %v", got, err)
			}
		})
	}
}

func TestRepStopRefusesWhenThePidFileAndMonitDisagree(t *testing.T) {
	monitd.ForEachVersion(t, func(t *testing.T, v monitd.Version) {
		c := startCell(t, v)
		repPid := monitd.PidFromFile(c.repPid)
		other := exec.Command("sleep", "300")
		if err := other.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = other.Process.Kill(); _ = other.Wait() })
		stale := filepath.Join(t.TempDir(), "rep.pid")
		if err := os.WriteFile(stale, []byte(strconv.Itoa(other.Process.Pid)), 0o644); err != nil {
			t.Fatal(err)
		}
		s := stopper.Rep{Monit: c.client, Service: "rep", PidFile: stale, Logger: lager.NewLogger("test"), Hold: time.Second}
		if _, err := s.Stop(context.Background()); err == nil || !strings.Contains(err.Error(), "check which is the rep") {
			t.Fatalf("stop = %v", err)
		}
		if !monitd.Alive(other.Process.Pid) || !monitd.Alive(repPid) {
			t.Fatal("a process was killed although the rep's pid was ambiguous")
		}
		if svc, err := c.client.Service(context.Background(), "rep"); err != nil || svc.Monitor != monit.Monitored {
			t.Fatalf("the rep was unmonitored: %+v %v", svc, err)
		}
	})
}

// A stop that cannot reach monit says why in the step's error, naming the
// fix: here monit is gone, so the connection is refused.
func TestAStopThatCannotReachMonitSaysWhy(t *testing.T) {
	monitd.ForEachVersion(t, func(t *testing.T, v monitd.Version) {
		c := startCell(t, v)
		c.monit.Close()
		for _, s := range []interface {
			Stop(context.Context) (string, error)
		}{
			stopper.RouteEmitter{Monit: c.client, Service: "route_emitter", PidFile: c.emitterPid, Logger: lager.NewLogger("test")},
			stopper.Rep{Monit: c.client, Service: "rep", PidFile: c.repPid, Logger: lager.NewLogger("test")},
		} {
			_, err := s.Stop(context.Background())
			var ue *monit.UnreachableError
			if !errors.As(err, &ue) || ue.Reach.Kind != monit.Down || !strings.Contains(err.Error(), "monit is not running; start it") {
				t.Fatalf("%T.Stop with monit gone = %v, want it to say monit is down and how to start it", s, err)
			}
		}
	})
}
