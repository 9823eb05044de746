package dstate_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/dstate"
)

// task writes /proc/<pid>/task/<tid>/{stat,cgroup,wchan} and gives the
// process the thread count n.
func (f *fakeProc) task(pid, tid int, comm string, state byte, start int, handle string, n int) {
	dir := filepath.Join(f.proc, fmt.Sprint(pid), "task", fmt.Sprint(tid))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		f.t.Fatal(err)
	}
	stat := fmt.Sprintf("%d (%s) %c 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 %d 0 %d 0 0\n", tid, comm, state, n, start)
	cg := fmt.Sprintf("6:freezer:/garden/%s\n", handle)
	for name, content := range map[string]string{"stat": stat, "cgroup": cg, "wchan": "nfs_wait_bit_killable"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			f.t.Fatal(err)
		}
	}
	main := fmt.Sprintf("%d (java) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 %d 0 5 0 0\n", pid, n)
	if err := os.WriteFile(filepath.Join(f.proc, fmt.Sprint(pid), "stat"), []byte(main), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func TestThreadScanningCatchesAWorkerStuckBehindASleepingMainThread(t *testing.T) {
	for _, threads := range []bool{false, true} {
		t.Run(fmt.Sprintf("threads=%v", threads), func(t *testing.T) {
			f := newFakeProc(t)
			f.process(100, "java", 'S', 5, "app-1")
			f.task(100, 100, "java", 'S', 5, "app-1", 3)
			f.task(100, 101, "C2 CompilerThre", 'S', 6, "app-1", 3)
			f.task(100, 102, "nfs-reader", 'D', 7, "app-1", 3)
			clk := &clock{now: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}
			s := dstate.New(logger(), dstate.Config{ProcRoot: f.proc, CgroupRoot: f.cgroup, SuspectAfter: time.Minute, Threads: threads, Now: clk.Now})
			defer s.Close()
			poll(t, s)
			clk.advance(2 * time.Minute)
			r := poll(t, s)
			if !threads {
				if len(r.D) != 0 || len(r.Suspects) != 0 {
					t.Fatalf("without thread scanning: D %v suspects %v; want none (the main thread sleeps)", r.D, r.Suspects)
				}
				return
			}
			if len(r.D) != 1 || r.D[0].Pid != 102 || r.D[0].Comm != "nfs-reader" || r.D[0].Container != "app-1" || r.D[0].Wchan != "nfs_wait_bit_killable" || r.D[0].Seconds != 120 {
				t.Fatalf("D = %+v; want thread 102 of app-1 for 120s", r.D)
			}
			if len(r.Suspects) != 1 || r.Suspects[0] != "app-1" {
				t.Fatalf("suspects = %v", r.Suspects)
			}
		})
	}
}
