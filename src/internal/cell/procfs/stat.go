// Package procfs reads /proc/<pid>/stat, the one place the cell side needs
// to parse it: the D-state scan, the rep and route-emitter stoppers, runc's
// kill of a container's init and the evidence process table all ask the
// same questions (which state, which process started when).
package procfs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
)

// DefaultRoot is the host's procfs mount.
const DefaultRoot = "/proc"

// Stat is the part of /proc/<pid>/stat the agent reads.
type Stat struct {
	Pid   int
	Comm  string
	State byte
	// PPid is field 4.
	PPid int
	// StartTime (field 22, clock ticks since boot) tells a reused pid from
	// the process seen before.
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
	// The state is field 3; walk the space-separated fields after it.
	rest := b[closing+2:]
	field := 3
	for i := 0; i < len(rest) && field < 22; i++ {
		if rest[i] != ' ' {
			continue
		}
		field++
		end := bytes.IndexByte(rest[i+1:], ' ')
		if end < 0 {
			end = len(rest) - i - 1
		}
		value := bytes.TrimSpace(rest[i+1 : i+1+end])
		switch field {
		case 4:
			s.PPid, _ = strconv.Atoi(string(value))
		case 22:
			s.StartTime, _ = strconv.ParseUint(string(value), 10, 64)
		}
	}
	return s, nil
}

// ReadStat reads and parses the stat file of pid under root (DefaultRoot
// when empty).
func ReadStat(root string, pid int) (Stat, error) {
	if root == "" {
		root = DefaultRoot
	}
	b, err := os.ReadFile(root + "/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return Stat{}, err
	}
	return ParseStat(b)
}

// Alive tells whether s is a live process: a zombie only waits for its
// parent to reap it, and X is a process on its way out.
func (s Stat) Alive() bool { return s.State != 'Z' && s.State != 'X' }

// Alive reports whether pid is a live process under root.
func Alive(root string, pid int) bool {
	if pid <= 0 {
		return false
	}
	s, err := ReadStat(root, pid)
	return err == nil && s.Alive()
}

// SameProcess tells whether pid still is the live process that started at
// start, so that a reused pid is never taken for it.
func SameProcess(root string, pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	s, err := ReadStat(root, pid)
	return err == nil && s.Alive() && s.StartTime == start
}
