// Package stopper stops the cell's route emitter, rep and BOSH agent the
// safe way, checks from the outside that each stop took effect, and is
// idempotent: stopping what is already stopped only verifies it.
package stopper

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"syscall"
	"time"

	"code.cloudfoundry.org/clock"
	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/monit"
	"github.com/cloudfoundry-community/cell-sequestration/internal/poll"
)

// Monit is what the stoppers need of a monit client (*monit.Client).
type Monit interface {
	Service(ctx context.Context, name string) (monit.Service, error)
	Stop(ctx context.Context, name string) (monit.Service, error)
	Unmonitor(ctx context.Context, name string) (monit.Service, error)
	Monitor(ctx context.Context, name string) (monit.Service, error)
}

// RouteEmitter withdraws the cell's routes by stopping the route emitter
// through monit. The emitter sends no unregister on exit, so its routes go
// when gorouter prunes them (plain routes) or on a dial error (TLS routes,
// which is why kept containers are isolated too).
type RouteEmitter struct {
	Monit   Monit
	Service string
	// PidFile is the emitter's pid file (bpm's). Monit reports no pid for
	// a service it does not monitor; this finds the emitter then.
	PidFile string
	Logger  lager.Logger
	// Timeout bounds the wait for the process to die (default 60 s).
	Timeout time.Duration
	// MonitDeadline bounds each monit call (default DefaultMonitDeadline);
	// past it the emitter is stopped by its pid file, checked against
	// bpm's cgroup for the job.
	MonitDeadline time.Duration
	// UnmonitorRetry is how often monit is asked again to unmonitor an
	// emitter stopped without it (default DefaultUnmonitorRetry).
	UnmonitorRetry time.Duration
	ProcRoot       string
	Clock          clock.Clock
}

func (r RouteEmitter) calls(logger lager.Logger) monitCalls {
	return monitCalls{Monit: r.Monit, Service: r.Service, PidFile: r.PidFile, ProcRoot: r.ProcRoot,
		Deadline: r.MonitDeadline, Retry: r.UnmonitorRetry, Clock: r.Clock, Logger: logger}
}

// Stop returns a short account of what it did.
func (r RouteEmitter) Stop(ctx context.Context) (string, error) {
	logger := r.Logger.Session("stop-route-emitter", lager.Data{"service": r.Service})
	logger.Info("starting")
	defer logger.Info("finished")
	m := r.calls(logger)
	before, err := m.service(ctx)
	if err != nil {
		if errors.Is(err, monit.ErrNoSuchService) || ctx.Err() != nil {
			logger.Error("failed-to-read-monit-status", err)
			return "", err
		}
		return r.stopWithoutMonit(ctx, logger, m, err)
	}
	pid := before.Pid
	if !alive(pid) {
		pid = pidFromFile(r.PidFile)
	}
	if before.Monitor == monit.NotMonitored {
		if !alive(pid) {
			return fmt.Sprintf("%s already stopped", r.Service), nil
		}
		// Unmonitored by someone else, yet running and registering routes.
		// Monit 5.33 ignores a stop for a service it does not monitor ("stop
		// action done", the process left alone) while the stemcells' 5.2.5
		// runs the stop program; watching it again first works on both:
		// monit finds the live process and starts nothing.
		logger.Info("unmonitored-but-running", lager.Data{"pid": pid})
		if _, err := m.act(ctx, orDefault(r.Timeout, 60*time.Second), r.Monit.Monitor); err != nil {
			if stuck, perr := m.unanswered(ctx, err); stuck {
				return r.stopWithoutMonit(ctx, logger, m, perr)
			}
			logger.Error("failed-to-monitor", err)
			return "", err
		}
	}
	after, err := m.act(ctx, orDefault(r.Timeout, 60*time.Second), r.Monit.Stop)
	if err != nil {
		if stuck, perr := m.unanswered(ctx, err); stuck {
			return r.stopWithoutMonit(ctx, logger, m, perr)
		}
		logger.Error("failed-to-stop", err)
		return "", err
	}
	timeout := orDefault(r.Timeout, 60*time.Second)
	if !waitUntil(ctx, timeout, 100*time.Millisecond, func() bool { return !alive(pid) && !alive(after.Pid) }) {
		err := fmt.Errorf("%s: monit reports it stopped but pid %d still runs", r.Service, pid)
		logger.Error("process-survived-stop", err)
		return "", err
	}
	return fmt.Sprintf("%s stopped through monit (pid %d gone, not monitored)", r.Service, pid), nil
}

