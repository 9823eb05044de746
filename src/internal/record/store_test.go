package record_test

import (
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
	"github.com/cloudfoundry-community/cell-sequestration/internal/steps"
)

// configsAPI answers only what the record store uses (GET /info, GET and
// POST /configs) the way the director does, so the store is exercised
// through bosh-cli's real client, 412 handling included.
type configsAPI struct {
	mu       sync.Mutex
	versions []map[string]string // id, type, name, content
	// beforePost runs before a POST is judged; a test uses it to play the
	// concurrent writer.
	beforePost func(a *configsAPI)
	// always412 rejects every conditional POST.
	always412 bool
	posts     int
}

func (a *configsAPI) latest(typ, name string) map[string]string {
	for i := len(a.versions) - 1; i >= 0; i-- {
		if a.versions[i]["type"] == typ && a.versions[i]["name"] == name {
			return a.versions[i]
		}
	}
	return nil
}

func (a *configsAPI) add(typ, name, content string) string {
	id := strconv.Itoa(len(a.versions) + 1)
	a.versions = append(a.versions, map[string]string{"id": id, "type": typ, "name": name, "content": content})
	return id
}

func (a *configsAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case r.URL.Path == "/info":
		user := ""
		if u, p, ok := r.BasicAuth(); ok && u == "admin" && p == "secret" {
			user = "admin"
		}
		json.NewEncoder(w).Encode(map[string]any{"name": "test", "user": user, "user_authentication": map[string]any{"type": "basic"}})
	case r.URL.Path == "/configs" && r.Method == http.MethodGet:
		q := r.URL.Query()
		out := []map[string]string{}
		seen := map[string]bool{}
		for i := len(a.versions) - 1; i >= 0; i-- {
			v := a.versions[i]
			if v["type"] != q.Get("type") || (q.Get("name") != "" && v["name"] != q.Get("name")) || seen[v["name"]] {
				continue
			}
			seen[v["name"]] = true
			out = append(out, v)
		}
		json.NewEncoder(w).Encode(out)
	case r.URL.Path == "/configs" && r.Method == http.MethodPost:
		a.posts++
		var body struct {
			Type, Name, Content string
			Expected            string `json:"expected_latest_id"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		if a.beforePost != nil {
			a.beforePost(a)
		}
		cur := a.latest(body.Type, body.Name)
		curID := "0" // the director's id of a config that does not exist
		if cur != nil {
			curID = cur["id"]
		}
		if body.Expected != "" && (a.always412 || curID != body.Expected) {
			latest := ""
			if cur != nil {
				latest = cur["id"]
			}
			w.WriteHeader(http.StatusPreconditionFailed)
			json.NewEncoder(w).Encode(map[string]string{"latest_id": latest, "expected_latest_id": body.Expected})
			return
		}
		id := a.add(body.Type, body.Name, body.Content)
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(a.latest(body.Type, body.Name))
		_ = id
	default:
		http.NotFound(w, r)
	}
}

func newStore(t *testing.T, api *configsAPI) *record.Store {
	t.Helper()
	srv := httptest.NewTLSServer(api)
	t.Cleanup(srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	conn, err := director.Connect(director.ConnectOptions{URL: srv.URL, CACert: string(ca), Client: "admin", ClientSecret: "secret"}, lager.NewLogger("test"))
	if err != nil {
		t.Fatal(err)
	}
	return record.NewStore(conn.Director, "", lager.NewLogger("test"))
}

func TestCreateThenGetReturnsTheRecordUnderItsInstanceName(t *testing.T) {
	api := &configsAPI{}
	s := newStore(t, api)
	r, err := s.Create(record.Record{Deployment: "cf", InstanceGroup: "diego-cell", InstanceID: "abc", OldIP: "10.0.16.5"})
	if err != nil {
		t.Fatal(err)
	}
	got, id, err := s.Get("cf", "abc")
	if err != nil || id == "" || got.ID != r.ID || got.OldIP != "10.0.16.5" || got.State != record.StateInProgress {
		t.Fatalf("Get = %+v, %q, %v", got, id, err)
	}
	if v := api.latest("sequestration", "cf.abc"); v == nil {
		t.Fatal("no config of type sequestration named cf.abc")
	}
	if _, err := s.Create(record.Record{Deployment: "cf", InstanceGroup: "diego-cell", InstanceID: "abc"}); !errors.Is(err, record.ErrConflict) {
		t.Fatalf("second Create err = %v; want ErrConflict", err)
	}
	if _, _, err := s.Get("cf", "other"); !errors.Is(err, record.ErrNotFound) {
		t.Fatalf("Get of an unknown instance err = %v; want ErrNotFound", err)
	}
}

func TestCreateNeverOverwritesARecordCreatedConcurrently(t *testing.T) {
	api := &configsAPI{}
	s := newStore(t, api)
	api.beforePost = func(a *configsAPI) {
		api.beforePost = nil
		// Another run creates the record between our Get and our POST.
		b, _ := json.Marshal(record.Record{ID: "seq-other", Deployment: "cf", InstanceGroup: "diego-cell", InstanceID: "abc"})
		a.add("sequestration", "cf.abc", string(b))
	}
	if _, err := s.Create(record.Record{ID: "seq-ours", Deployment: "cf", InstanceGroup: "diego-cell", InstanceID: "abc"}); !errors.Is(err, record.ErrConflict) {
		t.Fatalf("Create err = %v; want ErrConflict", err)
	}
	if got, _, err := s.Get("cf", "abc"); err != nil || got.ID != "seq-other" {
		t.Fatalf("stored record = %+v, %v; want the other run's", got, err)
	}
}

func TestUpdateRereadsAndMergesWhenAnotherWriterGotThereFirst(t *testing.T) {
	api := &configsAPI{}
	s := newStore(t, api)
	if _, err := s.Create(record.Record{Deployment: "cf", InstanceGroup: "diego-cell", InstanceID: "abc"}); err != nil {
		t.Fatal(err)
	}
	raced := false
	api.beforePost = func(a *configsAPI) {
		if raced {
			return
		}
		raced = true
		// The other writer sets the new IP between our read and our write.
		var r record.Record
		json.Unmarshal([]byte(a.latest("sequestration", "cf.abc")["content"]), &r)
		r.NewIP = "10.0.16.77"
		b, _ := json.Marshal(r)
		a.add("sequestration", "cf.abc", string(b))
	}
	got, err := s.Update("cf", "abc", func(r *record.Record) error {
		r.Step("reserve-ip").State = record.StepDone
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !got.Done("reserve-ip") || got.NewIP != "10.0.16.77" {
		t.Fatalf("merged record = %+v; want our step and their new IP", got)
	}
	stored, _, _ := s.Get("cf", "abc")
	if !stored.Done("reserve-ip") || stored.NewIP != "10.0.16.77" {
		t.Fatalf("stored record = %+v; want both updates", stored)
	}
}

func TestUpdateGivesUpAfterBoundedAttemptsOfConflicts(t *testing.T) {
	api := &configsAPI{}
	s := newStore(t, api)
	if _, err := s.Create(record.Record{Deployment: "cf", InstanceGroup: "g", InstanceID: "abc"}); err != nil {
		t.Fatal(err)
	}
	api.always412 = true
	before := api.posts
	_, err := s.Update("cf", "abc", func(r *record.Record) error { r.State = record.StateComplete; return nil })
	if !errors.Is(err, record.ErrConflict) {
		t.Fatalf("err = %v; want ErrConflict", err)
	}
	if n := api.posts - before; n != s.Attempts {
		t.Fatalf("%d POSTs; want %d", n, s.Attempts)
	}
}

func TestListReturnsTheLatestVersionOfEveryRecord(t *testing.T) {
	api := &configsAPI{}
	s := newStore(t, api)
	for _, id := range []string{"a", "b"} {
		if _, err := s.Create(record.Record{Deployment: "cf", InstanceGroup: "g", InstanceID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Update("cf", "a", func(r *record.Record) error { r.State = record.StateReleased; return nil }); err != nil {
		t.Fatal(err)
	}
	list, err := s.List()
	if err != nil || len(list) != 2 {
		t.Fatalf("List = %+v, %v", list, err)
	}
	states := map[string]string{}
	for _, r := range list {
		states[r.InstanceID] = r.State
	}
	if states["a"] != record.StateReleased || states["b"] != record.StateInProgress {
		t.Fatalf("states = %v", states)
	}
}

func TestStepsRecordStartFinishAndFailure(t *testing.T) {
	var r record.Record
	st := r.Step("redeploy")
	if st.State != record.StepPending || r.Done("redeploy") {
		t.Fatalf("new step = %+v", st)
	}
	st.Start(timeZero)
	st.Finish(timeZero, steps.Outcome{}, errors.New("task 9 failed"))
	if r.Steps[0].State != record.StepFailed || r.Steps[0].Error != "task 9 failed" || r.Done("redeploy") {
		t.Fatalf("failed step = %+v", r.Steps[0])
	}
	r.Step("redeploy").Start(timeZero)
	r.Step("redeploy").Finish(timeZero, steps.Outcome{}, nil)
	if !r.Done("redeploy") || r.Steps[0].Error != "" || len(r.Steps) != 1 {
		t.Fatalf("resumed step = %+v", r.Steps)
	}
}

var timeZero = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
