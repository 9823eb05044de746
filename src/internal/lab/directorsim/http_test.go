package directorsim_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/directorsim"
)

func httpClient(t *testing.T, sim *directorsim.Simulator) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(sim.CACertPEM()) {
		t.Fatal("CA PEM does not parse")
	}
	return &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		// show the director's own 302s
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func doRequest(t *testing.T, sim *directorsim.Simulator, method, path, contentType, body string, headers map[string]string, auth bool) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, sim.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if auth {
		req.SetBasicAuth(sim.ClientCredentials())
	}
	resp, err := httpClient(t, sim).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func rawRequest(t *testing.T, sim *directorsim.Simulator, method, path, contentType, body string, wantStatus int) string {
	t.Helper()
	resp := doRequest(t, sim, method, path, contentType, body, nil, true)
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, wantStatus, out)
	}
	return string(out)
}

func rawRequestNoAuth(t *testing.T, sim *directorsim.Simulator, method, path string, wantStatus int) {
	resp := doRequest(t, sim, method, path, "", "", nil, false)
	resp.Body.Close()
	if resp.StatusCode != wantStatus {
		t.Errorf("%s %s: status %d, want %d", method, path, resp.StatusCode, wantStatus)
	}
}

func taskEvents(t *testing.T, sim *directorsim.Simulator, id int) string {
	t.Helper()
	return rawRequest(t, sim, "GET", "/tasks/"+strconv.Itoa(id)+"/output?type=event", "", "", 200)
}

func TestAuthenticationAndInfo(t *testing.T) {
	sim := newSim(t, directorsim.Options{})
	cases := []struct {
		name   string
		path   string
		auth   bool
		status int
		want   string
	}{
		{"info needs no credentials and reports basic auth", "/info", false, 200, `"user_authentication":{"options":{},"type":"basic"}`},
		{"info names the user when credentials are given", "/info", true, 200, `"user":"admin"`},
		{"every other endpoint wants credentials", "/deployments", false, 401, "Not authorized: '/deployments'"},
		{"an unknown deployment is a 404 with the director's text", "/deployments/nope", true, 404, `"description":"Deployment 'nope' doesn't exist"`},
		{"an unknown endpoint is a 404 with the director's text", "/nope", true, 404, "Endpoint '/nope' not found."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := doRequest(t, sim, "GET", tc.path, "", "", nil, tc.auth)
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			mustContain(t, tc.path, string(body), tc.want)
		})
	}
}

func TestTasksRedirectAndServeOutputByRange(t *testing.T) {
	sim := newSim(t, directorsim.Options{})
	resp := doRequest(t, sim, "POST", "/deployments/cf/scans", "application/json", "", nil, true)
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, "/tasks/") {
		t.Fatalf("want 302 to /tasks/:id, got %d %q", resp.StatusCode, loc)
	}
	id, _ := strconv.Atoi(strings.TrimPrefix(loc, "/tasks/"))
	sim.WaitTask(id)
	task := rawRequest(t, sim, "GET", loc, "", "", 200)
	mustContain(t, "task", task, `"state":"done"`)
	mustContain(t, "task", task, `"description":"scan cloud"`)

	full := taskEvents(t, sim, id)
	mustContain(t, "events", full, `"stage":"Scanning 4 VMs"`)
	mustContain(t, "events", full, `"task":"4 OK, 0 unresponsive, 0 missing, 0 unbound"`)
	for _, key := range []string{`"time":`, `"tags":[]`, `"total":2`, `"index":1`, `"state":"started"`, `"progress":0`} {
		mustContain(t, "event fields", full, key)
	}

	cases := []struct {
		name   string
		rng    string
		status int
		body   string
	}{
		{"a range from the start returns everything as partial content", "bytes=0-", 206, full},
		{"a range from an offset returns the rest", "bytes=10-", 206, full[10:]},
		{"a range at the end means nothing new", "bytes=" + strconv.Itoa(len(full)) + "-", 416, "Byte range unsatisfiable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := doRequest(t, sim, "GET", loc+"/output?type=event", "", "", map[string]string{"Range": tc.rng}, true)
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || string(body) != tc.body {
				t.Fatalf("status %d body %q, want %d %q", resp.StatusCode, body, tc.status, tc.body)
			}
		})
	}

	list := rawRequest(t, sim, "GET", "/tasks?verbose=2&deployment=cf&limit=1", "", "", 200)
	mustContain(t, "task list", list, `"id":`+strconv.Itoa(id))
	if strings.Count(list, `"id":`) != 1 {
		t.Fatalf("limit=1 lists one task: %s", list)
	}
	if verbose1 := rawRequest(t, sim, "GET", "/tasks?deployment=cf", "", "", 200); strings.Contains(verbose1, "scan cloud") {
		t.Fatalf("verbose=1 hides cck tasks like the director: %s", verbose1)
	}
}

func TestRoutesOnlyMatchTheContentTypeTheDirectorConsumes(t *testing.T) {
	sim := newSim(t, directorsim.Options{})
	cases := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		status      int
	}{
		{"a deploy must be text/yaml", "POST", "/deployments", "application/json", cfManifest, 404},
		{"a resolution must be JSON", "PUT", "/deployments/cf/problems", "text/yaml", `{"resolutions":{}}`, 404},
		{"a config must be JSON", "POST", "/configs", "text/yaml", `{"type":"a","name":"b","content":"{}"}`, 404},
		{"a state change must be text/yaml", "PUT", "/deployments/cf/jobs/diego-cell/0?state=recreate", "application/json", "", 404},
		{"the resurrection flag must be JSON", "PUT", "/resurrection", "", `{"resurrection_paused":true}`, 404},
		{"JSON with a charset is JSON", "PUT", "/resurrection", "application/json; charset=utf-8", `{"resurrection_paused":false}`, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := doRequest(t, sim, tc.method, tc.path, tc.contentType, tc.body, nil, true)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
}

func TestScanAndFixIsRefusedWhileResurrectionIsPaused(t *testing.T) {
	sim := newSim(t, directorsim.Options{})
	id := cell(t, sim, "0").ID
	body := `{"jobs":{"diego-cell":["` + id + `"]}}`
	sim.SetResurrectionPaused(true)
	out := rawRequest(t, sim, "PUT", "/deployments/cf/scan_and_fix", "application/json", body, 400)
	mustContain(t, "paused", out, "Resurrector is paused")
	sim.SetResurrectionPaused(false)
	resp := doRequest(t, sim, "PUT", "/deployments/cf/scan_and_fix", "application/json", body, nil, true)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("want a task, got %d", resp.StatusCode)
	}
	taskID, _ := strconv.Atoi(strings.TrimPrefix(resp.Header.Get("Location"), "/tasks/"))
	if got := sim.WaitTask(taskID); got.State != "done" || got.Description != "scan and fix" {
		t.Fatalf("task: %+v", got)
	}
}

func TestListenAddressMustBeLoopback(t *testing.T) {
	cases := []struct {
		addr    string
		wantErr bool
	}{
		{"127.0.0.1:0", false},
		{"[::1]:0", false},
		{"0.0.0.0:0", true},
		{"192.0.2.10:0", true},
		{"localhost", true},
	}
	for _, tc := range cases {
		t.Run(tc.addr, func(t *testing.T) {
			sim, err := directorsim.New(directorsim.Options{ListenAddr: tc.addr})
			if err == nil {
				defer sim.Close()
			}
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
		})
	}
}
