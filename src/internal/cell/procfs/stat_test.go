package dstate

import "testing"

func TestParseStatFindsTheStateAfterTheLastParenthesis(t *testing.T) {
	tail := " 1 11421 11421 0 -1 4194560 594 0 0 0 0 0 0 0 20 0 1 0 31387 2322432 332 18446744073709551615\n"
	cases := []struct {
		name  string
		line  string
		pid   int
		comm  string
		state byte
		start uint64
		ok    bool
	}{
		{"a plain comm", "11421 (sleep) D" + tail, 11421, "sleep", 'D', 31387, true},
		{"a comm with spaces", "7 (my worker 2) S" + tail, 7, "my worker 2", 'S', 31387, true},
		{"a comm with parentheses and a fake state", "8 (a) D (b)) R" + tail, 8, "a) D (b)", 'R', 31387, true},
		{"a comm that is only a parenthesis", "9 ()) D" + tail, 9, ")", 'D', 31387, true},
		{"a zombie", "10 (defunct) Z" + tail, 10, "defunct", 'Z', 31387, true},
		{"a line without starttime still has a state", "11 (short) D 1 2", 11, "short", 'D', 0, true},
		{"no parentheses is malformed", "12 sleep D 1", 0, "", 0, 0, false},
		{"nothing after the comm is malformed", "13 (sleep)", 0, "", 0, 0, false},
		{"a non-numeric pid is malformed", "x (sleep) D" + tail, 0, "", 0, 0, false},
		{"empty is malformed", "", 0, "", 0, 0, false},
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
			if s.Pid != c.pid || s.Comm != c.comm || s.State != c.state || s.StartTime != c.start {
				t.Fatalf("ParseStat = %+v; want pid %d comm %q state %c start %d", s, c.pid, c.comm, c.state, c.start)
			}
		})
	}
}
