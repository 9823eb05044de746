// Package bpmjobs runs stand-in jobs the way bpm runs a cell's rep and
// route emitter, for tests and the lab: the pid file at
// <root>/sys/run/bpm/<job>/<job>.pid, the process in a cgroup of its own
// whose last path element is bpm's container id (bpm-<job>), and the start
// holding bpm's lifecycle lock <root>/data/bpm/locks/job-bpm-<job>.2e<job>.lock,
// as `bpm start` does [bpm-release: src/bpm/config/bpm_config.go,
// src/bpm/hostlock, src/bpm/commands/root.go]. A monit's start program can
// be the one Layout writes, so a monit that restarts a job goes through
// the same lock.
package bpmjobs

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/procfs"
)

// pidsHierarchy is the cgroup v1 hierarchy the jobs' cgroups live in.
const pidsHierarchy = "/sys/fs/cgroup/pids"

// Available says why jobs cannot run bpm's way here, or nil.
func Available() error {
	if os.Geteuid() != 0 {
		return errors.New("cgroups need root")
	}
	if _, err := os.Stat(filepath.Join(pidsHierarchy, "cgroup.procs")); err != nil {
		return fmt.Errorf("no cgroup v1 pids hierarchy at %s", pidsHierarchy)
	}
	if _, err := exec.LookPath("flock"); err != nil {
		return errors.New("flock (util-linux) is not installed")
	}
	return nil
}

// Layout is one BOSH root with its bpm jobs. Its cgroups sit under a
// parent unique to it, so concurrent tests never share one.
type Layout struct {
	Root   string
	parent string
}

// New lays out root (which must exist) and creates the cgroup parent.
func New(root string) (*Layout, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	l := &Layout{Root: root, parent: filepath.Join(pidsHierarchy, fmt.Sprintf("sequester-bpmjobs-%d-%d", os.Getpid(), time.Now().UnixNano()))}
	if err := os.Mkdir(l.parent, 0o755); err != nil {
		return nil, err
	}
	return l, nil
}

// PidFile is where bpm writes the job's pid.
func (l *Layout) PidFile(job string) string {
	return filepath.Join(l.Root, "sys", "run", "bpm", job, job+".pid")
}

// LockFile is bpm's lifecycle lock of the job.
func (l *Layout) LockFile(job string) string {
	return filepath.Join(l.Root, "data", "bpm", "locks", "job-bpm-"+job+".2e"+job+".lock")
}

// Cgroup is the job's cgroup directory.
func (l *Layout) Cgroup(job string) string { return filepath.Join(l.parent, "bpm-"+job) }

// StartProgram writes the job's start program and returns the command
// line that runs it (a monit start program): take bpm's lock, start argv
// inside the job's cgroup with its output appended to logFile, write the
// pid file. argv words must not hold single quotes.
func (l *Layout) StartProgram(job string, argv []string, logFile string) (string, error) {
	for _, a := range argv {
		if strings.ContainsAny(a, "'\n") {
			return "", fmt.Errorf("bpmjobs: argument %q cannot go into a start script", a)
		}
	}
	for _, d := range []string{l.Cgroup(job), filepath.Dir(l.PidFile(job)), filepath.Dir(l.LockFile(job))} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", err
		}
	}
	run := filepath.Join(l.Root, job+"-run")
	script := fmt.Sprintf("#!/bin/sh\necho $$ > %s/cgroup.procs\nexec %s\n", l.Cgroup(job), strings.Join(argv, " "))
	if err := os.WriteFile(run, []byte(script), 0o755); err != nil {
		return "", err
	}
	// flock -o: the lock is held by flock itself while the start runs and
	// is not inherited by the job, as bpm's lock is not.
	start := filepath.Join(l.Root, job+"-start")
	script = fmt.Sprintf("#!/bin/sh\nexec flock -o %s /bin/sh -c '%s >>%s 2>&1 & echo $! > %s'\n", l.LockFile(job), run, logFile, l.PidFile(job))
	if err := os.WriteFile(start, []byte(script), 0o755); err != nil {
		return "", err
	}
	return "/bin/sh " + start, nil
}

// Start runs the job's start program without monit and waits for a live
// pid in its pid file.
func (l *Layout) Start(job string, argv []string, logFile string) (int, error) {
	prog, err := l.StartProgram(job, argv, logFile)
	if err != nil {
		return 0, err
	}
	if out, err := exec.Command("/bin/sh", "-c", prog).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("start %s: %v: %s", job, err, out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if pid := readPid(l.PidFile(job)); pid > 0 && procfs.Alive(procfs.DefaultRoot, pid) {
			return pid, nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	return 0, fmt.Errorf("%s wrote no live pid to %s", job, l.PidFile(job))
}

// Close kills every process left in the jobs' cgroups and removes them.
func (l *Layout) Close() {
	dirs, _ := filepath.Glob(filepath.Join(l.parent, "*"))
	for _, d := range dirs {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			continue
		}
		for i := 0; i < 100; i++ {
			b, _ := os.ReadFile(filepath.Join(d, "cgroup.procs"))
			for _, f := range strings.Fields(string(b)) {
				if pid, err := strconv.Atoi(f); err == nil {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
			if os.Remove(d) == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	_ = os.Remove(l.parent)
}

// LockHeld tells whether someone holds the job's bpm lock.
func (l *Layout) LockHeld(job string) bool {
	return exec.Command("flock", "-n", l.LockFile(job), "true").Run() != nil
}

func readPid(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}
