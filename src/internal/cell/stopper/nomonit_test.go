package stopper_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/monit"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/stopper"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/bpmjobs"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/hangs"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/standins"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/monitd"
)

func TestBPMJobNamesFollowBPM(t *testing.T) {
	cases := []struct {
		name, pidFile, root, job, id, lock string
		wantErr                            bool
	}{
		{"the rep", "/var/vcap/sys/run/bpm/rep/rep.pid", "/var/vcap", "rep", "bpm-rep", "/var/vcap/data/bpm/locks/job-bpm-rep.2erep.lock", false},
		{"the route emitter keeps its underscore", "/var/vcap/sys/run/bpm/route_emitter/route_emitter.pid", "/var/vcap", "route_emitter", "bpm-route_emitter", "/var/vcap/data/bpm/locks/job-bpm-route_emitter.2eroute_emitter.lock", false},
		{"a second process of a job joins job and process", "/var/vcap/sys/run/bpm/garden/gdn.pid", "/var/vcap", "garden", "bpm-garden.2egdn", "/var/vcap/data/bpm/locks/job-bpm-garden.2egdn.lock", false},
		{"another root", "/tmp/x/sys/run/bpm/rep/rep.pid", "/tmp/x", "rep", "bpm-rep", "/tmp/x/data/bpm/locks/job-bpm-rep.2erep.lock", false},
		{"a pid file outside bpm's run directory is refused", "/var/vcap/sys/run/rep/rep.pid", "", "", "", "", true},
		{"a file that is no pid file is refused", "/var/vcap/sys/run/bpm/rep/rep", "", "", "", "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j, err := stopper.ParseBPMPidFile(c.pidFile)
			if (err != nil) != c.wantErr {
				t.Fatalf("ParseBPMPidFile = %+v, %v", j, err)
			}
			if c.wantErr {
				return
			}
			if j.Root != c.root || j.Job != c.job || j.ContainerID() != c.id || j.LockFile() != c.lock {
				t.Fatalf("got root %q job %q id %q lock %q", j.Root, j.Job, j.ContainerID(), j.LockFile())
			}
		})
	}
}

func TestInCgroupOfMatchesBPMsCgroupUnderEveryDriver(t *testing.T) {
	cases := []struct {
		name    string
		content string
		want    bool
	}{
		{"cgroupfs without a cgroups path", "12:pids:/bpm-rep\n0::/\n", true},
		{"nested under bpm's own cgroup (cgroup v2)", "0::/system.slice/monit.service/bpm-rep\n", true},
		{"runc's systemd driver default scope", "1:name=systemd:/system.slice/runc-bpm-rep.scope\n", true},
		{"newer bpm's systemd scope", "0::/system.slice/garden-abc-scope-bpm-bpm-rep.scope\n", true},
		{"another job", "12:pids:/bpm-route_emitter\n0::/bpm-route_emitter\n", false},
		{"a job whose name only ends like it", "12:pids:/bpm-prep\n", false},
		{"a garden container", "12:pids:/garden/bpm-rep-lookalike\n", false},
		{"the cell's own services", "0::/system.slice/monit.service\n", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, ok := stopper.InCgroupOf([]byte(c.content), "bpm-rep"); ok != c.want {
				t.Fatalf("InCgroupOf = %v, want %v", ok, c.want)
			}
		})
	}
}