// stopWithoutMonit stops the emitter when monit does not answer: every
// process in bpm's cgroup for the job gets SIGTERM (the emitter sends no
// unregister either way), then SIGKILL if it outlives the timeout, which is
// what `bpm stop` does [bpm-release: src/bpm/runc/lifecycle/lifecycle.go StopProcess].
func (r RouteEmitter) stopWithoutMonit(ctx context.Context, logger lager.Logger, m monitCalls, monitErr error) (string, error) {
	why := noAnswer(m.deadline(), monitErr)
	logger.Error("monit-not-answering", monitErr, lager.Data{"fallback": "pid-file-and-bpm-cgroup"})
	f, err := m.find()
	if err != nil {
		// Both causes stay in the chain: callers tell monit's kind of
		// failure (firewall, down, stuck) from the pid file's.
		return "", fmt.Errorf("monit did not answer within %s (%w), and the route emitter cannot be found without it: %w", m.deadline(), monitErr, err)
	}
	guard := m.guard(ctx, f.job)
	prefix := why + "; stopped without monit: "
	if f.note != "" {
		prefix += f.note + "; "
	}
	if len(f.procs) == 0 {
		return prefix + fmt.Sprintf("%s already stopped (no process in bpm's cgroup %s); %s", r.Service, f.job.ContainerID(), guard), nil
	}
	what := f.describe()
	start := m.clock().Now()
	left := m.signal(ctx, f, syscall.SIGTERM, orDefault(r.Timeout, 60*time.Second)/2)
	sig := "SIGTERM"
	if len(left) > 0 {
		logger.Info("sigterm-ignored", lager.Data{"pids": left})
		sig = "SIGTERM, then SIGKILL"
		if left = m.signal(ctx, f, syscall.SIGKILL, orDefault(r.Timeout, 60*time.Second)/2); len(left) > 0 {
			err := fmt.Errorf("%s; %s survived SIGKILL (stuck in the kernel?): pid(s) %s", why, r.Service, joinInts(left))
			logger.Error("process-survived-stop", err)
			return "", err
		}
	}
	return prefix + fmt.Sprintf("%s stopped with %s to %s, gone in %s; %s", r.Service, sig, what, m.clock().Since(start).Round(time.Millisecond), guard), nil
}

// Rep stops the rep without evacuation and without restart. Any signal the
// rep can catch runs its shutdown, which deletes every container, and a
// restarted rep deletes them on start; so: unmonitor, SIGKILL, and check
// that it stays dead.
type Rep struct {
	Monit   Monit
	Service string
	// PidFile is the rep's pid file (bpm's); monit's pid is the fallback.
	PidFile string
	Logger  lager.Logger
	// Hold is how long the rep must stay dead, with monit not monitoring
	// it, before the stop counts (default 5 s).
	Hold time.Duration
	// Timeout bounds the wait for the killed process to vanish (default 30 s).
	Timeout time.Duration
	// MonitDeadline bounds each monit call (default DefaultMonitDeadline);
	// past it the rep is killed by its pid file, checked against bpm's
	// cgroup for the job.
	MonitDeadline time.Duration
	// UnmonitorRetry is how often monit is asked again to unmonitor a rep
	// killed without it (default DefaultUnmonitorRetry).
	UnmonitorRetry time.Duration
	ProcRoot       string
	Clock          clock.Clock
}

func (r Rep) calls(logger lager.Logger) monitCalls {
	return monitCalls{Monit: r.Monit, Service: r.Service, PidFile: r.PidFile, ProcRoot: r.ProcRoot,
		Deadline: r.MonitDeadline, Retry: r.UnmonitorRetry, Clock: r.Clock, Logger: logger}
}

// ErrRepRestarted means something started the rep again after it was killed.
var ErrRepRestarted = errors.New("rep was started again after it was killed")

func (r Rep) Stop(ctx context.Context) (string, error) {
	logger := r.Logger.Session("stop-rep", lager.Data{"service": r.Service, "pid_file": r.PidFile})
	logger.Info("starting")
	defer logger.Info("finished")
	m := r.calls(logger)
	s, err := m.service(ctx)
	if err != nil {
		if errors.Is(err, monit.ErrNoSuchService) || ctx.Err() != nil {
			logger.Error("failed-to-read-monit-status", err)
			return "", err
		}
		return r.stopWithoutMonit(ctx, logger, m, err)
	}
	pid := pidFromFile(r.PidFile)
	// Two live candidates mean a stale pid file or a second rep: killing
	// the wrong process is worse than stopping here.
	if alive(pid) && alive(s.Pid) && pid != s.Pid {
		return "", fmt.Errorf("rep pid file %s names pid %d but monit watches pid %d: check which is the rep", r.PidFile, pid, s.Pid)
	}
	if !alive(pid) {
		pid = s.Pid
	}
	// Unmonitor first: a killed process that monit still watches is
	// restarted within a cycle, and the new rep destroys every container.
	if s.Monitor != monit.NotMonitored {
		if _, err := m.act(ctx, 60*time.Second, r.Monit.Unmonitor); err != nil {
			if stuck, perr := m.unanswered(ctx, err); stuck {
				return r.stopWithoutMonit(ctx, logger, m, perr)
			}
			logger.Error("failed-to-unmonitor", err)
			return "", err
		}
	}
	killed := false
	if alive(pid) {
		if pid == 1 || pid == os.Getpid() {
			return "", fmt.Errorf("refusing to kill pid %d as the rep", pid)
		}
		// SIGKILL only: the rep cannot catch it, so its cleanup never runs.
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			logger.Error("failed-to-kill", err, lager.Data{"pid": pid})
			return "", fmt.Errorf("SIGKILL rep pid %d: %w", pid, err)
		}
		killed = true
		logger.Info("sent-sigkill", lager.Data{"pid": pid})
		if !waitUntil(ctx, orDefault(r.Timeout, 30*time.Second), 50*time.Millisecond, func() bool { return !alive(pid) }) {
			return "", fmt.Errorf("rep pid %d survived SIGKILL (stuck in the kernel?)", pid)
		}
	}
	if err := r.verifyStaysDead(ctx, logger, m, pid); err != nil {
		var stuck monitStuck
		if errors.As(err, &stuck) {
			// Killed and unmonitored, then monit stopped answering: the
			// check goes on by bpm's cgroup, and the guard keeps it dead.
			return r.stopWithoutMonit(ctx, logger, m, stuck.err)
		}
		return "", err
	}
	if killed {
		return fmt.Sprintf("%s unmonitored and pid %d killed with SIGKILL; stayed dead", r.Service, pid), nil
	}
	return fmt.Sprintf("%s already stopped and unmonitored; stays dead", r.Service), nil
}

