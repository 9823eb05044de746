package directorsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"code.cloudfoundry.org/lager/v3"
)

// Request is one HTTP request the simulator answered.
type Request struct {
	Time   time.Time
	Method string
	Path   string
	Query  string
	Status int
	// TaskID is the task a 302 pointed to, else 0.
	TaskID int
}

type requestFault struct {
	method  string
	pattern string
	nth     int
	seen    int
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeText(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, text)
}

// writeError answers like the director's error handler: {"code","description"}.
func writeError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"code": code, "description": msg})
}

func asDirectorError(err error, target **directorError) bool { return errors.As(err, target) }

func writeDirectorError(w http.ResponseWriter, fallbackStatus int, err error) {
	var de *directorError
	if errors.As(err, &de) {
		status := de.status
		if status == 0 {
			status = fallbackStatus
		}
		writeError(w, status, de.code, de.msg)
		return
	}
	writeError(w, fallbackStatus, 100, err.Error())
}

func redirectTask(w http.ResponseWriter, t *task) {
	w.Header().Set("Location", fmt.Sprintf("/tasks/%d", t.id))
	w.WriteHeader(http.StatusFound)
}

// ServeHTTP authenticates, records, injects faults and routes.
func (s *Simulator) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w := &statusWriter{ResponseWriter: rw}
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	sim := len(segs) > 0 && segs[0] == "_sim"
	defer func() {
		if sim {
			return
		}
		rec := Request{Time: time.Now(), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Status: w.status}
		if w.status == http.StatusFound {
			rec.TaskID, _ = strconv.Atoi(strings.TrimPrefix(w.Header().Get("Location"), "/tasks/"))
		}
		s.mu.Lock()
		s.requests = append(s.requests, rec)
		s.mu.Unlock()
		s.logger.Debug("request", lager.Data{"method": r.Method, "path": r.URL.Path, "status": w.status})
	}()

	if sim {
		s.serveSim(w, r, segs[1:])
		return
	}

	user, pass, hasAuth := r.BasicAuth()
	authed := hasAuth && user == s.opts.Client && pass == s.opts.ClientSecret
	if r.URL.Path == "/info" && r.Method == http.MethodGet {
		s.handleInfo(w, authed)
		return
	}
	if !authed {
		w.Header().Set("WWW-Authenticate", `Basic realm="BOSH Director"`)
		writeText(w, http.StatusUnauthorized, fmt.Sprintf("Not authorized: '%s'\n", r.URL.Path))
		return
	}
	if s.injectFault(r) {
		writeError(w, http.StatusInternalServerError, 100, "simulated failure")
		return
	}
	s.route(w, r, segs)
}

func (s *Simulator) injectFault(r *http.Request) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.reqFaults {
		if f.method != "" && f.method != r.Method {
			continue
		}
		if ok, _ := path.Match(f.pattern, r.URL.Path); !ok {
			continue
		}
		f.seen++
		if f.seen == f.nth {
			s.reqFaults = append(s.reqFaults[:i], s.reqFaults[i+1:]...)
			s.logger.Info("request-fault-injected", lager.Data{"method": r.Method, "path": r.URL.Path})
			return true
		}
	}
	return false
}

// consumes mirrors the director's `consumes:` route conditions: a request
// with another Content-Type does not match the route and gets a 404.
func consumes(r *http.Request, mime string) bool {
	ct := strings.TrimSpace(strings.SplitN(r.Header.Get("Content-Type"), ";", 2)[0])
	return ct == mime
}

func notFound(w http.ResponseWriter, r *http.Request) {
	writeText(w, http.StatusNotFound, fmt.Sprintf("Endpoint '%s' not found.", r.URL.Path))
}

