package stopper

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/procfs"
)

// BPMJob is a bpm-run job process as its pid file names it. bpm writes the
// pid of a job's container init to <root>/sys/run/bpm/<job>/<process>.pid
// and runs each job process in a runc container of its own, with a cgroup
// of its own [bpm-release: src/bpm/config/bpm_config.go PidDir, PidFile,
// ContainerID]. With the job and process known, a process found by pid
// file can be checked against its cgroup: a stale pid file whose pid now
// belongs to something else is never killed.
type BPMJob struct {
	// Root is the BOSH root (/var/vcap).
	Root    string
	Job     string
	Process string
}

// ParseBPMPidFile reads job and process from a pid file path in bpm's
// layout.
func ParseBPMPidFile(path string) (BPMJob, error) {
	clean := filepath.Clean(path)
	proc := strings.TrimSuffix(filepath.Base(clean), ".pid")
	jobDir := filepath.Dir(clean)
	runBPM := filepath.Dir(jobDir)
	if proc == filepath.Base(clean) || proc == "" || !strings.HasSuffix(runBPM, filepath.Join("sys", "run", "bpm")) {
		return BPMJob{}, fmt.Errorf("pid file %s is not where bpm writes one (<root>/sys/run/bpm/<job>/<process>.pid), so its process cannot be checked against bpm's cgroup", path)
	}
	return BPMJob{
		Root:    filepath.Dir(filepath.Dir(filepath.Dir(runBPM))),
		Job:     filepath.Base(jobDir),
		Process: proc,
	}, nil
}

// ContainerID is bpm's runc container id: "bpm-" and the job name, or
// job.process when they differ, with every byte outside [A-Za-z0-9_-]
// written as '.' and two hex digits [bpm-release: src/bpm/jobid/encoding.go].
func (j BPMJob) ContainerID() string {
	name := j.Job
	if j.Process != j.Job {
		name = j.Job + "." + j.Process
	}
	return encodeBPMName(name)
}

// LockFile is bpm's lifecycle lock of the job process, which `bpm start`
// and `bpm stop` hold while they run [bpm-release: src/bpm/hostlock,
// src/bpm/config/bpm_config.go LocksPath]. Unlike ContainerID, the name
// always joins job and process.
func (j BPMJob) LockFile() string {
	return filepath.Join(j.Root, "data", "bpm", "locks", "job-"+encodeBPMName(j.Job+"."+j.Process)+".lock")
}

func encodeBPMName(name string) string {
	var b strings.Builder
	b.WriteString("bpm-")
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '_' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, ".%02x", c)
		}
	}
	return b.String()
}

// InCgroupOf tells whether a /proc/<pid>/cgroup content puts the process in
// the bpm container id, and returns the matching path. bpm's container
// cgroup ends in the container id under any driver: cgroupfs without a
// cgroupsPath makes it /<id>; bpm since 1.4.33 nests it under its own
// cgroup, <self>/<id>; runc's systemd driver makes a scope <prefix>-<id>.scope
// ("runc-bpm-rep.scope" by default, "<unit>-bpm-bpm-rep.scope" from newer
// bpm) [bpm-release: src/bpm/commands/root.go cgroupsPathForContainer,
// src/bpm/cgroups/cgroup.go ToSystemdCgroupsPath].
func InCgroupOf(content []byte, containerID string) (string, bool) {
	for _, e := range containers.ParseCgroupFile(content) {
		last := filepath.Base(strings.TrimRight(e.Path, "/"))
		if last == containerID {
			return e.Path, true
		}
		if unit, ok := strings.CutSuffix(last, ".scope"); ok && (unit == containerID || strings.HasSuffix(unit, "-"+containerID)) {
			return e.Path, true
		}
	}
	return "", false
}

// processesOf lists the live processes whose cgroup is the job's bpm
// container, with the cgroup path found. /proc/<pid>/cgroup does not take
// the process's memory lock, so a process stuck in D state is read safely.
func processesOf(procRoot string, j BPMJob) (map[int]string, error) {
	pids, err := containers.ListPids(procRoot)
	if err != nil {
		return nil, err
	}
	id := j.ContainerID()
	out := map[int]string{}
	var buf []byte
	for _, pid := range pids {
		b, err := containers.ReadProcFile(filepath.Join(procRoot, strconv.Itoa(pid), "cgroup"), buf)
		if err != nil {
			continue
		}
		buf = b
		if path, ok := InCgroupOf(b, id); ok && procfs.Alive(procRoot, pid) {
			out[pid] = path
		}
	}
	return out, nil
}

// restartGuards holds bpm lifecycle locks for the life of this process.
var restartGuards = struct {
	sync.Mutex
	held map[string]*os.File
}{held: map[string]*os.File{}}

// errLockBusy means someone (bpm itself) holds the lock right now.
var errLockBusy = errors.New("the lock is held by another process")

// holdRestartGuard takes bpm's lifecycle lock of the job and keeps it for
// as long as this process lives: `bpm start` waits for that lock, so a
// monit that recovers and runs the job's start program cannot start the
// job again while the lock is held. Taking it again is a no-op.
func holdRestartGuard(j BPMJob) (string, error) {
	path := j.LockFile()
	restartGuards.Lock()
	defer restartGuards.Unlock()
	if _, ok := restartGuards.held[path]; ok {
		return path, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return path, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return path, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return path, errLockBusy
		}
		return path, err
	}
	restartGuards.held[path] = f
	return path, nil
}

// ReleaseRestartGuards drops every lock holdRestartGuard took (tests; the
// agent keeps them until it exits).
func ReleaseRestartGuards() {
	restartGuards.Lock()
	defer restartGuards.Unlock()
	for p, f := range restartGuards.held {
		f.Close()
		delete(restartGuards.held, p)
	}
}
