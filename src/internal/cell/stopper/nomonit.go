package stopper

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"code.cloudfoundry.org/clock"
	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/monit"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/procfs"
)

// DefaultMonitDeadline bounds one monit call. A monit stuck in D state (as
// monit, gdn and the loggregator agents were when an XFS store hung,
// garden-runc-release#141) accepts connections and never answers.
const DefaultMonitDeadline = 10 * time.Second

// DefaultUnmonitorRetry is how often a job killed without monit is
// unmonitored again, until monit answers.
const DefaultUnmonitorRetry = 10 * time.Second

// monitCalls bounds each monit call and, when monit does not answer, stops
// a bpm job without it.
type monitCalls struct {
	Monit    Monit
	Service  string
	PidFile  string
	ProcRoot string
	Deadline time.Duration
	Retry    time.Duration
	Clock    clock.Clock
	Logger   lager.Logger
}

func (m monitCalls) deadline() time.Duration { return orDefault(m.Deadline, DefaultMonitDeadline) }

func (m monitCalls) clock() clock.Clock {
	if m.Clock == nil {
		return clock.NewClock()
	}
	return m.Clock
}

func (m monitCalls) procRoot() string {
	if m.ProcRoot == "" {
		return procfs.DefaultRoot
	}
	return m.ProcRoot
}

// service reads the service's status within the deadline.
func (m monitCalls) service(ctx context.Context) (monit.Service, error) {
	ctx, cancel := context.WithTimeout(ctx, m.deadline())
	defer cancel()
	return m.Monit.Service(ctx, m.Service)
}

// act runs a monit action that waits for its effect; the wait is bounded
// by the action's own timeout plus the deadline.
func (m monitCalls) act(ctx context.Context, wait time.Duration, action func(context.Context, string) (monit.Service, error)) (monit.Service, error) {
	ctx, cancel := context.WithTimeout(ctx, wait+m.deadline())
	defer cancel()
	return action(ctx, m.Service)
}

// unanswered tells whether err means monit does not answer, as opposed to
// monit answering with a refusal: it asks monit's status once more, within
// the deadline.
func (m monitCalls) unanswered(ctx context.Context, err error) (bool, error) {
	if err == nil || errors.Is(err, monit.ErrNoSuchService) || ctx.Err() != nil {
		return false, nil
	}
	if _, perr := m.service(ctx); perr != nil && !errors.Is(perr, monit.ErrNoSuchService) && ctx.Err() == nil {
		return true, perr
	}
	return false, nil
}

func noAnswer(d time.Duration, err error) string {
	return fmt.Sprintf("monit did not answer within %s (%v)", d, err)
}

// found is what the pid file and bpm's cgroup say about a job.
type found struct {
	job BPMJob
	// procs are the live processes in the job's bpm cgroup, with that path.
	procs map[int]string
	// pidFilePid is the pid file's pid, 0 when absent.
	pidFilePid int
	// note says what was off with the pid file, if anything.
	note string
}

// find locates the job's processes without monit: by the pid file, checked
// against bpm's cgroup for the job, and by that cgroup alone.
func (m monitCalls) find() (found, error) {
	j, err := ParseBPMPidFile(m.PidFile)
	if err != nil {
		return found{}, err
	}
	procs, err := processesOf(m.procRoot(), j)
	if err != nil {
		return found{}, fmt.Errorf("list processes: %w", err)
	}
	f := found{job: j, procs: procs, pidFilePid: pidFromFile(m.PidFile)}
	switch {
	case f.pidFilePid == 0:
		f.note = fmt.Sprintf("pid file %s names no pid", m.PidFile)
	case !procfs.Alive(m.procRoot(), f.pidFilePid):
		f.note = fmt.Sprintf("pid file %s names pid %d, which is gone", m.PidFile, f.pidFilePid)
	case procs[f.pidFilePid] == "":
		// A stale pid file whose pid was reused: the cgroup, not the
		// pid, says which process is the job's.
		f.note = fmt.Sprintf("pid file %s names pid %d, which is not in bpm's cgroup %s, so it is left alone", m.PidFile, f.pidFilePid, j.ContainerID())
	}
	return f, nil
}

func (f found) describe() string {
	if len(f.procs) == 0 {
		return fmt.Sprintf("no process in bpm's cgroup %s", f.job.ContainerID())
	}
	pids := f.pids()
	s := fmt.Sprintf("pid(s) %s in bpm's cgroup %s", joinInts(pids), f.procs[pids[0]])
	if f.procs[f.pidFilePid] != "" {
		s = fmt.Sprintf("pid %d from its pid file and %s", f.pidFilePid, s)
	}
	return s
}

