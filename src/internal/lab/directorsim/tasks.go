package directorsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"code.cloudfoundry.org/lager/v3"
)

// Task kinds, named like the director's job types.
const (
	KindUpdateDeployment = "update_deployment"
	KindVMs              = "vms"
	KindScan             = "cck_scan"
	KindApplyResolutions = "cck_apply"
	KindScanAndFix       = "cck_scan_and_fix"
	KindRunErrand        = "run_errand"
	KindDeleteVM         = "delete_vm"
)

// verboseOneKinds are the task types GET /tasks lists at verbose=1 (the
// default), as in the director's tasks controller.
var verboseOneKinds = map[string]bool{
	"attach_disk": true, "create_snapshot": true, "delete_deployment": true,
	"delete_release": true, "delete_snapshot": true, "delete_stemcell": true,
	"run_errand": true, "snapshot_deployment": true, "update_instance": true,
	"update_deployment": true, "update_release": true, "update_stemcell": true,
	"export_release": true,
}

type task struct {
	id          int
	kind        string
	description string
	deployment  string
	user        string
	contextID   string
	state       string
	createdAt   time.Time
	startedAt   time.Time
	finishedAt  time.Time
	result      string
	event       bytes.Buffer
	resultOut   bytes.Buffer
	debug       bytes.Buffer
	done        chan struct{}
}

func (t *task) running() bool {
	return t.state == "queued" || t.state == "processing" || t.state == "cancelling"
}

func (t *task) toJSON() map[string]any {
	var finished any
	if !t.running() {
		finished = t.finishedAt.Unix()
	}
	var started any
	if !t.startedAt.IsZero() {
		started = t.startedAt.Unix()
	}
	var dep any
	if t.deployment != "" {
		dep = t.deployment
	}
	return map[string]any{
		"id":          t.id,
		"state":       t.state,
		"description": t.description,
		"timestamp":   finished,
		"started_at":  started,
		"result":      t.result,
		"user":        t.user,
		"deployment":  dep,
		"context_id":  t.contextID,
	}
}

// directorError carries the director's error code into the task's event log
// error entry and HTTP error bodies.
type directorError struct {
	code   int
	status int
	msg    string
}

func (e *directorError) Error() string { return e.msg }

func errCode(code int, format string, args ...any) error {
	return &directorError{code: code, msg: fmt.Sprintf(format, args...)}
}

// taskRun is what a running task body uses: its event log, result output
// and the simulated work time.
type taskRun struct {
	s      *Simulator
	t      *task
	worked bool
}

type lockHolder struct {
	taskID      int
	description string
	uid         string
	expires     time.Time
}

// startTask records a queued task and runs body in its own goroutine. The
// returned task's done channel closes when it finishes.
func (s *Simulator) startTask(kind, description, dep, contextID string, body func(r *taskRun) (string, error)) *task {
	s.mu.Lock()
	t := &task{
		id: len(s.tasks) + 1, kind: kind, description: description, deployment: dep,
		user: s.opts.Client, contextID: contextID, state: "queued", createdAt: time.Now(),
		done: make(chan struct{}),
	}
	s.tasks = append(s.tasks, t)
	var fault string
	if q := s.taskFaults[kind]; len(q) > 0 {
		fault, s.taskFaults[kind] = q[0], q[1:]
	}
	s.mu.Unlock()

	s.tasksWG.Add(1)
	go func() {
		defer s.tasksWG.Done()
		defer close(t.done)
		r := &taskRun{s: s, t: t}
		s.mu.Lock()
		t.state = "processing"
		t.startedAt = time.Now()
		s.mu.Unlock()
		r.debugf("INFO", "Starting task: %d (%s)", t.id, description)
		logger := s.logger.Session("task", lager.Data{"task_id": t.id, "kind": kind, "deployment": dep})
		logger.Info("starting")

		var result string
		var err error
		if fault != "" {
			err = errors.New(fault)
		} else {
			result, err = body(r)
			if err == nil {
				r.work()
			}
		}

		s.mu.Lock()
		defer s.mu.Unlock()
		t.finishedAt = time.Now()
		if err != nil {
			code := 100
			var de *directorError
			if errors.As(err, &de) && de.code != 0 {
				code = de.code
			}
			line, _ := json.Marshal(map[string]any{"time": time.Now().Unix(), "error": map[string]any{"code": code, "message": err.Error()}})
			t.event.Write(append(line, '\n'))
			fmt.Fprintf(&t.debug, "E, [%s] ERROR -- DirectorJobRunner: %s\n", time.Now().UTC().Format(time.RFC3339), err.Error())
			t.state = "error"
			t.result = truncate(err.Error(), 128)
			logger.Error("failed", err)
			return
		}
		t.state = "done"
		t.result = truncate(result, 128)
		logger.Info("done", lager.Data{"result": t.result})
	}()
	// A client polls a running task every 500 ms; letting an instant task
	// finish before the 302 is answered keeps tests and benchmarks from
	// paying that sleep, without making any task synchronous.
	select {
	case <-t.done:
	case <-time.After(redirectGrace):
	}
	return t
}

