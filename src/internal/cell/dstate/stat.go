package dstate

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// Stat is the part of /proc/<pid>/stat the scanner needs.
type Stat struct {
	Pid   int
	Comm  string
	State byte
	// StartTime (field 22, clock ticks since boot) tells a reused pid from
	// the process we saw before.
	StartTime uint64
}

// ParseStat parses /proc/<pid>/stat. The comm field is in parentheses and
// may itself hold spaces and parentheses, so the state is found after the
// last ')', never by splitting the line on spaces.
func ParseStat(b []byte) (Stat, error) {
	open := bytes.IndexByte(b, '(')
	closing := bytes.LastIndexByte(b, ')')
	if open < 1 || closing < open || closing+2 >= len(b) {
		return Stat{}, errors.New("malformed stat: no (comm) followed by a state")
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil {
		return Stat{}, fmt.Errorf("malformed stat pid: %w", err)
	}
	s := Stat{Pid: pid, Comm: string(b[open+1 : closing]), State: b[closing+2]}
	// Fields after the state start at field 4; starttime is field 22.
	rest := b[closing+2:]
	field := 3
	for i := 0; i < len(rest); i++ {
		if rest[i] != ' ' {
			continue
		}
		field++
		if field == 22 {
			end := bytes.IndexByte(rest[i+1:], ' ')
			if end < 0 {
				end = len(rest) - i - 1
			}
			s.StartTime, _ = strconv.ParseUint(string(bytes.TrimSpace(rest[i+1:i+1+end])), 10, 64)
			break
		}
	}
	return s, nil
}
