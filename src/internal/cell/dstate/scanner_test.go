package dstate_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/dstate"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc/gardenrunctest"
)

// fakeProc is a /proc and /sys/fs/cgroup in a temp dir.
type fakeProc struct {
	t            *testing.T
	proc, cgroup string
}

func newFakeProc(t *testing.T) *fakeProc {
	d := t.TempDir()
	return &fakeProc{t: t, proc: filepath.Join(d, "proc"), cgroup: filepath.Join(d, "cgroup")}
}

func (f *fakeProc) process(pid int, comm string, state byte, start int, handle string) {
	dir := filepath.Join(f.proc, fmt.Sprint(pid))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		f.t.Fatal(err)
	}
	stat := fmt.Sprintf("%d (%s) %c 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 %d 0 0\n", pid, comm, state, start)
	cg := "6:freezer:/\n0::/\n"
	if handle != "" {
		cg = fmt.Sprintf("6:freezer:/garden/%s\n0::/garden/%s\n", handle, handle)
	}
	for name, content := range map[string]string{"stat": stat, "cgroup": cg, "wchan": "io_schedule"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			f.t.Fatal(err)
		}
	}
}

func (f *fakeProc) exit(pid int) { os.RemoveAll(filepath.Join(f.proc, fmt.Sprint(pid))) }

func (f *fakeProc) freezer(handle, state string) {
	dir := filepath.Join(f.cgroup, "freezer", "garden", handle)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "freezer.state"), []byte(state+"\n"), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

type clock struct{ now time.Time }

