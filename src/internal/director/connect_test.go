package director_test

import (
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"code.cloudfoundry.org/lager/v3"
	boshuaa "github.com/cloudfoundry/bosh-cli/v7/uaa"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi/agentapitest"
	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
)

// authDirector answers /info (naming its auth type), /resurrection and
// /tasks with auth checked: basic, or a bearer token a UAA issued.
type authDirector struct {
	mu       sync.Mutex
	authType string
	uaaURL   string
	seen     []string // Authorization headers of authenticated calls
	// diff answers POST /deployments/cf/diff?redact=false with a YAML body.
	diff string
}

func (d *authDirector) authorised(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	ok := false
	switch d.authType {
	case "uaa":
		ok = h == "bearer uaa-token-for-errand"
	default:
		u, p, basic := r.BasicAuth()
		ok = basic && u == "errand" && p == "s3cret"
	}
	if ok {
		d.mu.Lock()
		d.seen = append(d.seen, strings.Fields(h)[0])
		d.mu.Unlock()
	}
	return ok
}

func (d *authDirector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user := ""
	if d.authorised(r) {
		user = "errand"
	}
	switch r.URL.Path {
	case "/info":
		opts := map[string]any{}
		if d.authType == "uaa" {
			opts["url"] = d.uaaURL
		}
		json.NewEncoder(w).Encode(map[string]any{"name": "d", "version": "280.0.0", "user": user,
			"user_authentication": map[string]any{"type": d.authType, "options": opts}})
	case "/resurrection":
		if user == "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"resurrection": false})
	case "/deployments/cf/diff":
		if user == "" || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "text/yaml" || r.URL.Query().Get("redact") != "false" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		io.WriteString(w, d.diff)
	default:
		http.NotFound(w, r)
	}
}

func pemOf(srv *httptest.Server) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
}

func TestConnectAuthenticatesAsInfoSays(t *testing.T) {
	uaa := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		r.ParseForm()
		if r.URL.Path != "/oauth/token" || r.Form.Get("grant_type") != "client_credentials" || u != "errand" || p != "s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"token_type": "bearer", "access_token": "uaa-token-for-errand", "expires_in": 3600})
	}))
	defer uaa.Close()
	for _, tc := range []struct {
		authType, wantScheme string
	}{{"basic", "Basic"}, {"uaa", "bearer"}} {
		t.Run(tc.authType, func(t *testing.T) {
			d := &authDirector{authType: tc.authType, uaaURL: uaa.URL}
			srv := httptest.NewTLSServer(d)
			defer srv.Close()
			// One PEM holding both CAs, as BOSH_CA_CERT may.
			ca := pemOf(srv) + pemOf(uaa)
			conn, err := director.Connect(director.ConnectOptions{URL: srv.URL, CACert: ca, Client: "errand", ClientSecret: "s3cret"}, lager.NewLogger("test"))
			if err != nil {
				t.Fatal(err)
			}
			if conn.AuthType != tc.authType {
				t.Fatalf("auth type %q", conn.AuthType)
			}
			paused, err := conn.Raw.GlobalResurrectionPaused()
			if err != nil || !paused {
				t.Fatalf("GlobalResurrectionPaused = %v, %v; want true (resurrection: false)", paused, err)
			}
			d.mu.Lock()
			defer d.mu.Unlock()
			if len(d.seen) < 2 || d.seen[len(d.seen)-1] != tc.wantScheme {
				t.Fatalf("authenticated calls %v; want %s", d.seen, tc.wantScheme)
			}
		})
	}
}

func TestConnectRefusesWrongCredentialsAndUnknownCAs(t *testing.T) {
	d := &authDirector{authType: "basic"}
	srv := httptest.NewTLSServer(d)
	defer srv.Close()
	_, err := director.Connect(director.ConnectOptions{URL: srv.URL, CACert: pemOf(srv), Client: "errand", ClientSecret: "wrong"}, lager.NewLogger("test"))
	if err == nil || !strings.Contains(err.Error(), `not authenticated as client "errand"`) {
		t.Fatalf("wrong secret: err = %v", err)
	}
	// httptest servers share one certificate: another CA must be made.
	other, _ := agentapitest.NewCA(t, "other")
	_, err = director.Connect(director.ConnectOptions{URL: srv.URL, CACert: string(other.CertPEM), Client: "errand", ClientSecret: "s3cret"}, lager.NewLogger("test"))
	if err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("wrong CA: err = %v", err)
	}
}

