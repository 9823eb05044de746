package directorsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"time"
)

type config struct {
	id        int
	typ       string
	name      string
	content   string
	createdAt time.Time
	deleted   bool
}

func (s *Simulator) configToJSONLocked(c *config) map[string]any {
	return map[string]any{
		"id":         strconv.Itoa(c.id),
		"type":       c.typ,
		"name":       c.name,
		"content":    c.content,
		"team":       nil,
		"created_at": rubyTime(c.createdAt),
		"current":    s.currentConfigLocked(c.typ, c.name) == c,
	}
}

// currentConfigLocked is the latest non-deleted config of a type and name.
func (s *Simulator) currentConfigLocked(typ, name string) *config {
	var cur *config
	for _, c := range s.configs {
		if c.typ == typ && c.name == name && !c.deleted {
			cur = c
		}
	}
	return cur
}

// latestSetLocked is the latest non-deleted config of every name of a type,
// ordered by id: what the director plans against when nothing is pinned.
func (s *Simulator) latestSetLocked(typ string) []*config {
	byName := map[string]*config{}
	for _, c := range s.configs {
		if c.typ == typ && !c.deleted {
			byName[c.name] = c
		}
	}
	var out []*config
	for _, c := range byName {
		out = append(out, c)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].id < out[b].id })
	return out
}

func configIDs(list []*config) []int {
	ids := []int{}
	for _, c := range list {
		ids = append(ids, c.id)
	}
	return ids
}

func (s *Simulator) configByIDLocked(id int) *config {
	if id < 1 || id > len(s.configs) {
		return nil
	}
	return s.configs[id-1]
}

// createConfigLocked stores a config unless its content equals the current
// one, which the director also skips.
func (s *Simulator) createConfigLocked(typ, name, content string) *config {
	if cur := s.currentConfigLocked(typ, name); cur != nil && cur.content == content {
		return cur
	}
	c := &config{id: len(s.configs) + 1, typ: typ, name: name, content: content, createdAt: time.Now()}
	s.configs = append(s.configs, c)
	s.addEventLocked(event{action: "create", objectType: "config/" + typ, objectName: name})
	return c
}

// cloudSpecForLocked merges the cloud configs with the given ids.
func (s *Simulator) cloudSpecForLocked(ids []int) (*cloudSpec, error) {
	var contents []string
	for _, id := range ids {
		c := s.configByIDLocked(id)
		if c == nil {
			return nil, errCode(440003, "Context includes invalid config ID")
		}
		contents = append(contents, c.content)
	}
	return mergeCloudConfigs(contents)
}

func sortConfigs(list []*config) {
	sort.SliceStable(list, func(a, b int) bool {
		x, y := list[a], list[b]
		if x.typ != y.typ {
			return x.typ < y.typ
		}
		xd, yd := x.name == "default", y.name == "default"
		if xd != yd {
			return xd
		}
		if x.name != y.name {
			return x.name < y.name
		}
		return x.id > y.id
	})
}

// GET /configs?type=&name=&limit=&latest=
func (s *Simulator) handleListConfigs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 0
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			writeError(w, http.StatusBadRequest, 440010, "'limit' must be a number")
			return
		}
		if n < 1 {
			writeError(w, http.StatusBadRequest, 440010, "'limit' must be larger than zero")
			return
		}
		limit = n
	}
	latest := q.Get("latest")
	if latest != "" && latest != "true" && latest != "false" {
		writeError(w, http.StatusBadRequest, 440010, "'latest' must be 'true' or 'false'")
		return
	}
	if limit == 0 {
		if latest == "false" {
			limit = 1 << 30
		} else {
			limit = 1
		}
	}
	typ, name := q.Get("type"), q.Get("name")
	s.mu.Lock()
	defer s.mu.Unlock()
	groups := map[string][]*config{}
	for _, c := range s.configs {
		if c.deleted || (typ != "" && c.typ != typ) || (name != "" && c.name != name) {
			continue
		}
		k := c.typ + "\x00" + c.name
		groups[k] = append(groups[k], c)
	}
	var picked []*config
	for _, g := range groups {
		for i := len(g) - 1; i >= 0 && len(g)-i <= limit; i-- {
			picked = append(picked, g[i])
		}
	}
	sortConfigs(picked)
	out := []map[string]any{}
	for _, c := range picked {
		out = append(out, s.configToJSONLocked(c))
	}
	writeJSON(w, http.StatusOK, out)
}

