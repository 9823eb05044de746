package agentapi_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi/agentapitest"
)

type limitServer struct {
	served
	logs *lockedBuffer
	cfg  *tls.Config
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func serveWith(t *testing.T, opts ...agentapi.ListenOption) limitServer {
	ca, caFile := agentapitest.NewCA(t, "agent-ca")
	cert := ca.Issue(t, "agent")
	cfg, err := agentapi.ServerTLSConfig(caFile, cert.CertFile, cert.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	logger := lager.NewLogger("agent")
	logger.RegisterSink(lager.NewWriterSink(logs, lager.DEBUG))
	svc := &recordingService{}
	s, err := agentapi.Listen(logger, "127.0.0.1:0", cfg, svc, opts...)
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
	good := ca.Issue(t, "errand")
	clientCfg, err := agentapi.ClientTLSConfig(caFile, good.CertFile, good.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	return limitServer{served: served{url: "https://" + s.Addr(), ca: ca, caFile: caFile, svc: svc}, logs: logs, cfg: clientCfg}
}

func TestARequestBodyWithDataAfterTheJSONDocumentIsRejected(t *testing.T) {
	s := serveWith(t)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: s.cfg}}
	cases := []struct {
		name string
		body string
		code int
	}{
		{"a second document", `{"operation_id":"op-1"}{"operation_id":"op-2","keep":{"handles":["x"]}}`, http.StatusBadRequest},
		{"garbage after the document", `{"operation_id":"op-1"} keep everything`, http.StatusBadRequest},
		{"a closing brace too many", `{"operation_id":"op-1"}}`, http.StatusBadRequest},
		{"one document and a newline is served", "{\"operation_id\":\"op-1\"}\n", http.StatusAccepted},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s.svc.mu.Lock()
			s.svc.requests = nil
			s.svc.mu.Unlock()
			resp, err := hc.Post(s.url+"/v1/sequester", "application/json", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.code {
				t.Fatalf("status = %d (%s), want %d", resp.StatusCode, msg, tc.code)
			}
			s.svc.mu.Lock()
			called := len(s.svc.requests)
			s.svc.mu.Unlock()
			if tc.code == http.StatusBadRequest && called != 0 {
				t.Fatalf("the service was called with %+v", s.svc.requests)
			}
		})
	}
}

func TestOversizedRequestHeadersAreRefused(t *testing.T) {
	s := serveWith(t)
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: s.cfg}}
	req, err := http.NewRequest(http.MethodGet, s.url+"/v1/status", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Padding", strings.Repeat("a", 200<<10))
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("a 200 KiB header got status %d, want 431", resp.StatusCode)
	}
}

// A client that stops sending half way through a request, or leaves a
// connection idle, is cut off instead of holding the agent's resources.
func TestAStalledOrIdleClientIsDisconnected(t *testing.T) {
	s := serveWith(t, agentapi.WithLimits(agentapi.ServerLimits{
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       300 * time.Millisecond,
		IdleTimeout:       300 * time.Millisecond,
		MaxHeaderBytes:    agentapi.DefaultServerLimits.MaxHeaderBytes,
	}))
	addr := strings.TrimPrefix(s.url, "https://")
	cases := []struct {
		name string
		send string
	}{
		{"a body that never completes", "POST /v1/plan HTTP/1.1\r\nHost: agent\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"oper"},
		{"an idle keep-alive connection", "GET /v1/status HTTP/1.1\r\nHost: agent\r\n\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := tls.Dial("tcp", addr, s.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, tc.send); err != nil {
				t.Fatal(err)
			}
			// Far longer than the limits: only a server that never
			// closes the connection reaches it.
			_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
			r := bufio.NewReader(conn)
			for {
				if _, err := r.ReadByte(); err != nil {
					if ne, ok := err.(net.Error); ok && ne.Timeout() {
						t.Fatal("the server kept the connection open")
					}
					return
				}
			}
		})
	}
}

func TestAFailedTLSHandshakeIsLoggedThroughLager(t *testing.T) {
	s := serveWith(t)
	addr := strings.TrimPrefix(s.url, "https://")
	// A client with no certificate: the agent refuses it in the handshake.
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: s.ca.Pool(), MinVersion: tls.VersionTLS12})
	if err == nil {
		_, _ = conn.Write([]byte("GET /v1/status HTTP/1.1\r\nHost: agent\r\n\r\n"))
		_, _ = conn.Read(make([]byte, 1))
		conn.Close()
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.logs.String(), "tls-handshake-failed") {
		if time.Now().After(deadline) {
			t.Fatalf("no tls-handshake-failed entry in the agent's lager log: %s", s.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(s.logs.String(), `"remote_addr":"127.0.0.1:`) {
		t.Fatalf("the handshake failure does not name the client: %s", s.logs.String())
	}
}