// savedTokens records what a token session hands back for saving.
type savedTokens struct{ refresh []string }

func (s *savedTokens) UpdateConfigWithToken(_ string, t boshuaa.AccessToken) error {
	if r, ok := t.(boshuaa.RefreshableAccessToken); ok {
		s.refresh = append(s.refresh, r.RefreshValue())
	}
	return nil
}
func (s *savedTokens) Save() error { return nil }

func TestConnectAsAUAAUserRefreshesTheLoggedInTokenAndSavesTheRotatedOne(t *testing.T) {
	// UAA answers the bosh CLI's own client (no secret) for the stored
	// refresh token, and rotates it, as UAA can be configured to.
	uaa := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		r.ParseForm()
		if r.URL.Path != "/oauth/token" || r.Form.Get("grant_type") != "refresh_token" || r.Form.Get("refresh_token") != "logged-in-refresh" || u != "bosh_cli" || p != "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"token_type": "bearer", "access_token": "uaa-token-for-errand", "refresh_token": "rotated-refresh", "expires_in": 120})
	}))
	defer uaa.Close()
	d := &authDirector{authType: "uaa", uaaURL: uaa.URL}
	srv := httptest.NewTLSServer(d)
	defer srv.Close()
	saved := &savedTokens{}
	conn, err := director.Connect(director.ConnectOptions{URL: srv.URL, CACert: pemOf(srv) + pemOf(uaa), RefreshToken: "logged-in-refresh", Tokens: saved}, lager.NewLogger("test"))
	if err != nil {
		t.Fatal(err)
	}
	if paused, err := conn.Raw.GlobalResurrectionPaused(); err != nil || !paused {
		t.Fatalf("GlobalResurrectionPaused = %v, %v", paused, err)
	}
	if len(saved.refresh) == 0 || saved.refresh[len(saved.refresh)-1] != "rotated-refresh" {
		t.Fatalf("saved refresh tokens %v; want the rotated one", saved.refresh)
	}

	_, err = director.Connect(director.ConnectOptions{URL: srv.URL, CACert: pemOf(srv) + pemOf(uaa), RefreshToken: "revoked"}, lager.NewLogger("test"))
	if err == nil || !strings.Contains(err.Error(), "refreshing token") {
		t.Fatalf("a revoked refresh token: err = %v", err)
	}
}

func TestDeploymentDiffRefusesADiffTheDirectorCouldNotCompute(t *testing.T) {
	cases := []struct {
		name      string
		answer    string
		wantLines int
		wantErr   string
	}{
		{name: "a computed diff keeps its lines",
			answer:    `{"context":{"cloud_config_ids":[4],"runtime_config_ids":[]},"diff":[["networks:",null],["  reserved: [10.0.16.5]","added"]]}`,
			wantLines: 2},
		{name: "a computed empty diff is empty", answer: `{"context":{"cloud_config_ids":[4],"runtime_config_ids":[]},"diff":[]}`},
		{name: "the director's error is the reason, without its backtrace",
			answer:  `{"diff":[],"error":"Unable to diff manifest: #<RuntimeError: bad range>\n/var/vcap/packages/director/x.rb:1"}`,
			wantErr: `could not compute the diff of deployment "cf": Unable to diff manifest: #<RuntimeError: bad range>; run`},
		{name: "no context is no diff", answer: `{"diff":[]}`, wantErr: `could not compute the diff of deployment "cf"; run`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := &authDirector{authType: "basic", diff: tc.answer}
			srv := httptest.NewTLSServer(d)
			defer srv.Close()
			conn, err := director.Connect(director.ConnectOptions{URL: srv.URL, CACert: pemOf(srv), Client: "errand", ClientSecret: "s3cret"}, lager.NewLogger("test"))
			if err != nil {
				t.Fatal(err)
			}
			diff, err := conn.Raw.DeploymentDiff("cf", []byte("name: cf\n"))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "x.rb") {
					t.Fatalf("err = %v; want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(diff.Diff) != tc.wantLines {
				t.Fatalf("diff %v, err %v; want %d lines", diff.Diff, err, tc.wantLines)
			}
		})
	}
}
