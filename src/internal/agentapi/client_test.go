package agentapi_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi/agentapitest"
)

// fakeAgent records the requests it got and answers with canned documents.
func fakeAgent(t *testing.T, handler http.HandlerFunc) (*agentapi.Client, *agentapitest.CA) {
	t.Helper()
	ca, caFile := agentapitest.NewCA(t, "agent")
	server := ca.Issue(t, "agent-server")
	client := ca.Issue(t, "errand")
	srv := httptest.NewUnstartedServer(handler)
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{server.TLSCertificate(t)},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    ca.Pool(),
		MinVersion:   tls.VersionTLS12,
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	cfg, err := agentapi.ClientTLSConfig(caFile, client.CertFile, client.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	return agentapi.NewClient(srv.URL+"/", cfg), ca
}

func TestClientSendsRequestsToTheVersionedRoutesAndDecodesAnswers(t *testing.T) {
	var got []string
	var gotReq agentapi.SequesterRequest
	c, _ := fakeAgent(t, func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.Path)
		if r.Method == http.MethodPost {
			if err := json.NewDecoder(r.Body).Decode(&gotReq); err != nil {
				t.Errorf("decode body: %v", err)
			}
		}
		switch r.URL.Path {
		case "/v1/inventory":
			_ = json.NewEncoder(w).Encode(agentapi.Inventory{CellID: "cell-1", Containers: []agentapi.Container{{Handle: "h1"}}})
		case "/v1/plan":
			_ = json.NewEncoder(w).Encode(agentapi.Plan{CellID: "cell-1", Steps: []string{agentapi.StepWithdrawRoutes}})
		case "/v1/sequester":
			w.WriteHeader(http.StatusAccepted)
			_ = json.NewEncoder(w).Encode(agentapi.Status{OperationID: gotReq.OperationID, Phase: agentapi.PhaseRunning})
		case "/v1/status":
			_ = json.NewEncoder(w).Encode(agentapi.Status{Phase: agentapi.PhaseDone})
		default:
			http.NotFound(w, r)
		}
	})
	ctx := context.Background()
	inv, err := c.Inventory(ctx)
	if err != nil || inv.CellID != "cell-1" || len(inv.Containers) != 1 || inv.Containers[0].Handle != "h1" {
		t.Fatalf("Inventory = %+v, %v", inv, err)
	}
	plan, err := c.Plan(ctx, agentapi.SequesterRequest{OperationID: "op-plan", Keep: agentapi.Keep{Handles: []string{"h1"}}})
	if err != nil || plan.CellID != "cell-1" || len(plan.Steps) != 1 {
		t.Fatalf("Plan = %+v, %v", plan, err)
	}
	if gotReq.OperationID != "op-plan" || len(gotReq.Keep.Handles) != 1 {
		t.Fatalf("plan request body = %+v", gotReq)
	}
	st, err := c.Sequester(ctx, agentapi.SequesterRequest{OperationID: "op-1", Keep: agentapi.Keep{None: true}})
	if err != nil || st.OperationID != "op-1" || st.Phase != agentapi.PhaseRunning {
		t.Fatalf("Sequester = %+v, %v", st, err)
	}
	if !gotReq.Keep.None {
		t.Fatalf("sequester request lost keep.none: %+v", gotReq)
	}
	st, err = c.Status(ctx)
	if err != nil || st.Phase != agentapi.PhaseDone {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	want := []string{"GET /v1/inventory", "POST /v1/plan", "POST /v1/sequester", "GET /v1/status"}
	if len(got) != len(want) {
		t.Fatalf("requests = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("requests = %v, want %v", got, want)
		}
	}
}

func TestClientTurnsErrorAnswersIntoAPIErrors(t *testing.T) {
	cases := []struct {
		name        string
		status      int
		body        string
		wantMessage string
		wantRefused bool
	}{
		{"bad request is a refusal", 400, `{"error":"keep list is empty"}`, "keep list is empty", true},
		{"conflict is a refusal", 409, `{"error":"operation op-0 owns the cell"}`, "operation op-0 owns the cell", true},
		{"unprocessable is a refusal", 422, `{"error":"handle ../x is not a container name"}`, "handle ../x is not a container name", true},
		{"server error is a failure", 500, `{"error":"boom"}`, "boom", false},
		{"a body that is not json keeps its text", 502, "bad gateway\n", "bad gateway", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := fakeAgent(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			})
			_, err := c.Status(context.Background())
			var apiErr *agentapi.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %v is not an APIError", err)
			}
			if apiErr.StatusCode != tc.status || apiErr.Message != tc.wantMessage {
				t.Fatalf("APIError = %+v", apiErr)
			}
			if apiErr.Refused() != tc.wantRefused || agentapi.IsRefused(err) != tc.wantRefused {
				t.Fatalf("Refused() = %v, want %v", apiErr.Refused(), tc.wantRefused)
			}
		})
	}
}

func TestClientRefusesAnAgentWhoseCertificateIsFromAnotherCA(t *testing.T) {
	_, caFile := agentapitest.NewCA(t, "errand-side")
	other, _ := agentapitest.NewCA(t, "impostor")
	server := other.Issue(t, "impostor-agent")
	client := other.Issue(t, "errand")
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request reached an agent the client must not trust: %s", r.URL.Path)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{server.TLSCertificate(t)}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	cfg, err := agentapi.ClientTLSConfig(caFile, client.CertFile, client.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := agentapi.NewClient(srv.URL, cfg).Status(context.Background()); err == nil {
		t.Fatal("Status succeeded against an untrusted agent")
	}
}

func TestClientTLSConfigFailsOnMissingFiles(t *testing.T) {
	if _, err := agentapi.ClientTLSConfig("/nonexistent/ca.pem", "/nonexistent/c.pem", "/nonexistent/k.pem"); err == nil {
		t.Fatal("ClientTLSConfig accepted missing files")
	}
}