func (s *Simulator) route(w http.ResponseWriter, r *http.Request, segs []string) {
	m := r.Method
	n := len(segs)
	switch segs[0] {
	case "resurrection":
		switch m {
		case http.MethodGet:
			s.mu.Lock()
			paused := s.paused
			s.mu.Unlock()
			writeJSON(w, http.StatusOK, map[string]any{"resurrection": !paused})
		case http.MethodPut:
			if !consumes(r, "application/json") {
				notFound(w, r)
				return
			}
			var body struct {
				Paused bool `json:"resurrection_paused"`
			}
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
				writeError(w, http.StatusBadRequest, 440001, "Invalid JSON request body: "+err.Error())
				return
			}
			s.SetResurrectionPaused(body.Paused)
			w.WriteHeader(http.StatusOK)
		default:
			notFound(w, r)
		}
		return
	case "locks":
		s.handleLocks(w)
		return
	case "events":
		if n == 1 {
			s.handleEvents(w, r)
		} else {
			s.handleEvent(w, segs[1])
		}
		return
	case "tasks":
		switch {
		case n == 1 && m == http.MethodGet:
			s.handleListTasks(w, r)
		case n == 2 && m == http.MethodGet:
			s.handleGetTask(w, segs[1])
		case n == 3 && segs[2] == "output" && m == http.MethodGet:
			s.handleTaskOutput(w, r, segs[1])
		default:
			notFound(w, r)
		}
		return
	case "configs":
		switch {
		case n == 1 && m == http.MethodGet:
			s.handleListConfigs(w, r)
		case n == 1 && m == http.MethodPost && consumes(r, "application/json"):
			s.handleCreateConfig(w, r)
		case n == 1 && m == http.MethodDelete:
			s.handleDeleteConfigs(w, r)
		case n == 2 && segs[1] == "diff" && m == http.MethodPost && consumes(r, "application/json"):
			s.handleDiffConfig(w, r)
		case n == 2 && m == http.MethodGet:
			s.handleGetConfig(w, segs[1])
		case n == 2 && m == http.MethodDelete:
			s.handleDeleteConfig(w, segs[1])
		default:
			notFound(w, r)
		}
		return
	case "cloud_configs":
		switch {
		case n == 1 && m == http.MethodGet:
			s.handleListCloudConfigs(w, r)
		case n == 1 && m == http.MethodPost && consumes(r, "text/yaml"):
			s.handleUpdateCloudConfig(w, r)
		case n == 2 && segs[1] == "diff" && m == http.MethodPost && consumes(r, "text/yaml"):
			s.handleDiffCloudConfig(w, r)
		default:
			notFound(w, r)
		}
		return
	case "vms":
		if n == 2 && m == http.MethodDelete {
			s.handleDeleteVM(w, segs[1])
			return
		}
	case "deployments":
		s.routeDeployments(w, r, segs[1:])
		return
	}
	notFound(w, r)
}

func (s *Simulator) routeDeployments(w http.ResponseWriter, r *http.Request, segs []string) {
	m := r.Method
	if len(segs) == 0 || segs[0] == "" {
		switch m {
		case http.MethodGet:
			s.handleListDeployments(w, r)
		case http.MethodPost:
			if !consumes(r, "text/yaml") {
				notFound(w, r)
				return
			}
			s.handleDeploy(w, r)
		default:
			notFound(w, r)
		}
		return
	}
	name := segs[0]
	rest := segs[1:]
	n := len(rest)

	// the removed per-instance resurrection endpoint answers 410 whether or
	// not the deployment exists, like the director's route does
	if n == 4 && rest[0] == "jobs" && rest[3] == "resurrection" && m == http.MethodPut {
		writeText(w, http.StatusGone, "This endpoint has been removed. Please use "+
			"https://bosh.io/docs/resurrector/#enable-with-resurrection-config to configure resurrection for the "+
			"deployment or instance group. If you need to prevent a single instance from being resurrected, "+
			"consider using https://bosh.io/docs/cli-v2/#ignore.")
		return
	}

	s.mu.Lock()
	_, exists := s.deployments[name]
	s.mu.Unlock()
	if !exists && !(n == 1 && rest[0] == "diff") {
		writeError(w, http.StatusNotFound, 70000, fmt.Sprintf("Deployment '%s' doesn't exist", name))
		return
	}

	switch {
	case n == 0 && m == http.MethodGet:
		s.mu.Lock()
		text := s.deployments[name].manifestText
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"manifest": text})
	case n == 1 && rest[0] == "vms" && m == http.MethodGet:
		s.handleVMs(w, r, name, false)
	case n == 1 && rest[0] == "instances" && m == http.MethodGet:
		s.handleVMs(w, r, name, true)
	case n == 1 && rest[0] == "diff" && m == http.MethodPost && consumes(r, "text/yaml"):
		s.handleDeploymentDiff(w, r, name)
	case n == 1 && rest[0] == "scans" && m == http.MethodPost:
		s.handleScan(w, name)
	case n == 1 && rest[0] == "problems" && m == http.MethodGet:
		s.handleListProblems(w, name)
	case n == 1 && rest[0] == "problems" && m == http.MethodPut && consumes(r, "application/json"):
		s.handleResolve(w, r, name)
	case n == 1 && rest[0] == "errands" && m == http.MethodGet:
		s.handleListErrands(w, name)
	case n == 3 && rest[0] == "errands" && rest[2] == "runs" && m == http.MethodPost:
		s.handleRunErrand(w, r, name, rest[1])
	case n == 1 && rest[0] == "scan_and_fix" && m == http.MethodPut && consumes(r, "application/json"):
		s.handleScanAndFix(w, r, name)
	case (n == 2 || n == 3) && rest[0] == "jobs" && m == http.MethodPut && consumes(r, "text/yaml"):
		id := ""
		if n == 3 {
			id = rest[2]
		}
		s.handleStateChange(w, r, name, rest[1], id)
	case n == 5 && rest[0] == "instance_groups" && rest[3] == "actions" && m == http.MethodPost &&
		(rest[4] == "start" || rest[4] == "stop" || rest[4] == "restart" || rest[4] == "recreate"):
		s.handleInstanceAction(w, r, name, rest[1], rest[2], rest[4])
	case n == 4 && rest[0] == "instance_groups" && rest[3] == "ignore" && m == http.MethodPut && consumes(r, "application/json"):
		s.handleIgnore(w, r, name, rest[1], rest[2])
	default:
		notFound(w, r)
	}
}

