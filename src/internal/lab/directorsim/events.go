package directorsim

import (
	"net/http"
	"sort"
	"strconv"
	"time"
)

type event struct {
	id         int
	timestamp  time.Time
	action     string
	objectType string
	objectName string
	task       int
	deployment string
	instance   string
	context    map[string]any
	err        string
}

func (s *Simulator) addEventLocked(e event) {
	e.id = len(s.events) + 1
	e.timestamp = time.Now()
	s.events = append(s.events, &e)
}

func (s *Simulator) eventJSONLocked(e *event) map[string]any {
	task := ""
	if e.task != 0 {
		task = strconv.Itoa(e.task)
	}
	ctx := e.context
	if ctx == nil {
		ctx = map[string]any{}
	}
	return map[string]any{
		"id":          strconv.Itoa(e.id),
		"timestamp":   e.timestamp.Unix(),
		"user":        s.opts.Client,
		"action":      e.action,
		"object_type": e.objectType,
		"object_name": e.objectName,
		"task":        task,
		"deployment":  e.deployment,
		"instance":    e.instance,
		"context":     ctx,
		"error":       e.err,
	}
}

// GET /events?deployment=&instance=&task=&action=&object_type=&object_name=&before_id=
// newest first, at most 200, like the director.
func (s *Simulator) handleEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	beforeID, _ := strconv.Atoi(q.Get("before_id"))
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for i := len(s.events) - 1; i >= 0 && len(out) < 200; i-- {
		e := s.events[i]
		j := s.eventJSONLocked(e)
		if beforeID > 0 && e.id >= beforeID {
			continue
		}
		match := true
		for _, k := range []string{"deployment", "instance", "task", "action", "object_type", "object_name"} {
			if v := q.Get(k); v != "" && j[k] != v {
				match = false
			}
		}
		if match {
			out = append(out, j)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Simulator) handleEvent(w http.ResponseWriter, idText string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _ := strconv.Atoi(idText)
	if id < 1 || id > len(s.events) {
		writeText(w, http.StatusNotFound, "Endpoint '/events/"+idText+"' not found.")
		return
	}
	writeJSON(w, http.StatusOK, s.eventJSONLocked(s.events[id-1]))
}

func (s *Simulator) sortedLockNames() []string {
	var names []string
	for n := range s.locks {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
