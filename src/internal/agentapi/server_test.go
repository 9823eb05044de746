package agentapi_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi/agentapitest"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

// recordingService answers from fields and records what it was asked, to
// test the HTTP layer alone; the agent package tests the real service.
type recordingService struct {
	mu       sync.Mutex
	requests []agentapi.SequesterRequest
	err      error
}

func (s *recordingService) Inventory(context.Context) (agentapi.Inventory, error) {
	return agentapi.Inventory{CellID: "cell-1"}, s.err
}

func (s *recordingService) Plan(_ context.Context, r agentapi.SequesterRequest) (agentapi.Plan, error) {
	s.mu.Lock()
	s.requests = append(s.requests, r)
	s.mu.Unlock()
	return agentapi.Plan{CellID: "cell-1"}, s.err
}

func (s *recordingService) Sequester(_ context.Context, r agentapi.SequesterRequest) (agentapi.Status, error) {
	s.mu.Lock()
	s.requests = append(s.requests, r)
	s.mu.Unlock()
	return agentapi.Status{OperationID: r.OperationID, Phase: agentapi.PhaseRunning}, s.err
}

func (s *recordingService) Status(context.Context) (agentapi.Status, error) {
	return agentapi.Status{Phase: agentapi.PhaseIdle}, s.err
}

func (s *recordingService) Health(context.Context) (agentapi.Health, error) {
	return agentapi.Health{CellID: "cell-1", DThreads: 2, Suspects: []agentapi.Suspect{{Container: "h-1", DThreads: 2}}}, s.err
}

type served struct {
	url    string
	ca     *agentapitest.CA
	caFile string
	svc    *recordingService
}

func serve(t *testing.T) served {
	ca, caFile := agentapitest.NewCA(t, "agent-ca")
	cert := ca.Issue(t, "agent")
	cfg, err := agentapi.ServerTLSConfig(caFile, cert.CertFile, cert.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	svc := &recordingService{}
	s, err := agentapi.Listen(lager.NewLogger("test"), "127.0.0.1:0", cfg, svc)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
		<-done
	})
	return served{url: "https://" + s.Addr(), ca: ca, caFile: caFile, svc: svc}
}

func TestMutualTLS(t *testing.T) {
	s := serve(t)
	other, _ := agentapitest.NewCA(t, "other-ca")
	good := s.ca.Issue(t, "errand")
	foreign := other.Issue(t, "errand")
	cases := []struct {
		name   string
		certs  []tls.Certificate
		wantOK bool
	}{
		{"no client certificate is rejected", nil, false},
		{"a certificate from another CA is rejected", []tls.Certificate{foreign.TLSCertificate(t)}, false},
		{"a certificate from the configured CA is served", []tls.Certificate{good.TLSCertificate(t)}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := agentapi.NewClient(s.url, &tls.Config{RootCAs: s.ca.Pool(), Certificates: tc.certs, MinVersion: tls.VersionTLS12})
			st, err := c.Status(context.Background())
			if tc.wantOK && (err != nil || st.Phase != agentapi.PhaseIdle) {
				t.Fatalf("Status = %+v, %v", st, err)
			}
			if !tc.wantOK {
				var apiErr *agentapi.APIError
				if err == nil || errors.As(err, &apiErr) {
					t.Fatalf("request got through the TLS layer: %+v, %v", st, err)
				}
			}
		})
	}
	plain, err := http.Get("http://" + strings.TrimPrefix(s.url, "https://") + "/v1/status")
	if err == nil {
		plain.Body.Close()
		if plain.StatusCode == http.StatusOK {
			t.Fatal("plaintext request was served")
		}
	}
}

func TestListenRefusesWithoutClientAuthentication(t *testing.T) {
	ca, caFile := agentapitest.NewCA(t, "agent-ca")
	cert := ca.Issue(t, "agent")
	cfg, err := agentapi.ServerTLSConfig(caFile, cert.CertFile, cert.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	weak := cfg.Clone()
	weak.ClientAuth = tls.RequestClientCert
	for name, c := range map[string]*tls.Config{"no tls": nil, "client cert optional": weak} {
		if _, err := agentapi.Listen(lager.NewLogger("test"), "127.0.0.1:0", c, &recordingService{}); err == nil {
			t.Fatalf("%s: Listen succeeded", name)
		}
	}
}

func TestErrorsMapToStatusCodes(t *testing.T) {
	s := serve(t)
	good := s.ca.Issue(t, "errand")
	cfg, err := agentapi.ClientTLSConfig(s.caFile, good.CertFile, good.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	c := agentapi.NewClient(s.url, cfg)
	cases := []struct {
		err  error
		code int
		msg  string
	}{
		{fmt.Errorf("%w: operation id is empty", agentapi.ErrInvalidRequest), 400, "invalid request: operation id is empty"},
		{fmt.Errorf("%w: operation op-0 owns the cell", agentapi.ErrConflict), 409, "conflict: operation op-0 owns the cell"},
		{refusal.Errorf("no container with handle x"), 422, "refused: no container with handle x"},
		{errors.New("garden exploded"), 500, "garden exploded"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			s.svc.err = tc.err
			_, err := c.Sequester(context.Background(), agentapi.SequesterRequest{OperationID: "op"})
			var apiErr *agentapi.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tc.code || apiErr.Message != tc.msg {
				t.Fatalf("error = %v, want %d %q", err, tc.code, tc.err)
			}
		})
	}
}

func TestARequestWithAnUnknownFieldIsRejectedBeforeTheService(t *testing.T) {
	s := serve(t)
	good := s.ca.Issue(t, "errand")
	cfg, err := agentapi.ClientTLSConfig(s.caFile, good.CertFile, good.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	resp, err := hc.Post(s.url+"/v1/sequester", "application/json", strings.NewReader(`{"operation_id":"op","keep":{"handle":["typo"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	if len(s.svc.requests) != 0 {
		t.Fatalf("service was called with %+v", s.svc.requests)
	}
	resp, err = hc.Get(s.url + "/v2/status")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown route status = %d", resp.StatusCode)
	}
}

func TestHealthTravelsOverMutualTLS(t *testing.T) {
	s := serve(t)
	good := s.ca.Issue(t, "cli")
	c := agentapi.NewClient(s.url, &tls.Config{RootCAs: s.ca.Pool(), Certificates: []tls.Certificate{good.TLSCertificate(t)}, MinVersion: tls.VersionTLS12})
	h, err := c.Health(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if h.CellID != "cell-1" || h.DThreads != 2 || len(h.Suspects) != 1 || h.Suspects[0].Container != "h-1" {
		t.Fatalf("Health = %+v", h)
	}
}
