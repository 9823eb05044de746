package procfs

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestParseStatFindsTheStateAfterTheLastParenthesis(t *testing.T) {
	tail := " 1 11421 11421 0 -1 4194560 594 0 0 0 0 0 0 0 20 0 1 0 31387 2322432 332 18446744073709551615\n"
	cases := []struct {
		name  string
		line  string
		pid   int
		comm  string
		state byte
		ppid  int
		start uint64
		ok    bool
	}{
		{"a plain comm", "11421 (sleep) D" + tail, 11421, "sleep", 'D', 1, 31387, true},
		{"a comm with spaces", "7 (my worker 2) S" + tail, 7, "my worker 2", 'S', 1, 31387, true},
		{"a comm with parentheses and a fake state", "8 (a) D (b)) R" + tail, 8, "a) D (b)", 'R', 1, 31387, true},
		{"a comm that is only a parenthesis", "9 ()) D" + tail, 9, ")", 'D', 1, 31387, true},
		{"a zombie", "10 (defunct) Z" + tail, 10, "defunct", 'Z', 1, 31387, true},
		{"a line without starttime still has a state", "11 (short) D 1 2", 11, "short", 'D', 1, 0, true},
		{"no parentheses is malformed", "12 sleep D 1", 0, "", 0, 0, 0, false},
		{"nothing after the comm is malformed", "13 (sleep)", 0, "", 0, 0, 0, false},
		{"a non-numeric pid is malformed", "x (sleep) D" + tail, 0, "", 0, 0, 0, false},
		{"empty is malformed", "", 0, "", 0, 0, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := ParseStat([]byte(c.line))
			if (err == nil) != c.ok {
				t.Fatalf("ParseStat err = %v, want ok=%v", err, c.ok)
			}
			if !c.ok {
				return
			}
			if s.Pid != c.pid || s.Comm != c.comm || s.State != c.state || s.PPid != c.ppid || s.StartTime != c.start {
				t.Fatalf("ParseStat = %+v; want pid %d comm %q state %c ppid %d start %d", s, c.pid, c.comm, c.state, c.ppid, c.start)
			}
		})
	}
}

func TestAliveAndSameProcessOnRealProcesses(t *testing.T) {
	self := os.Getpid()
	st, err := ReadStat("", self)
	if err != nil || st.Pid != self || st.PPid != os.Getppid() || st.StartTime == 0 {
		t.Fatalf("ReadStat(self) = %+v, %v", st, err)
	}
	if !Alive("", self) || !SameProcess("", self, st.StartTime) {
		t.Fatal("this process is not alive, or not itself")
	}
	if SameProcess("", self, st.StartTime+1) {
		t.Fatal("a different start time names the same process")
	}
	if Alive("", 0) || Alive("", -1) || SameProcess("", 0, 0) {
		t.Fatal("pid 0 or -1 counted as a process")
	}
	// A child that exited but is not reaped yet is a zombie: not alive.
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Wait() }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		zst, err := ReadStat("", cmd.Process.Pid)
		if err == nil && zst.State == 'Z' {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("child never became a zombie: %+v %v", zst, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if Alive("", cmd.Process.Pid) {
		t.Fatal("a zombie counted as alive")
	}
}
