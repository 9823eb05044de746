package dstate

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"

	"code.cloudfoundry.org/lager/v3"
)

func TestScannerDropsTheDescriptorOfAProcessThatExited(t *testing.T) {
	cmd := exec.Command("sleep", "600")
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start sleep: %v", err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	s := New(lager.NewLogger("test"), Config{})
	defer s.Close()
	if _, err := s.Poll(); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.fds[pid]; !ok {
		t.Fatalf("no descriptor kept for live pid %d", pid)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if _, err := s.Poll(); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.fds[pid]; ok {
		t.Fatalf("descriptor of exited pid %d still kept", pid)
	}
}

func TestScannerWithoutKeptDescriptorsStillSeesEveryProcess(t *testing.T) {
	kept := New(lager.NewLogger("test"), Config{})
	none := New(lager.NewLogger("test"), Config{MaxOpenFiles: -1})
	defer kept.Close()
	r1, err := kept.Poll()
	if err != nil {
		t.Fatal(err)
	}
	r2, err := none.Poll()
	if err != nil {
		t.Fatal(err)
	}
	if len(none.fds) != 0 || len(kept.fds) == 0 {
		t.Fatalf("kept %d descriptors with the default and %d with none", len(kept.fds), len(none.fds))
	}
	if r1.Scanned == 0 || r2.Scanned == 0 {
		t.Fatalf("scanned %d and %d processes", r1.Scanned, r2.Scanned)
	}
	var rl syscall.Rlimit
	_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl)
	if uint64(len(kept.fds)) > rl.Cur/4+1 {
		t.Fatalf("kept %d descriptors, over a quarter of the limit %d", len(kept.fds), rl.Cur)
	}
}

func TestThreadScanningReadsTheThreadsOfThisProcess(t *testing.T) {
	s := New(lager.NewLogger("test"), Config{Threads: true})
	if _, err := s.Poll(); err != nil {
		t.Fatal(err)
	}
	self := os.Getpid()
	tids, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	kept := 0
	for _, e := range tids {
		tid, _ := strconv.Atoi(e.Name())
		if _, ok := s.taskFDs[tid]; ok && tid != self {
			kept++
		}
	}
	if len(tids) > 1 && kept == 0 {
		t.Fatalf("none of this process's %d threads was read", len(tids))
	}
	s.Close()
	if len(s.fds) != 0 || len(s.taskFDs) != 0 {
		t.Fatalf("Close left %d process and %d thread descriptors", len(s.fds), len(s.taskFDs))
	}
}