// verifyStaysDead watches for Hold that monit keeps the rep unmonitored
// and that no rep process appears, by pid file or in monit's status.
func (r Rep) verifyStaysDead(ctx context.Context, logger lager.Logger, m monitCalls, killedPid int) error {
	hold := orDefault(r.Hold, 5*time.Second)
	err := poll.Until(ctx, m.clock(), 250*time.Millisecond, hold, func() (bool, error) {
		s, err := m.service(ctx)
		if err != nil {
			if stuck, perr := m.unanswered(ctx, err); stuck {
				return false, monitStuck{perr}
			}
			return false, fmt.Errorf("checking the rep stays dead: %w", err)
		}
		if s.Monitor != monit.NotMonitored {
			return false, fmt.Errorf("%w: monit monitors %s again", ErrRepRestarted, r.Service)
		}
		for _, p := range []int{pidFromFile(r.PidFile), s.Pid} {
			if p > 0 && alive(p) {
				return false, fmt.Errorf("%w: pid %d runs (killed pid %d)", ErrRepRestarted, p, killedPid)
			}
		}
		logger.Debug("rep-still-dead", lager.Data{"pid": killedPid})
		return false, nil
	})
	if errors.Is(err, poll.ErrTimeout) {
		// Dead for the whole hold: what this watch waits for.
		return nil
	}
	return err
}

// monitStuck is monit not answering while the rep is watched.
type monitStuck struct{ err error }

func (m monitStuck) Error() string { return m.err.Error() }

// stopWithoutMonit kills the rep when monit does not answer: bpm's lock
// for the job is taken first, so nothing can start it again through bpm,
// then every process in bpm's cgroup for the rep gets SIGKILL (never a
// signal its shutdown would catch), and the cgroup must stay empty for
// Hold.
func (r Rep) stopWithoutMonit(ctx context.Context, logger lager.Logger, m monitCalls, monitErr error) (string, error) {
	why := noAnswer(m.deadline(), monitErr)
	logger.Error("monit-not-answering", monitErr, lager.Data{"fallback": "pid-file-and-bpm-cgroup"})
	f, err := m.find()
	if err != nil {
		return "", fmt.Errorf("monit did not answer within %s (%w), and the rep cannot be found without it: %w", m.deadline(), monitErr, err)
	}
	guard := m.guard(ctx, f.job)
	prefix := why + "; killed without monit: "
	if f.note != "" {
		prefix += f.note + "; "
	}
	what := "nothing to kill: " + f.describe()
	if len(f.procs) > 0 {
		what = "SIGKILL to " + f.describe()
		if left := m.signal(ctx, f, syscall.SIGKILL, orDefault(r.Timeout, 30*time.Second)); len(left) > 0 {
			return "", fmt.Errorf("%s; rep pid(s) %s survived SIGKILL (stuck in the kernel?)", why, joinInts(left))
		}
		logger.Info("sent-sigkill", lager.Data{"pids": f.pids()})
	}
	// Dead means bpm's cgroup for the rep stays empty: monit cannot say.
	var back []int
	waitOn(ctx, m.clock(), orDefault(r.Hold, 5*time.Second), 250*time.Millisecond, func() bool {
		procs, err := processesOf(m.procRoot(), f.job)
		if err == nil && len(procs) > 0 {
			for p := range procs {
				back = append(back, p)
			}
			return true
		}
		return false
	})
	if len(back) > 0 {
		sort.Ints(back)
		return "", fmt.Errorf("%w: pid(s) %s run in bpm's cgroup %s after the kill without monit", ErrRepRestarted, joinInts(back), f.job.ContainerID())
	}
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	return prefix + fmt.Sprintf("%s; bpm's cgroup stayed empty for %s; %s", what, orDefault(r.Hold, 5*time.Second), guard), nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
