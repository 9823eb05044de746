package standins_test

import (
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

	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc/gardenrunctest"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/standins"
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