func (s *Simulator) handleInfo(w http.ResponseWriter, authed bool) {
	var user any
	if authed {
		user = s.opts.Client
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"name":                s.opts.Name,
		"uuid":                "d1rect0r-51m0-4a7e-9000-000000000000",
		"version":             "282.0.0 (00000000)",
		"user":                user,
		"cpi":                 "simulated_cpi",
		"stemcell_os":         "ubuntu-jammy",
		"stemcell_version":    "1.0",
		"user_authentication": map[string]any{"type": "basic", "options": map[string]any{}},
		"features": map[string]any{
			"local_dns":     map[string]any{"status": true, "extras": map[string]any{"domain_name": "bosh"}},
			"snapshots":     map[string]any{"status": false},
			"config_server": map[string]any{"status": false, "extras": map[string]any{"urls": []string{}}},
		},
	})
}

func (s *Simulator) handleLocks(w http.ResponseWriter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, name := range s.sortedLockNames() {
		h := s.locks[name]
		out = append(out, map[string]any{
			"type":     "deployment",
			"resource": []string{name},
			"timeout":  fmt.Sprintf("%d.%06d", h.expires.Unix(), h.expires.Nanosecond()/1000),
			"task_id":  strconv.Itoa(h.taskID),
		})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Simulator) handleListTasks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	states := map[string]bool{}
	for _, st := range strings.Split(q.Get("state"), ",") {
		if st != "" {
			states[st] = true
		}
	}
	verbose := q.Get("verbose")
	if verbose == "" {
		verbose = "1"
	}
	limit := 0
	if l := q.Get("limit"); l != "" {
		limit, _ = strconv.Atoi(l)
		if limit < 1 {
			limit = 1
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for i := len(s.tasks) - 1; i >= 0; i-- {
		t := s.tasks[i]
		if len(states) > 0 && !states[t.state] {
			continue
		}
		if verbose == "1" && !verboseOneKinds[t.kind] {
			continue
		}
		if d := q.Get("deployment"); d != "" && t.deployment != d {
			continue
		}
		if c := q.Get("context_id"); c != "" && t.contextID != c {
			continue
		}
		out = append(out, t.toJSON())
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Simulator) taskByIDLocked(idText string) *task {
	id, err := strconv.Atoi(idText)
	if err != nil || id < 1 || id > len(s.tasks) {
		return nil
	}
	return s.tasks[id-1]
}

func (s *Simulator) handleGetTask(w http.ResponseWriter, idText string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.taskByIDLocked(idText)
	if t == nil {
		writeError(w, http.StatusNotFound, 10001, fmt.Sprintf("Task %s not found", idText))
		return
	}
	writeJSON(w, http.StatusOK, t.toJSON())
}

// handleTaskOutput serves event/result/debug output with single byte-range
// support: 206 with the slice, 416 when the range starts at or past the end
// (the client's "nothing new yet").
func (s *Simulator) handleTaskOutput(w http.ResponseWriter, r *http.Request, idText string) {
	typ := r.URL.Query().Get("type")
	if typ == "" {
		typ = "debug"
	}
	if typ == "none" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.mu.Lock()
	t := s.taskByIDLocked(idText)
	if t == nil {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, 10001, fmt.Sprintf("Task %s not found", idText))
		return
	}
	var data []byte
	switch typ {
	case "event":
		data = append([]byte{}, t.event.Bytes()...)
	case "result":
		data = append([]byte{}, t.resultOut.Bytes()...)
	case "debug":
		data = append([]byte{}, t.debug.Bytes()...)
	case "cpi":
		data = nil
	default:
		s.mu.Unlock()
		writeError(w, http.StatusUnauthorized, 10002, "Unknown type "+typ)
		return
	}
	s.mu.Unlock()

	size := len(data)
	rng := r.Header.Get("Range")
	if rng == "" || !strings.HasPrefix(rng, "bytes=") || strings.Contains(rng, ",") {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(data)
		return
	}
	spec := strings.TrimPrefix(rng, "bytes=")
	parts := strings.SplitN(spec, "-", 2)
	start, err1 := strconv.Atoi(parts[0])
	end := size - 1
	if len(parts) == 2 && parts[1] != "" {
		e, err := strconv.Atoi(parts[1])
		if err == nil && e < end {
			end = e
		}
	}
	if err1 != nil || start >= size || start > end {
		w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", size))
		writeText(w, http.StatusRequestedRangeNotSatisfiable, "Byte range unsatisfiable")
		return
	}
	w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end, size))
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusPartialContent)
	_, _ = w.Write(data[start : end+1])
}