// newBPMCell runs jobs the way bpm does, under a root and cgroups of this
// test's own.
func newBPMCell(t *testing.T) *bpmjobs.Layout {
	t.Helper()
	if err := bpmjobs.Available(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	l, err := bpmjobs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return l
}

func run(t *testing.T, l *bpmjobs.Layout, job string, argv []string) int {
	t.Helper()
	pid, err := l.Start(job, argv, filepath.Join(l.Root, job+".log"))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func waitPid(t *testing.T, pidFile string) int {
	t.Helper()
	for i := 0; i < 200; i++ {
		if pid := monitd.PidFromFile(pidFile); pid > 0 && monitd.Alive(pid) {
			return pid
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("no live pid in %s", pidFile)
	return 0
}

// stuckMonitClient is a monit client whose monit accepts and never answers.
func stuckMonitClient(t *testing.T) *monit.Client {
	t.Helper()
	l, err := hangs.Listen()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	creds := filepath.Join(t.TempDir(), "monit.user")
	if err := os.WriteFile(creds, []byte("vcap:secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cl, err := monit.NewClient(lager.NewLogger("test"), l.Address(), creds)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func testContext(t *testing.T) context.Context {
	// A bound against a test that hangs, not a timing assertion.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	t.Cleanup(stopper.ReleaseRestartGuards)
	return ctx
}

func TestRepWithMonitNotAnsweringIsKilledInItsBPMCgroup(t *testing.T) {
	cases := []struct {
		name string
		// pidFile says what the rep's pid file holds: the rep, another
		// live process (a stale file whose pid was reused), or nothing.
		pidFile string
		detail  string
	}{
		{"the pid file names the rep", "rep", "from its pid file"},
		{"the pid file names another process", "other", "not in bpm's cgroup bpm-rep, so it is left alone"},
		{"the pid file is gone", "none", "names no pid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newBPMCell(t)
			ctx := testContext(t)
			starts := filepath.Join(c.Root, "rep.starts")
			repPid := run(t, c, "rep", standins.Command("rep", "--starts-file", starts))
			other := exec.Command("sleep", "300")
			if err := other.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = other.Process.Kill(); _ = other.Wait() })
			switch tc.pidFile {
			case "other":
				_ = os.WriteFile(c.PidFile("rep"), []byte(strconv.Itoa(other.Process.Pid)), 0o644)
			case "none":
				_ = os.Remove(c.PidFile("rep"))
			}
			s := stopper.Rep{Monit: stuckMonitClient(t), Service: "rep", PidFile: c.PidFile("rep"), Logger: lager.NewLogger("test"),
				MonitDeadline: time.Second, Hold: time.Second, UnmonitorRetry: 100 * time.Millisecond}
			detail, err := s.Stop(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"monit did not answer within 1s", "killed without monit", "SIGKILL", tc.detail, c.LockFile("rep")} {
				if !strings.Contains(detail, want) {
					t.Errorf("detail %q does not say %q", detail, want)
				}
			}
			if monitd.Alive(repPid) {
				t.Errorf("rep pid %d still alive", repPid)
			}
			if !monitd.Alive(other.Process.Pid) {
				t.Error("a process outside the rep's cgroup was killed")
			}
			if b, _ := os.ReadFile(starts); strings.Contains(string(b), "shutdown") {
				t.Errorf("the rep ran its shutdown (it got a catchable signal):\n%s", b)
			}
			if !c.LockHeld("rep") {
				t.Errorf("bpm's lock for the rep is not held: a recovered monit could start it again (%s)", detail)
			}
		})
	}
}

func TestRouteEmitterWithMonitNotAnsweringIsStoppedInItsBPMCgroup(t *testing.T) {
	c := newBPMCell(t)
	ctx := testContext(t)
	reg := filepath.Join(c.Root, "registrations")
	pid := run(t, c, "route_emitter", standins.Command("route-emitter", "--register-file", reg, "--interval", "50ms"))
	s := stopper.RouteEmitter{Monit: stuckMonitClient(t), Service: "route_emitter", PidFile: c.PidFile("route_emitter"),
		Logger: lager.NewLogger("test"), MonitDeadline: time.Second, Timeout: 10 * time.Second, UnmonitorRetry: 100 * time.Millisecond}
	detail, err := s.Stop(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"monit did not answer within 1s", "stopped without monit", "SIGTERM", fmt.Sprintf("pid %d from its pid file", pid), c.LockFile("route_emitter")} {
		if !strings.Contains(detail, want) {
			t.Errorf("detail %q does not say %q", detail, want)
		}
	}
	if monitd.Alive(pid) {
		t.Fatalf("route emitter pid %d alive after %q", pid, detail)
	}
	n := lines(reg)
	time.Sleep(300 * time.Millisecond) // six registration intervals
	if m := lines(reg); m != n {
		t.Fatalf("routes still registered: %d -> %d", n, m)
	}
}

func TestWithoutMonitAJobOutsideBPMIsNotKilled(t *testing.T) {
	ctx := testContext(t)
	sleeper := exec.Command("sleep", "300")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sleeper.Process.Kill(); _ = sleeper.Wait() })
	pidFile := filepath.Join(t.TempDir(), "rep.pid")
	_ = os.WriteFile(pidFile, []byte(strconv.Itoa(sleeper.Process.Pid)), 0o644)
	s := stopper.Rep{Monit: stuckMonitClient(t), Service: "rep", PidFile: pidFile, Logger: lager.NewLogger("test"), MonitDeadline: time.Second}
	_, err := s.Stop(ctx)
	if err == nil || !strings.Contains(err.Error(), "monit did not answer") || !strings.Contains(err.Error(), "not where bpm writes one") {
		t.Fatalf("stop = %v", err)
	}
	if !monitd.Alive(sleeper.Process.Pid) {
		t.Fatal("a process whose cgroup could not be checked was killed")
	}
}

// A real monit, stopped in its tracks (SIGSTOP: the kernel still accepts
// its connections, nobody answers), supervises a rep started the way bpm
// starts it. The rep is killed without monit; when monit runs again it
// finds the rep dead and runs the start program, which waits for bpm's
// lock, and the agent's retries unmonitor the rep: it never starts again.
func TestRepKilledWhileMonitIsStuckStaysDeadWhenMonitRecovers(t *testing.T) {
	c := newBPMCell(t)
	ctx := testContext(t)
	starts := filepath.Join(c.Root, "rep.starts")
	start, err := c.StartProgram("rep", standins.Command("rep", "--starts-file", starts), filepath.Join(c.Root, "rep.log"))
	if err != nil {
		t.Fatal(err)
	}
	d := monitd.Start(t, monitd.Service{
		Name: "rep", PidFile: c.PidFile("rep"),
		Start: start,
		Stop:  monitd.KillTERM(c.PidFile("rep")),
	})
	cl, err := monit.NewClient(lager.NewLogger("test"), d.Address, d.CredentialsFile)
	if err != nil {
		t.Fatal(err)
	}
	repPid := waitPid(t, c.PidFile("rep"))
	monitPid := monitd.PidFromFile(filepath.Join(d.Dir, "monit.pid"))
	if monitPid <= 0 {
		t.Fatal("monit wrote no pid file")
	}
	if err := syscall.Kill(monitPid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	cont := func() { _ = syscall.Kill(monitPid, syscall.SIGCONT) }
	t.Cleanup(cont)

	s := stopper.Rep{Monit: cl, Service: "rep", PidFile: c.PidFile("rep"), Logger: lager.NewLogger("test"),
		MonitDeadline: time.Second, Hold: time.Second, UnmonitorRetry: 200 * time.Millisecond}
	detail, err := s.Stop(ctx)
	if err != nil {
		t.Fatalf("%v\n%s", err, d.Log())
	}
	if !strings.Contains(detail, "killed without monit") || monitd.Alive(repPid) {
		t.Fatalf("rep pid %d alive=%v after %q", repPid, monitd.Alive(repPid), detail)
	}

	cont()
	var svc monit.Service
	for i := 0; i < 600; i++ {
		if svc, err = cl.Service(ctx, "rep"); err == nil && svc.Monitor == monit.NotMonitored && svc.PendingAction == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if svc.Monitor != monit.NotMonitored {
		t.Fatalf("monit still monitors the rep once it answers again: %+v %v\n%s", svc, err, d.Log())
	}
	b, _ := os.ReadFile(starts)
	if n := strings.Count(string(b), "start pid="); n != 1 {
		t.Fatalf("the rep started %d times:\n%s\nmonit:\n%s", n, b, d.Log())
	}
	if pid := monitd.PidFromFile(c.PidFile("rep")); pid != repPid && monitd.Alive(pid) {
		t.Fatalf("a new rep runs as pid %d", pid)
	}
}

// bpm's lock dies with the agent process that held it; a restarted agent
// re-takes it for a job stopped earlier.
func TestRearmTakesBPMsLockAgainOnlyForABPMJob(t *testing.T) {
	c := newBPMCell(t)
	ctx := testContext(t)
	cases := []struct {
		name     string
		pidFile  string
		job      string
		wantLock bool
	}{
		{"a bpm job's lock is taken", c.PidFile("rep"), "rep", true},
		{"a pid file outside bpm's layout takes nothing", filepath.Join(c.Root, "rep.pid"), "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := stopper.Rep{Monit: stuckMonitClient(t), Service: "rep", PidFile: tc.pidFile, Logger: lager.NewLogger("test"), MonitDeadline: time.Second}
			detail := s.Rearm(ctx)
			if tc.wantLock != (detail != "") {
				t.Fatalf("Rearm = %q", detail)
			}
			if tc.wantLock && (!c.LockHeld(tc.job) || !strings.Contains(detail, c.LockFile(tc.job))) {
				t.Fatalf("lock held = %v after %q", c.LockHeld(tc.job), detail)
			}
		})
	}
}