// GET /configs/:id
func (s *Simulator) handleGetConfig(w http.ResponseWriter, idText string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, err := strconv.Atoi(idText)
	c := s.configByIDLocked(id)
	if err != nil || c == nil || c.deleted {
		writeError(w, http.StatusNotFound, 440012, fmt.Sprintf("Config %s not found", idText))
		return
	}
	writeJSON(w, http.StatusOK, s.configToJSONLocked(c))
}

type configRequest struct {
	Type             *string `json:"type"`
	Name             *string `json:"name"`
	Content          *string `json:"content"`
	ExpectedLatestID any     `json:"expected_latest_id"`
}

func readConfigRequest(r *http.Request) (configRequest, *omap, error) {
	var req configRequest
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &req); err != nil {
		return req, nil, errCode(440001, "Invalid JSON request body: %s", err.Error())
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"type", req.Type}, {"name", req.Name}} {
		if f.v == nil || *f.v == "" {
			return req, nil, errCode(440010, "'%s' is required", f.name)
		}
	}
	content := ""
	if req.Content != nil {
		content = *req.Content
	}
	m, err := parseYAMLMap(content)
	if err != nil {
		return req, nil, errCode(440015, "Config must be valid YAML: %s", err.Error())
	}
	return req, m, nil
}

// POST /configs {type,name,content,expected_latest_id} -> 201, or 412 when
// expected_latest_id is not the current id ("0" when there is none).
func (s *Simulator) handleCreateConfig(w http.ResponseWriter, r *http.Request) {
	req, _, err := readConfigRequest(r)
	if err != nil {
		writeDirectorError(w, http.StatusBadRequest, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.currentConfigLocked(*req.Type, *req.Name)
	curID := "0"
	if cur != nil {
		curID = strconv.Itoa(cur.id)
	}
	if req.ExpectedLatestID != nil {
		expected := fmt.Sprint(req.ExpectedLatestID)
		if f, ok := req.ExpectedLatestID.(float64); ok {
			expected = strconv.Itoa(int(f))
		}
		if expected != curID {
			writeJSON(w, http.StatusPreconditionFailed, map[string]any{
				"latest_id":          curID,
				"expected_latest_id": expected,
				"description":        fmt.Sprintf("Latest Id: '%s' does not match expected latest id", curID),
			})
			return
		}
	}
	c := s.createConfigLocked(*req.Type, *req.Name, *req.Content)
	writeJSON(w, http.StatusCreated, s.configToJSONLocked(c))
}

// POST /configs/diff, in the {type,name,content} form the CLI's
// update-config uses, and the {from:{id|content},to:{id|content}} form.
func (s *Simulator) handleDiffConfig(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		writeError(w, http.StatusBadRequest, 440001, "Invalid JSON request body: "+err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	load := func(side any) (*omap, error) {
		m, _ := side.(map[string]any)
		if id, ok := m["id"]; ok {
			n, _ := strconv.Atoi(fmt.Sprint(id))
			c := s.configByIDLocked(n)
			if c == nil || c.deleted {
				return nil, errCode(440012, "Config %v not found", id)
			}
			return parseYAMLMap(c.content)
		}
		return parseYAMLMap(asString(m["content"]))
	}
	resp := map[string]any{}
	var before, after *omap
	var err error
	if from, ok := raw["from"]; ok {
		if before, err = load(from); err == nil {
			after, err = load(raw["to"])
		}
	} else {
		typ, name := asString(raw["type"]), asString(raw["name"])
		cur := s.currentConfigLocked(typ, name)
		fromID := "0"
		before = newOmap()
		if cur != nil {
			fromID = strconv.Itoa(cur.id)
			before, err = parseYAMLMap(cur.content)
		}
		resp["from"] = map[string]any{"id": fromID}
		if err == nil {
			after, err = parseYAMLMap(asString(raw["content"]))
		}
	}
	if err != nil {
		var de *directorError
		if asDirectorError(err, &de) {
			writeError(w, http.StatusNotFound, de.code, de.msg)
			return
		}
		writeJSON(w, http.StatusBadRequest, map[string]any{"diff": []any{}, "error": "Unable to diff config content: " + err.Error()})
		return
	}
	resp["diff"] = wireDiff(orderDiff(diffHashes(before, after, true, 0)))
	writeJSON(w, http.StatusOK, resp)
}

func wireDiff(lines []diffLine) [][]any {
	out := [][]any{}
	for _, l := range lines {
		out = append(out, l.wire())
	}
	return out
}

// DELETE /configs?type=&name=
func (s *Simulator) handleDeleteConfigs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for _, k := range []string{"type", "name"} {
		if q.Get(k) == "" {
			writeError(w, http.StatusBadRequest, 440010, fmt.Sprintf("'%s' is required", k))
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.configs {
		if c.typ == q.Get("type") && c.name == q.Get("name") && !c.deleted {
			c.deleted = true
			n++
		}
	}
	if n == 0 {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// DELETE /configs/:id
func (s *Simulator) handleDeleteConfig(w http.ResponseWriter, idText string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _ := strconv.Atoi(idText)
	c := s.configByIDLocked(id)
	if c == nil || c.deleted {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	c.deleted = true
	w.WriteHeader(http.StatusNoContent)
}

func cloudConfigName(r *http.Request) string {
	if n := r.URL.Query().Get("name"); n != "" {
		return n
	}
	return "default"
}

// GET /cloud_configs?name=&limit= : the legacy endpoint `bosh cloud-config`
// still reads ([{"properties": content, "created_at": ...}], newest first).
func (s *Simulator) handleListCloudConfigs(w http.ResponseWriter, r *http.Request) {
	l := r.URL.Query().Get("limit")
	if l == "" {
		writeText(w, http.StatusBadRequest, "limit is required")
		return
	}
	limit, err := strconv.Atoi(l)
	if err != nil {
		writeText(w, http.StatusBadRequest, fmt.Sprintf("limit is invalid: '%s' is not an integer", l))
		return
	}
	name := cloudConfigName(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for i := len(s.configs) - 1; i >= 0 && len(out) < limit; i-- {
		c := s.configs[i]
		if c.typ == "cloud" && c.name == name && !c.deleted {
			out = append(out, map[string]any{"properties": c.content, "created_at": rubyTime(c.createdAt)})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// POST /cloud_configs?name= (text/yaml): `bosh update-cloud-config`.
func (s *Simulator) handleUpdateCloudConfig(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if _, err := parseYAMLMap(string(body)); err != nil {
		writeError(w, http.StatusBadRequest, 440001, "Incorrect YAML structure of the uploaded manifest: "+err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.createConfigLocked("cloud", cloudConfigName(r), string(body))
	w.WriteHeader(http.StatusCreated)
}

// POST /cloud_configs/diff?name= (text/yaml)
func (s *Simulator) handleDiffCloudConfig(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	after, err := parseYAMLMap(string(body))
	if err != nil {
		writeError(w, http.StatusBadRequest, 440001, "Incorrect YAML structure of the uploaded manifest: "+err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	before := newOmap()
	if cur := s.currentConfigLocked("cloud", cloudConfigName(r)); cur != nil {
		if before, err = parseYAMLMap(cur.content); err != nil {
			before = newOmap()
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"diff": wireDiff(orderDiff(diffHashes(before, after, false, 0)))})
}