func (f found) pids() []int {
	out := make([]int, 0, len(f.procs))
	for p := range f.procs {
		out = append(out, p)
	}
	sort.Ints(out)
	return out
}

// signal sends sig to every process of the job, then waits up to wait for
// them all to be gone; it returns the survivors.
func (m monitCalls) signal(ctx context.Context, f found, sig syscall.Signal, wait time.Duration) []int {
	for _, pid := range f.pids() {
		if pid <= 1 || pid == syscall.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
			m.Logger.Error("failed-to-signal", err, lager.Data{"pid": pid, "signal": sig.String()})
		}
	}
	var left []int
	waitOn(ctx, m.clock(), wait, 50*time.Millisecond, func() bool {
		left = left[:0]
		for _, pid := range f.pids() {
			if procfs.Alive(m.procRoot(), pid) {
				left = append(left, pid)
			}
		}
		return len(left) == 0
	})
	return left
}

// unmonitoring tracks the services a background loop keeps unmonitoring,
// so a resumed step does not start a second loop.
var unmonitoring = struct {
	sync.Mutex
	services map[string]bool
}{services: map[string]bool{}}

// guard keeps a job that was stopped without monit from being started
// again by monit once monit answers: bpm's lifecycle lock is held so the
// start program waits, and monit is asked to unmonitor the service until it
// does. It returns the sentence the step detail carries.
func (m monitCalls) guard(ctx context.Context, j BPMJob) string {
	lock, err := holdRestartGuard(j)
	retry := fmt.Sprintf("this agent asks monit to unmonitor %s every %s until monit answers", m.Service, orDefault(m.Retry, DefaultUnmonitorRetry))
	var s string
	if err != nil {
		m.Logger.Error("failed-to-hold-bpm-lock", err, lager.Data{"lock_file": lock})
		s = fmt.Sprintf("WARNING: monit still monitors %s and starts it again if it answers before it unmonitors it, and bpm's lock %s could not be taken (%v); %s: unmonitor %s by hand as soon as monit answers", m.Service, lock, err, retry, m.Service)
	} else {
		s = fmt.Sprintf("monit still monitors %s and would start it again once it answers, so this agent holds bpm's lock %s (`bpm start` of %s waits for it while the agent runs) and %s", m.Service, lock, m.Service, strings.TrimPrefix(retry, "this agent "))
	}
	unmonitoring.Lock()
	running := unmonitoring.services[m.Service]
	unmonitoring.services[m.Service] = true
	unmonitoring.Unlock()
	if !running {
		go m.keepUnmonitoring(ctx)
	}
	return s
}

func (m monitCalls) keepUnmonitoring(ctx context.Context) {
	logger := m.Logger.Session("keep-unmonitoring", lager.Data{"service": m.Service})
	defer func() {
		unmonitoring.Lock()
		delete(unmonitoring.services, m.Service)
		unmonitoring.Unlock()
	}()
	ticker := m.clock().NewTicker(orDefault(m.Retry, DefaultUnmonitorRetry))
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			logger.Info("gave-up", lager.Data{"reason": ctx.Err().Error()})
			return
		case <-ticker.C():
		}
		cctx, cancel := context.WithTimeout(ctx, 3*m.deadline())
		_, err := m.Monit.Unmonitor(cctx, m.Service)
		cancel()
		if err == nil {
			logger.Info("unmonitored-once-monit-answered")
			return
		}
		logger.Debug("monit-still-not-answering", lager.Data{"error": err.Error()})
	}
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

// rearm takes the guard again for a job stopped earlier, by this agent
// process or one before it: bpm's lock dies with the process that held it,
// so a restarted agent re-takes it. It returns "" when the pid file is not
// bpm's (no guard is possible).
func (m monitCalls) rearm(ctx context.Context) string {
	j, err := ParseBPMPidFile(m.PidFile)
	if err != nil {
		return ""
	}
	return m.guard(ctx, j)
}

// Rearm keeps a route emitter stopped earlier from being started again
// (see RouteEmitter.Stop); the agent calls it when it restarts.
func (r RouteEmitter) Rearm(ctx context.Context) string {
	return r.calls(r.Logger.Session("rearm-route-emitter")).rearm(ctx)
}

// Rearm keeps a rep killed earlier from being started again (see
// Rep.Stop); the agent calls it when it restarts.
func (r Rep) Rearm(ctx context.Context) string {
	return r.calls(r.Logger.Session("rearm-rep")).rearm(ctx)
}