func (c *clock) Now() time.Time          { return c.now }
func (c *clock) advance(d time.Duration) { c.now = c.now.Add(d) }
func logger() lager.Logger               { return lager.NewLogger("test") }
func poll(t *testing.T, s *dstate.Scanner) dstate.Report {
	t.Helper()
	r, err := s.Poll()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestScannerTracksHowLongAProcessStaysInD(t *testing.T) {
	type step struct {
		advance  time.Duration
		setup    func(f *fakeProc)
		suspects []string
		dPids    []int
		// seconds of pid 100 in D, when listed
		seconds float64
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{
			name: "a container process stuck past the threshold makes its container a suspect",
			steps: []step{
				{setup: func(f *fakeProc) { f.process(100, "java", 'D', 5, "app-1"); f.process(101, "sleep", 'S', 5, "app-2") }, dPids: []int{100}},
				{advance: 60 * time.Second, dPids: []int{100}, seconds: 60},
				{advance: 60 * time.Second, suspects: []string{"app-1"}, dPids: []int{100}, seconds: 120},
			},
		},
		{
			name: "a process that leaves D starts over when it returns",
			steps: []step{
				{setup: func(f *fakeProc) { f.process(100, "java", 'D', 5, "app-1") }, dPids: []int{100}},
				{advance: 90 * time.Second, setup: func(f *fakeProc) { f.process(100, "java", 'S', 5, "app-1") }},
				{advance: 90 * time.Second, setup: func(f *fakeProc) { f.process(100, "java", 'D', 5, "app-1") }, dPids: []int{100}, seconds: 0},
				{advance: 60 * time.Second, dPids: []int{100}, seconds: 60},
			},
		},
		{
			name: "a reused pid is a new process",
			steps: []step{
				{setup: func(f *fakeProc) { f.process(100, "java", 'D', 5, "app-1") }, dPids: []int{100}},
				// Through a kept descriptor the kernel answers ESRCH and the new
				// process is opened afresh; the fake rewrites the file in place,
				// which shows the scanner the same thing: a new start time.
				{advance: 110 * time.Second, setup: func(f *fakeProc) { f.process(100, "other", 'D', 9999, "app-1") }, dPids: []int{100}, seconds: 0},
			},
		},
		{
			name: "a container the agent froze is never a suspect however long it is frozen",
			steps: []step{
				{setup: func(f *fakeProc) { f.process(100, "java", 'D', 5, "app-1"); f.freezer("app-1", "FROZEN") }, dPids: []int{100}},
				{advance: 300 * time.Second, dPids: []int{100}, seconds: 0},
			},
		},
		{
			name: "a container frozen by someone else is a suspect like any stuck one",
			steps: []step{
				{setup: func(f *fakeProc) { f.process(100, "java", 'D', 5, "app-2"); f.freezer("app-2", "FROZEN") }, dPids: []int{100}},
				{advance: 130 * time.Second, suspects: []string{"app-2"}, dPids: []int{100}, seconds: 130},
			},
		},
		{
			name: "a container the agent froze counts from the thaw",
			steps: []step{
				{setup: func(f *fakeProc) { f.process(100, "java", 'D', 5, "app-1"); f.freezer("app-1", "FROZEN") }, dPids: []int{100}},
				{advance: 300 * time.Second, setup: func(f *fakeProc) { f.freezer("app-1", "THAWED") }, dPids: []int{100}, seconds: 0},
				{advance: 100 * time.Second, dPids: []int{100}, seconds: 100},
			},
		},
		{
			name: "a host process in D is reported but accuses no container",
			steps: []step{
				{setup: func(f *fakeProc) { f.process(100, "kworker/u8:2", 'D', 5, "") }, dPids: []int{100}},
				{advance: 500 * time.Second, dPids: []int{100}, seconds: 500},
			},
		},
		{
			name: "a suspect clears when its process exits",
			steps: []step{
				{setup: func(f *fakeProc) { f.process(100, "java", 'D', 5, "app-1") }, dPids: []int{100}},
				{advance: 200 * time.Second, suspects: []string{"app-1"}, dPids: []int{100}, seconds: 200},
				{advance: 10 * time.Second, setup: func(f *fakeProc) { f.exit(100) }},
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeProc(t)
			clk := &clock{now: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}
			s := dstate.New(logger(), dstate.Config{ProcRoot: f.proc, CgroupRoot: f.cgroup, SuspectAfter: 120 * time.Second, Now: clk.Now,
				FrozenByAgent: func(h string) bool { return h == "app-1" }})
			for i, st := range c.steps {
				clk.advance(st.advance)
				if st.setup != nil {
					st.setup(f)
				}
				r := poll(t, s)
				if strings.Join(r.Suspects, ",") != strings.Join(st.suspects, ",") {
					t.Fatalf("step %d: suspects = %v, want %v", i, r.Suspects, st.suspects)
				}
				var pids []int
				for _, d := range r.D {
					pids = append(pids, d.Pid)
					if d.Pid == 100 && d.Seconds != st.seconds {
						t.Fatalf("step %d: pid 100 in D for %vs, want %vs", i, d.Seconds, st.seconds)
					}
				}
				if fmt.Sprint(pids) != fmt.Sprint(st.dPids) {
					t.Fatalf("step %d: D pids = %v, want %v", i, pids, st.dPids)
				}
			}
		})
	}
}

func TestAnnotateMarksSuspectAndFrozenContainers(t *testing.T) {
	r := dstate.Report{
		D:        []agentapi.DProcess{{Pid: 1, Container: "a"}, {Pid: 2, Container: "b"}, {Pid: 3}},
		Suspects: []string{"a"},
		Frozen:   []string{"b"},
	}
	cs := []agentapi.Container{{Handle: "a"}, {Handle: "b"}, {Handle: "c", Suspect: true}}
	r.Annotate(cs)
	if !cs[0].Suspect || len(cs[0].DState) != 1 || cs[0].FrozenByUs {
		t.Fatalf("a = %+v", cs[0])
	}
	if cs[1].Suspect || !cs[1].FrozenByUs || len(cs[1].DState) != 1 {
		t.Fatalf("b = %+v", cs[1])
	}
	if cs[2].Suspect || len(cs[2].DState) != 0 {
		t.Fatalf("c = %+v; a stale suspect flag must be cleared", cs[2])
	}
}

// A container paused with runc shows its processes in D: the cgroup v1
// freezer parks them in an uninterruptible sleep (linux: kernel/freezer.c,
// __refrigerator). The scanner must see them and not accuse the container
// when the agent froze it; the same processes judged against a freezer
// that reads THAWED, or by a scanner whose agent froze nothing, must be
// accused, so the first half cannot pass by seeing nothing.
func TestRuncPausedContainerShowsDAndIsASuspectUnlessTheAgentFrozeIt(t *testing.T) {
	f := gardenrunctest.Start(t, gardenrunc.Options{})
	hs, err := f.Create(gardenrunc.Spec{AppGUID: "app"}, gardenrunc.Spec{AppGUID: "other"})
	if err != nil {
		t.Fatal(err)
	}
	paused := hs[0]
	if err := f.Pause(paused); err != nil {
		t.Fatal(err)
	}
	pid := f.Pid(paused)

	clk := &clock{now: time.Now()}
	ours := func(h string) bool { return h == paused }
	s := dstate.New(logger(), dstate.Config{SuspectAfter: time.Minute, Now: clk.Now, FrozenByAgent: ours})
	poll(t, s)
	clk.advance(2 * time.Minute)
	r := poll(t, s)
	var found *agentapi.DProcess
	for i := range r.D {
		if r.D[i].Pid == pid {
			found = &r.D[i]
		}
		if r.D[i].Container == hs[1] {
			t.Fatalf("running container %s reported in D: %+v", hs[1], r.D[i])
		}
	}
	if found == nil || found.Container != paused || found.Comm != "sleep" {
		t.Fatalf("paused container's sleep (pid %d) not seen in D: %+v", pid, r.D)
	}
	// Other tests on the machine may freeze containers of their own, so
	// look only at ours.
	if contains(r.Suspects, paused) || !contains(r.Frozen, paused) || contains(r.Suspects, hs[1]) || contains(r.Frozen, hs[1]) {
		t.Fatalf("suspects = %v, frozen = %v; want %s frozen and not suspect, %s neither", r.Suspects, r.Frozen, paused, hs[1])
	}
	defer s.Close()

	thawed := t.TempDir()
	dir := filepath.Join(thawed, "freezer", "garden", paused)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "freezer.state"), []byte("THAWED\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s2 := dstate.New(logger(), dstate.Config{CgroupRoot: thawed, SuspectAfter: time.Minute, Now: clk.Now, FrozenByAgent: ours})
	defer s2.Close()
	poll(t, s2)
	clk.advance(2 * time.Minute)
	r = poll(t, s2)
	if !contains(r.Suspects, paused) || contains(r.Suspects, hs[1]) {
		t.Fatalf("with the freezer reading THAWED suspects = %v, want %s and not %s", r.Suspects, paused, hs[1])
	}
	// Frozen by someone else (an operator's runc pause): a suspect, with
	// the process and since when.
	s3 := dstate.New(logger(), dstate.Config{SuspectAfter: time.Minute, Now: clk.Now})
	defer s3.Close()
	poll(t, s3)
	clk.advance(2 * time.Minute)
	r = poll(t, s3)
	if !contains(r.Suspects, paused) || contains(r.Frozen, paused) || contains(r.Suspects, hs[1]) {
		t.Fatalf("frozen by someone else: suspects = %v, frozen = %v; want %s a suspect", r.Suspects, r.Frozen, paused)
	}

	// Once the container is gone its processes leave the report, though
	// the scanner held their stat files open.
	if _, err := f.Runc("delete", "--force", paused); err != nil {
		t.Fatal(err)
	}
	r = poll(t, s)
	for _, d := range r.D {
		if d.Pid == pid {
			t.Fatalf("deleted container's process still reported in D: %+v", d)
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// The agent tells its own freezes from others': a container it froze
// while isolating it is left out, the same container frozen by anyone
// else (an operator's runc pause, a freezer stuck in FREEZING) holds its
// processes just as a hung kernel would and is a suspect.
func TestOnlyTheAgentsOwnFreezeExcusesAFrozenContainer(t *testing.T) {
	f := gardenrunctest.Start(t, gardenrunc.Options{})
	hs, err := f.Create(gardenrunc.Spec{AppGUID: "app"})
	if err != nil {
		t.Fatal(err)
	}
	frozen := hs[0]
	if err := f.Pause(frozen); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name        string
		ours        bool
		wantSuspect bool
	}{
		{"frozen by the agent itself", true, false},
		{"frozen by someone else", false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			clk := &clock{now: time.Now()}
			s := dstate.New(logger(), dstate.Config{SuspectAfter: time.Minute, Now: clk.Now, Threads: true,
				FrozenByAgent: func(h string) bool { return c.ours && h == frozen }})
			defer s.Close()
			poll(t, s)
			clk.advance(2 * time.Minute)
			r := poll(t, s)
			if got := contains(r.Suspects, frozen); got != c.wantSuspect {
				t.Fatalf("suspect = %v, want %v (suspects %v, frozen %v)", got, c.wantSuspect, r.Suspects, r.Frozen)
			}
			if got := contains(r.Frozen, frozen); got != c.ours {
				t.Fatalf("listed as our freeze = %v, want %v", got, c.ours)
			}
			if c.wantSuspect && (!contains(r.NewSuspects, frozen) || r.Episodes < 1 || r.Oldest() < time.Minute) {
				t.Fatalf("new suspects %v, episodes %d, oldest %s", r.NewSuspects, r.Episodes, r.Oldest())
			}
		})
	}
}
