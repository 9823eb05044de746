package hungtask_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/hungtask"
)

func TestParseKnowsTheKernelsHungTaskReport(t *testing.T) {
	cases := []struct {
		name string
		line string
		want *hungtask.Report
	}{
		{"the kernel's report", "3,1234,5678901,-;INFO: task java:4242 blocked for more than 120 seconds.", &hungtask.Report{Comm: "java", Pid: 4242, Seconds: 120}},
		{"a comm with a colon and spaces", "3,1235,5678902,-;INFO: task kworker/u8:2 x:77 blocked for more than 245 seconds.", &hungtask.Report{Comm: "kworker/u8:2 x", Pid: 77, Seconds: 245}},
		{"the detector's follow-up lines are not reports", "3,1236,5678903,-;\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.", nil},
		{"user space cannot fake one (facility LOG_USER)", "11,1237,5678904,-;INFO: task java:4242 blocked for more than 120 seconds.", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, err := hungtask.ParseRecord(c.line)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := hungtask.Parse(rec)
			if c.want == nil {
				if ok {
					t.Fatalf("parsed %+v, want no report", got)
				}
				return
			}
			if !ok || got != *c.want {
				t.Fatalf("Parse = %+v, %v; want %+v", got, ok, *c.want)
			}
		})
	}
}

// A saved kernel log in the /dev/kmsg format: each kernel report is
// counted once and named by the task's container when it can be.
func TestWatcherCountsReportsAndNamesTheContainer(t *testing.T) {
	proc := t.TempDir()
	for pid, cg := range map[int]string{4242: "4:freezer:/garden/h-stuck\n0::/system.slice\n", 77: "0::/system.slice/xfsaild\n"} {
		dir := filepath.Join(proc, fmt.Sprint(pid))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "cgroup"), []byte(cg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	log := filepath.Join(t.TempDir(), "kmsg")
	content := "6,1,1,-;Linux version 6.1\n" +
		"3,2,2,-;INFO: task java:4242 blocked for more than 120 seconds.\n" +
		" SUBSYSTEM=foo\n" +
		"3,3,3,-;INFO: task xfsaild/dm-0:77 blocked for more than 120 seconds.\n" +
		"12,4,4,-;INFO: task fake:1 blocked for more than 120 seconds.\n"
	if err := os.WriteFile(log, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	var seen []hungtask.Report
	w := &hungtask.Watcher{Path: log, ProcRoot: proc, Logger: lager.NewLogger("test"), OnReport: func(r hungtask.Report) { seen = append(seen, r) }}
	if err := w.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if w.Total() != 2 || len(seen) != 2 || seen[0].Container != "h-stuck" || seen[1].Container != "" || seen[1].Comm != "xfsaild/dm-0" {
		t.Fatalf("total %d, reports %+v", w.Total(), seen)
	}
}

// The real /dev/kmsg: the watcher follows it from its end, reads what the
// kernel appends, and does not count a line written from user space.
func TestWatcherFollowsTheRealKernelLog(t *testing.T) {
	f, err := os.OpenFile(hungtask.DefaultKmsg, os.O_WRONLY, 0)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("/dev/kmsg: %v", err)
		}
		t.Skipf("/dev/kmsg not writable here: %v", err)
	}
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	w := &hungtask.Watcher{Logger: lager.NewLogger("test")}
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	time.Sleep(200 * time.Millisecond)
	// The kernel gives a line written here facility LOG_USER, so this is
	// read and, rightly, not counted as the kernel's own report.
	if _, err := f.WriteString(fmt.Sprintf("<3>INFO: task hungtask-test-%d:1 blocked for more than 120 seconds.\n", os.Getpid())); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if w.Records() < 1 {
		t.Fatal("the line written to /dev/kmsg was not read")
	}
	if w.Total() != 0 {
		t.Fatalf("a user-space line was counted as a kernel report: %+v", w.Recent())
	}
}
