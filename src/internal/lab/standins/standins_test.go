package standins_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gclient "code.cloudfoundry.org/garden/client"
	"code.cloudfoundry.org/garden/client/connection"
	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/monit"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc/gardenrunctest"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/standins"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/monitd"
)

func TestMain(m *testing.M) {
	standins.RunIfRequested()
	os.Exit(m.Run())
}

func start(t *testing.T, argv []string) (*exec.Cmd, <-chan error) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { _ = cmd.Process.Kill() }) })
	return cmd, exited
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting: %s", what)
}

func TestTheRepStandInDestroysOwnedContainersOnStartAndEveryContainerOnSIGTERM(t *testing.T) {
	f := gardenrunctest.Start(t, gardenrunc.Options{})
	hs, err := f.Create(gardenrunc.Spec{AppGUID: "app-a"}, gardenrunc.Spec{AppGUID: "app-b", Owner: "someone-else"})
	if err != nil {
		t.Fatal(err)
	}
	g := gclient.New(connection.New("unix", f.Socket()))
	listed := func() map[string]bool {
		cs, err := g.Containers(nil)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, c := range cs {
			out[c.Handle()] = true
		}
		return out
	}
	starts := filepath.Join(t.TempDir(), "starts")
	cmd, exited := start(t, standins.Command("rep", "--garden-socket", f.Socket(), "--starts-file", starts))
	eventually(t, "start cleanup", func() bool { l := listed(); return !l[hs[0]] && l[hs[1]] })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-exited; err != nil {
		t.Fatalf("rep stand-in exited with %v", err)
	}
	if l := listed(); len(l) != 0 {
		t.Fatalf("containers left after SIGTERM: %v", l)
	}
	b, _ := os.ReadFile(starts)
	if !strings.Contains(string(b), "start pid=") || !strings.Contains(string(b), "destroyed="+hs[1]) {
		t.Fatalf("starts file:\n%s", b)
	}
}

func TestTheRouteEmitterStandInRegistersUntilStoppedAndNeverUnregisters(t *testing.T) {
	var mu sync.Mutex
	methods := map[string]int{}
	router := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		mu.Lock()
		methods[r.Method]++
		mu.Unlock()
	}))
	t.Cleanup(router.Close)
	posts := func() int { mu.Lock(); defer mu.Unlock(); return methods[http.MethodPost] }
	cmd, exited := start(t, standins.Command("route-emitter", "--router-url", router.URL, "--interval", "20ms"))
	eventually(t, "registrations", func() bool { return posts() >= 3 })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-exited; err != nil {
		t.Fatalf("exit: %v", err)
	}
	n := posts()
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if methods[http.MethodPost] != n || len(methods) != 1 {
		t.Fatalf("requests after stop or other than registrations: %v", methods)
	}
}

func TestAStandInExitsWhenTheProcessThatStartedItIsGone(t *testing.T) {
	owner := exec.Command("sleep", "300")
	if err := owner.Start(); err != nil {
		t.Fatal(err)
	}
	reaped := make(chan struct{})
	go func() { _ = owner.Wait(); close(reaped) }()
	hb := filepath.Join(t.TempDir(), "hb")
	self, _ := os.Executable()
	_, exited := start(t, []string{"/usr/bin/env", standins.EnvVar + "=1", self, "bosh-agent", "--exit-with=" + strconv.Itoa(owner.Process.Pid), "--heartbeat-file", hb})
	eventually(t, "heartbeats", func() bool { b, _ := os.ReadFile(hb); return len(b) > 0 })
	_ = owner.Process.Kill()
	<-reaped
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 3 {
			t.Fatalf("exit = %v, want code 3", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("stand-in outlived its owner")
	}
}

// The hazard the contain phase's order exists for: a job the agent
// unmonitored and killed (as it does the rep, to keep its containers) is
// started again by the BOSH agent as soon as a deploy applies to the
// instance; before that, the stand-in leaves it alone.
func TestTheBoshAgentStandInStartsEveryMonitJobAgainWhenADeployApplies(t *testing.T) {
	if _, err := exec.LookPath("monit"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("monit not installed (CI is set: not skipping)")
		}
		t.Skip("monit not installed")
	}
	dir := t.TempDir()
	jobPid := filepath.Join(dir, "job.pid")
	m := monitd.Start(t, monitd.Service{
		Name: "job", PidFile: jobPid,
		Start: monitd.Background(standins.Command("route-emitter", "--interval", "1s"), jobPid, filepath.Join(dir, "job.log")),
		Stop:  monitd.KillTERM(jobPid),
	})
	var mu sync.Mutex
	applies := 0
	director := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		_, _ = w.Write([]byte(`{"applies":` + strconv.Itoa(applies) + `}`))
	}))
	t.Cleanup(director.Close)
	appliesFile := filepath.Join(dir, "applies")
	_, _ = start(t, standins.Command("bosh-agent", "--heartbeat-url", director.URL, "--interval", "20ms",
		"--monit-address", m.Address, "--monit-credentials", m.CredentialsFile, "--applies-file", appliesFile))

	client, err := monit.NewClient(lager.NewLogger("test"), m.Address, m.CredentialsFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first := monitd.PidFromFile(jobPid)
	if _, err := client.Unmonitor(ctx, "job"); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(syscall.Kill(first, syscall.SIGKILL))
	time.Sleep(300 * time.Millisecond)
	if b, _ := os.ReadFile(appliesFile); len(b) != 0 || monitd.Alive(monitd.PidFromFile(jobPid)) {
		t.Fatalf("the job came back without an apply (applies file %q)", b)
	}
	mu.Lock()
	applies = 1
	mu.Unlock()
	eventually(t, "the job started again after the apply", func() bool {
		s, err := client.Service(ctx, "job")
		pid := monitd.PidFromFile(jobPid)
		return err == nil && s.Monitor == monit.Monitored && pid != first && monitd.Alive(pid)
	})
	if b, _ := os.ReadFile(appliesFile); !strings.Contains(string(b), "apply n=1") || !strings.Contains(string(b), "started=job") {
		t.Fatalf("applies file: %q", b)
	}
}