func (s *Simulator) handleListDeployments(w http.ResponseWriter, r *http.Request) {
	excludeConfigs := r.URL.Query().Get("exclude_configs") == "true"
	s.mu.Lock()
	defer s.mu.Unlock()
	latest := configIDs(s.latestSetLocked("cloud"))
	out := []map[string]any{}
	for _, name := range s.sortedDeploymentNames() {
		d := s.deployments[name]
		entry := map[string]any{
			"name":      name,
			"teams":     []string{},
			"releases":  manifestReleases(d.manifest),
			"stemcells": manifestStemcells(d.manifest),
			"locked":    s.lockedLocked(name),
		}
		if !excludeConfigs {
			state := "latest"
			switch {
			case len(d.cloudConfigIDs) == 0:
				state = "none"
			case !sameInts(d.cloudConfigIDs, latest):
				state = "outdated"
			}
			entry["cloud_config"] = state
		}
		out = append(out, entry)
	}
	writeJSON(w, http.StatusOK, out)
}

func sameInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// version turns a manifest's "latest" into something the CLI can parse.
func version(v any) string {
	s := asString(v)
	if s == "" || s == "latest" {
		return "1.0.0"
	}
	return s
}

func manifestReleases(m *omap) []map[string]any {
	out := []map[string]any{}
	for _, r := range asList(m.get("releases")) {
		if rm, ok := r.(*omap); ok {
			out = append(out, map[string]any{"name": asString(rm.get("name")), "version": version(rm.get("version"))})
		}
	}
	return out
}

func manifestStemcells(m *omap) []map[string]any {
	out := []map[string]any{}
	for _, r := range asList(m.get("stemcells")) {
		if sm, ok := r.(*omap); ok {
			name := asString(sm.get("name"))
			if name == "" {
				name = "bosh-simulated-" + asString(sm.get("os")) + "-go_agent"
			}
			out = append(out, map[string]any{"name": name, "version": version(sm.get("version"))})
		}
	}
	return out
}

func (s *Simulator) handleIgnore(w http.ResponseWriter, r *http.Request, dep, group, id string) {
	var body struct {
		Ignore bool `json:"ignore"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, 440001, "Invalid JSON request body: "+err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	inst := s.deployments[dep].findInstance(group, id)
	if inst == nil {
		writeError(w, http.StatusNotFound, 80005, fmt.Sprintf("Instance '%s/%s' doesn't exist", group, id))
		return
	}
	inst.ignore = body.Ignore
	w.WriteHeader(http.StatusOK)
}

func (s *Simulator) handleListErrands(w http.ResponseWriter, dep string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for _, ig := range asList(s.deployments[dep].manifest.get("instance_groups")) {
		if m, ok := ig.(*omap); ok && asString(m.get("lifecycle")) == "errand" {
			out = append(out, map[string]any{"name": asString(m.get("name"))})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// serveSim answers the simulator's own endpoints, which stand-ins call
// without credentials: POST /_sim/heartbeat/:agent_id, answered with
// {"applies": N}, the applies the agent's instance received so far.
func (s *Simulator) serveSim(w http.ResponseWriter, r *http.Request, segs []string) {
	if len(segs) == 2 && segs[0] == "heartbeat" && r.Method == http.MethodPost {
		writeJSON(w, http.StatusOK, HeartbeatAnswer{Applies: s.Heartbeat(segs[1])})
		return
	}
	notFound(w, r)
}

// HeartbeatAnswer is the answer to a stand-in agent's heartbeat.
type HeartbeatAnswer struct {
	Applies int `json:"applies"`
}