// redirectGrace is how long a task-creating request waits for its task to
// finish before answering the 302.
const redirectGrace = 50 * time.Millisecond

// truncate mirrors the director's task result truncation.
func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	cut := s[:n]
	if i := strings.LastIndexAny(cut, " \t\n"); i > 0 {
		cut = cut[:i]
	}
	return cut + "..."
}

// work spends the configured task delay once: the time a real task would
// spend talking to agents and the CPI, with any locks it took held.
func (r *taskRun) work() {
	if r.worked {
		return
	}
	r.worked = true
	r.s.mu.Lock()
	d := r.s.taskDelay
	r.s.mu.Unlock()
	if d > 0 {
		time.Sleep(d)
	}
}

func (r *taskRun) debugf(level, format string, args ...any) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	fmt.Fprintf(&r.t.debug, "%s, [%s] %s -- DirectorJobRunner: %s\n", level[:1], time.Now().UTC().Format(time.RFC3339), level, fmt.Sprintf(format, args...))
}

// eventLocked appends one event-log entry; callers hold s.mu.
func (r *taskRun) eventLocked(entry map[string]any) {
	entry["time"] = time.Now().Unix()
	line, _ := json.Marshal(entry)
	r.t.event.Write(append(line, '\n'))
}

// resultLocked appends to the result output; callers hold s.mu.
func (r *taskRun) resultLocked(line string) {
	r.t.resultOut.WriteString(line)
}

type stage struct {
	r     *taskRun
	name  string
	tags  []string
	total int
	index int
}

// stageLocked starts an event-log stage; callers hold s.mu.
func (r *taskRun) stageLocked(name string, total int, tags ...string) *stage {
	if tags == nil {
		tags = []string{}
	}
	return &stage{r: r, name: name, tags: tags, total: total}
}

// stepLocked logs a started/finished (or failed) pair for one step;
// callers hold s.mu.
func (st *stage) stepLocked(name string, err error) {
	st.index++
	var total any
	if st.total > 0 {
		total = st.total
	}
	base := func(state string, progress int) map[string]any {
		return map[string]any{"stage": st.name, "tags": st.tags, "total": total, "task": name, "index": st.index, "state": state, "progress": progress}
	}
	st.r.eventLocked(base("started", 0))
	if err != nil {
		e := base("failed", 100)
		e["data"] = map[string]any{"error": err.Error()}
		st.r.eventLocked(e)
		return
	}
	st.r.eventLocked(base("finished", 100))
}

// acquireDeploymentLock takes the deployment lock for r's task, waiting up
// to wait; it returns the director's lock timeout error text on failure.
func (s *Simulator) acquireDeploymentLock(r *taskRun, dep string, wait time.Duration) (func(), error) {
	uid := newUUID()
	start := time.Now()
	for {
		s.mu.Lock()
		h := s.locks[dep]
		if h == nil {
			s.locks[dep] = &lockHolder{taskID: r.t.id, description: r.t.description, uid: uid, expires: time.Now().Add(241 * time.Second)}
			s.addEventLocked(event{action: "acquire", objectType: "lock", objectName: "lock:deployment:" + dep, task: r.t.id, deployment: dep})
			s.mu.Unlock()
			return func() {
				s.mu.Lock()
				defer s.mu.Unlock()
				if cur := s.locks[dep]; cur != nil && cur.uid == uid {
					delete(s.locks, dep)
					s.addEventLocked(event{action: "release", objectType: "lock", objectName: "lock:deployment:" + dep, task: r.t.id, deployment: dep})
				}
			}, nil
		}
		holderID, holderDesc := h.taskID, h.description
		s.mu.Unlock()
		if time.Since(start) >= wait {
			return nil, fmt.Errorf("Failed to acquire lock for lock:deployment:%s uid: %s. Locking task id is %d, description: '%s'", dep, uid, holderID, holderDesc)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *Simulator) lockedLocked(dep string) bool { return s.locks[dep] != nil }

// withLock runs fn holding the deployment lock, after the task's simulated
// work, so the lock is held for the whole task delay.
func (r *taskRun) withLock(dep string, wait time.Duration, fn func() (string, error)) (string, error) {
	release, err := r.s.acquireDeploymentLock(r, dep, wait)
	if err != nil {
		return "", err
	}
	defer release()
	r.work()
	return fn()
}
