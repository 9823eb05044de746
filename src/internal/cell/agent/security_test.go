package agent_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi/agentapitest"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/monitd"
)

// The security table: each row is one attack on the real agent (agent.Serve
// with its mTLS configuration and agentapi.DefaultServerLimits, on a cell of
// real monit, runit and runc containers). The rows run at the same time
// while a good client keeps asking for the status over fresh connections;
// afterwards the cell must be exactly as before. Each row reports what the
// agent answered; SEQUESTER_SECURITY_TABLE=FILE writes the table as
// markdown (the README's Safety section is that file).
func TestTheAgentAnswersEveryAttackWithoutASideEffectAndKeepsServingAGoodClient(t *testing.T) {
	c := newCell(t)
	hs := c.create(
		gardenrunc.Spec{AppGUID: "app-keep", AppVersion: "v1", Index: 0},
		gardenrunc.Spec{AppGUID: "app-a", AppVersion: "v1", Index: 0},
	)
	// A job's log swapped for a link to a secret: the evidence bundle
	// must not carry the secret.
	outside := t.TempDir()
	secret := filepath.Join(outside, "shadow")
	must(t, os.WriteFile(secret, []byte("root:$6$secret-hash"), 0o600))
	linkedLog := filepath.Join(c.dir, "route_emitter.stdout.log")
	must(t, os.Symlink(secret, linkedLog))
	c.cfg.Evidence.LogFiles = append(c.cfg.Evidence.LogFiles, linkedLog)
	cl := c.startAgent()
	repPid := monitd.PidFromFile(c.repPid)
	ctx := context.Background()
	before, err := cl.Inventory(ctx)
	must(t, err)
	a := &attacker{t: t, c: c, addr: c.cfg.ListenAddress, limits: agentapi.DefaultServerLimits, keep: hs[0]}

	good := startGoodClient(c)
	time.Sleep(2 * time.Second)
	idle := good.cut()

	table := a.table()
	rows := make([]securityRow, len(table))
	t.Run("attacks", func(t *testing.T) {
		for i, tc := range table {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				start := time.Now()
				answer, err := tc.run()
				row := securityRow{tried: tc.tried, answer: answer, took: time.Since(start)}
				rows[i] = row
				if err != nil {
					t.Fatalf("%s: %v (answer: %s)", tc.tried, err, answer)
				}
				t.Logf("%s -> %s (%.1f s)", tc.tried, answer, row.took.Seconds())
			})
		}
	})
	attacked := good.cut()

	t.Run("the cell is untouched", func(t *testing.T) {
		c.assertUntouched(t, hs, repPid)
		after, err := cl.Inventory(ctx)
		if err != nil || !sameContainers(before.Containers, after.Containers) {
			t.Errorf("inventory changed under attack: %+v -> %+v (%v)", before.Containers, after.Containers, err)
		}
	})

	// A replay needs an operation to replay: one runs to the end first.
	// Links to the secret wait under every name its evidence bundle could
	// get in the next two minutes.
	req := agentapi.SequesterRequest{OperationID: "sec-op-1", Keep: agentapi.Keep{Handles: []string{hs[0]}}, SkipReplacementWait: true}
	must(t, os.MkdirAll(c.cfg.Evidence.Dir, 0o700))
	for at := time.Now().Add(-5 * time.Second); at.Before(time.Now().Add(2 * time.Minute)); at = at.Add(time.Second) {
		name := fmt.Sprintf("%s-%s-%s.tar.gz", cellID, req.OperationID, at.UTC().Format("20060102T150405Z"))
		must(t, os.Symlink(secret, filepath.Join(c.cfg.Evidence.Dir, name)))
	}
	_, err = cl.Sequester(ctx, req)
	must(t, err)
	done := waitPhase(t, cl, 90*time.Second)
	if done.Phase != agentapi.PhaseDone {
		t.Fatalf("the operation to replay ended %s: %s", done.Phase, done.Error)
	}
	t.Run("evidence", func(t *testing.T) {
		for _, tc := range evidenceCases(done, secret, linkedLog) {
			t.Run(tc.name, func(t *testing.T) {
				answer, err := tc.run()
				rows = append(rows, securityRow{tried: tc.tried, answer: answer})
				if err != nil {
					t.Fatalf("%s: %v (answer: %s)", tc.tried, err, answer)
				}
				t.Logf("%s -> %s", tc.tried, answer)
			})
		}
	})
	// The sequestration itself is no attack: its window counts only for
	// failures.
	sequestering := good.cut()
	t.Run("replays", func(t *testing.T) {
		for _, tc := range a.replays(req, done) {
			t.Run(tc.name, func(t *testing.T) {
				start := time.Now()
				answer, err := tc.run()
				rows = append(rows, securityRow{tried: tc.tried, answer: answer, took: time.Since(start)})
				if err != nil {
					t.Fatalf("%s: %v (answer: %s)", tc.tried, err, answer)
				}
				t.Logf("%s -> %s", tc.tried, answer)
			})
		}
	})
	replayed := good.cut()
	good.stop()

	for _, f := range append(append(append(idle.failures, attacked.failures...), sequestering.failures...), replayed.failures...) {
		t.Errorf("the good client was not served within its deadline: %s", f)
	}
	all := append(attacked.samples, replayed.samples...)
	quiet, under := containers.SummarizeDurations(idle.samples), containers.SummarizeDurations(all)
	t.Logf("good client (GET /v1/status, new mTLS connection each): before the attacks n=%d p99=%.1f ms max=%.1f ms; under attack n=%d p99=%.1f ms max=%.1f ms",
		quiet.Count, quiet.P99Seconds*1000, quiet.MaxSeconds*1000, under.Count, under.P99Seconds*1000, under.MaxSeconds*1000)
	writeSecurityTable(t, rows, quiet, under)
}

type securityRow struct {
	tried, answer string
	took          time.Duration
}

type securityCase struct {
	name  string
	tried string
	run   func() (answer string, err error)
}

// attacker holds what the rows share.
type attacker struct {
	t      *testing.T
	c      *cell
	addr   string
	limits agentapi.ServerLimits
	keep   string
}

// hostile is the request every attack tries to slip through: keep nothing,
// that is, prune every container on the cell.
var hostile = agentapi.SequesterRequest{OperationID: "sec-attack", Keep: agentapi.Keep{None: true}, SkipReplacementWait: true, AllowWithoutSSH: true}

func (a *attacker) table() []securityCase {
	ca := a.c.agentCA
	other, _ := agentapitest.NewCA(a.t, "impostor-ca")
	day := 24 * time.Hour
	issue := func(edit func(*x509.Certificate)) []tls.Certificate {
		return []tls.Certificate{ca.IssueWith(a.t, "sequester-errand", edit).TLSCertificate(a.t)}
	}
	return []securityCase{
		{"no client certificate is refused in the handshake", "no client certificate",
			a.handshake(nil, 0)},
		{"a certificate from another CA is refused in the handshake", "a client certificate from another CA",
			a.handshake([]tls.Certificate{other.Issue(a.t, "sequester-errand").TLSCertificate(a.t)}, 0)},
		{"an expired certificate is refused in the handshake", "an expired client certificate (CA's own)",
			a.handshake(issue(func(c *x509.Certificate) { c.NotBefore, c.NotAfter = time.Now().Add(-2*day), time.Now().Add(-day) }), 0)},
		{"a certificate not valid yet is refused in the handshake", "a client certificate not valid yet (CA's own)",
			a.handshake(issue(func(c *x509.Certificate) { c.NotBefore, c.NotAfter = time.Now().Add(day), time.Now().Add(2*day) }), 0)},
		{"a server-only certificate is refused as a client certificate", "a server-only certificate (no clientAuth EKU) as client certificate",
			a.handshake(issue(func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth} }), 0)},
		{"TLS 1.1 is refused in the handshake", "TLS 1.1 with a good client certificate",
			a.handshake(nil, tls.VersionTLS11)},
		{"plain HTTP to the TLS port is answered 400 without routing", "plain HTTP to the TLS port",
			a.plainHTTP},
		{"a body over the limit is refused before the service", fmt.Sprintf("a %d MiB body (limit %d MiB)", 2*agentapi.MaxRequestBody>>20, agentapi.MaxRequestBody>>20),
			a.post("/v1/sequester", func() []byte {
				b, _ := json.Marshal(hostile)
				return append(append(b[:len(b)-1], bytes.Repeat([]byte(" "), 2*agentapi.MaxRequestBody)...), '}')
			}(), http.StatusBadRequest)},
		{"data after the JSON document is refused", "trailing data after the JSON document",
			a.post("/v1/sequester", []byte(fmt.Sprintf(`{"operation_id":"sec-trailing","keep":{"handles":[%q]}} {"operation_id":"sec-trailing","keep":{"none":true}}`, a.keep)), http.StatusBadRequest)},
		{"a client silent before the handshake is cut off", "10 connections silent after the first byte of a ClientHello",
			a.slow(10, a.silentHandshake, a.limits.ReadHeaderTimeout)},
		{"a client trickling its headers is cut off", "10 authenticated connections sending a header line a second (slowloris)",
			a.slow(10, a.slowHeaders, a.limits.ReadHeaderTimeout)},
		{"an idle keep-alive connection is closed", "10 authenticated keep-alive connections left idle after one request",
			a.slow(10, a.idleKeepAlive, a.limits.IdleTimeout)},
	}
}

// replays run after one operation has run to the end.
func (a *attacker) replays(req agentapi.SequesterRequest, done agentapi.Status) []securityCase {
	cl := a.c.client()
	journal := filepath.Join(a.c.cfg.StateDir, "state.json")
	check := func(answered agentapi.Status, journalBefore []byte) error {
		if after, _ := os.ReadFile(journal); !bytes.Equal(after, journalBefore) {
			return errors.New("the journal changed")
		}
		if !a.c.containerRunning(a.keep) || !a.c.gardenHandles()[a.keep] {
			return errors.New("the kept container was touched")
		}
		if len(answered.Kept) > 0 && (answered.OperationID != req.OperationID || answered.Kept[0] != a.keep) {
			return fmt.Errorf("answered another operation: %+v", answered)
		}
		return nil
	}
	return []securityCase{
		{"a replayed operation id with another request changes nothing", "the finished operation's id replayed with keep none (prune everything)",
			func() (string, error) {
				j, _ := os.ReadFile(journal)
				replay := hostile
				replay.OperationID = req.OperationID
				st, err := cl.Sequester(context.Background(), replay)
				if err != nil {
					return err.Error(), err
				}
				answer := fmt.Sprintf("202 with the journaled operation's status (phase %s, the same %d kept and %d pruned); the replayed request is not applied", st.Phase, len(st.Kept), len(st.Pruned))
				if st.Phase != agentapi.PhaseDone || len(st.Kept) != 1 || len(st.Pruned) != len(done.Pruned) {
					return answer, errors.New("the replay changed the operation")
				}
				return answer, check(st, j)
			}},
		{"another operation id is refused while one owns the cell", "a new operation id with keep none while the cell is sequestered",
			func() (string, error) {
				j, _ := os.ReadFile(journal)
				_, err := cl.Sequester(context.Background(), hostile)
				var apiErr *agentapi.APIError
				if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusConflict {
					return fmt.Sprint(err), fmt.Errorf("want 409, got %v", err)
				}
				return fmt.Sprintf("%d %s", apiErr.StatusCode, apiErr.Message), check(agentapi.Status{}, j)
			}},
	}
}

var tlsAlert = regexp.MustCompile(`(remote error: tls: [a-z ]+|tls: [a-z ]+version[a-z ]*)`)

// handshake sends the hostile request with the given client certificates
// (or, with maxVersion set, the good certificate capped at that version):
// it must fail in TLS, never reach HTTP.
func (a *attacker) handshake(certs []tls.Certificate, maxVersion uint16) func() (string, error) {
	return func() (string, error) {
		cfg := &tls.Config{RootCAs: a.c.agentCA.Pool(), MinVersion: tls.VersionTLS12}
		if len(certs) > 0 {
			// Presented whatever CAs the agent names as acceptable: Go's
			// client would otherwise hold back a certificate from another
			// CA, and the row would test nothing but a missing one.
			cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &certs[0], nil }
		}
		if maxVersion != 0 {
			cfg = a.c.clientTLS.Clone()
			cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS10, maxVersion
		}
		_, err := agentapi.NewClient("https://"+a.addr, cfg).Sequester(context.Background(), hostile)
		var apiErr *agentapi.APIError
		if err == nil || errors.As(err, &apiErr) {
			return fmt.Sprint(err), errors.New("the request got past TLS")
		}
		reason := err.Error()
		if m := tlsAlert.FindString(reason); m != "" {
			reason = m
		}
		return "handshake refused: " + reason, nil
	}
}

func (a *attacker) plainHTTP() (string, error) {
	body, _ := json.Marshal(hostile)
	conn, err := net.DialTimeout("tcp", a.addr, 10*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(conn, "POST /v1/sequester HTTP/1.1\r\nHost: agent\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return "connection closed: " + err.Error(), nil
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	answer := fmt.Sprintf("%s %q", resp.Status, strings.TrimSpace(string(msg)))
	if resp.StatusCode != http.StatusBadRequest {
		return answer, errors.New("want 400")
	}
	return answer, nil
}

// post sends body with the good certificate and wants code.
func (a *attacker) post(path string, body []byte, code int) func() (string, error) {
	return func() (string, error) {
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: a.c.clientTLS}, Timeout: 30 * time.Second}
		resp, err := hc.Post("https://"+a.addr+path, "application/json", bytes.NewReader(body))
		if err != nil {
			return err.Error(), err
		}
		defer resp.Body.Close()
		var e agentapi.ErrorResponse
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		_ = json.Unmarshal(raw, &e)
		answer := fmt.Sprintf("%d %s", resp.StatusCode, e.Error)
		if resp.StatusCode != code {
			return answer, fmt.Errorf("want %d", code)
		}
		return answer, nil
	}
}

// slow opens n connections that each misbehave through hold, and wants
// every one closed by the agent; hold returns when the agent closed it and
// fails when it is still open 30 s past limit.
func (a *attacker) slow(n int, hold func() error, limit time.Duration) func() (string, error) {
	return func() (string, error) {
		if limit == a.limits.IdleTimeout && testing.Short() {
			return fmt.Sprintf("not awaited under -short (idle_timeout %s)", limit), nil
		}
		start := time.Now()
		errs := make(chan error, n)
		var longest time.Duration
		var mu sync.Mutex
		for i := 0; i < n; i++ {
			go func() {
				err := hold()
				mu.Lock()
				if d := time.Since(start); d > longest {
					longest = d
				}
				mu.Unlock()
				errs <- err
			}()
		}
		for i := 0; i < n; i++ {
			if err := <-errs; err != nil {
				return "", err
			}
		}
		// No timing assertion beyond waitClosed's generous bound: the
		// answer reports when the agent closed them.
		return fmt.Sprintf("all %d closed by the agent within %.1f s (limit %s)", n, longest.Seconds(), limit), nil
	}
}

// waitClosed reads until the agent closes conn; a read that times out
// (far past every limit) means the agent kept it.
func waitClosed(conn net.Conn, r io.Reader, max time.Duration) error {
	_ = conn.SetReadDeadline(time.Now().Add(max))
	_, err := io.Copy(io.Discard, r)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("the agent kept the connection open for %s", max)
	}
	return nil
}

func (a *attacker) silentHandshake() error {
	conn, err := net.DialTimeout("tcp", a.addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	// The first byte of a TLS handshake record, then nothing.
	if _, err := conn.Write([]byte{0x16}); err != nil {
		return err
	}
	return waitClosed(conn, conn, a.limits.ReadHeaderTimeout+30*time.Second)
}

func (a *attacker) slowHeaders() error {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", a.addr, a.c.clientTLS)
	if err != nil {
		return err
	}
	defer conn.Close()
	closed := make(chan error, 1)
	go func() { closed <- waitClosed(conn, conn, a.limits.ReadHeaderTimeout+30*time.Second) }()
	if _, err := io.WriteString(conn, "POST /v1/sequester HTTP/1.1\r\nHost: agent\r\n"); err != nil {
		return <-closed
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case err := <-closed:
			return err
		case <-tick.C:
			// Writes may keep succeeding into the socket buffer after
			// the agent closed; the reader tells when it did.
			_, _ = fmt.Fprintf(conn, "X-Slow-%d: x\r\n", i)
		}
	}
}

func (a *attacker) idleKeepAlive() error {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", a.addr, a.c.clientTLS)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /v1/status HTTP/1.1\r\nHost: agent\r\n\r\n"); err != nil {
		return err
	}
	r := bufio.NewReader(conn)
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		return fmt.Errorf("the first request was not served: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Close {
		return fmt.Errorf("the first request got %s (close=%v), not a keep-alive 200", resp.Status, resp.Close)
	}
	return waitClosed(conn, r, a.limits.IdleTimeout+30*time.Second)
}

// goodClient asks for the status every 25 ms over a new mTLS connection
// each time (an errand reconnecting must get in too), and records how long
// each answer took; one that fails or takes longer than the client's own
// deadline is a failure.
type goodClient struct {
	mu       sync.Mutex
	samples  []time.Duration
	failures []string
	cancel   context.CancelFunc
	done     chan struct{}
}

type goodWindow struct {
	samples  []time.Duration
	failures []string
}

const goodDeadline = 10 * time.Second

func startGoodClient(c *cell) *goodClient {
	ctx, cancel := context.WithCancel(context.Background())
	g := &goodClient{cancel: cancel, done: make(chan struct{})}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: c.clientTLS, DisableKeepAlives: true}}
	url := "https://" + c.cfg.ListenAddress + "/v1/status"
	go func() {
		defer close(g.done)
		for ctx.Err() == nil {
			reqCtx, cancelReq := context.WithTimeout(ctx, goodDeadline)
			req, _ := http.NewRequestWithContext(reqCtx, http.MethodGet, url, nil)
			start := time.Now()
			resp, err := hc.Do(req)
			took := time.Since(start)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("status %s", resp.Status)
				}
			}
			cancelReq()
			g.mu.Lock()
			switch {
			case err != nil && ctx.Err() == nil:
				g.failures = append(g.failures, fmt.Sprintf("after %s: %v", took, err))
			case err == nil:
				g.samples = append(g.samples, took)
			}
			g.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(25 * time.Millisecond):
			}
		}
	}()
	return g
}

// cut returns what was measured since the last cut.
func (g *goodClient) cut() goodWindow {
	g.mu.Lock()
	defer g.mu.Unlock()
	w := goodWindow{samples: g.samples, failures: g.failures}
	g.samples, g.failures = nil, nil
	return w
}

func (g *goodClient) stop() { g.cancel(); <-g.done }

func sameContainers(a, b []agentapi.Container) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Handle != b[i].Handle || a[i].State != b[i].State || fmt.Sprint(a[i].Pids) != fmt.Sprint(b[i].Pids) {
			return false
		}
	}
	return true
}

func writeSecurityTable(t *testing.T, rows []securityRow, quiet, under agentapi.DurationStats) {
	var b strings.Builder
	b.WriteString("| what was tried | what the agent answered |\n|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s |\n", r.tried, strings.ReplaceAll(r.answer, "|", "\\|"))
	}
	fmt.Fprintf(&b, "\nGood client (GET /v1/status on a new mTLS connection every 25 ms): before the attacks p99 %.1f ms, max %.1f ms (n=%d); during them p99 %.1f ms, max %.1f ms (n=%d); every answer within its %s deadline.\n",
		quiet.P99Seconds*1000, quiet.MaxSeconds*1000, quiet.Count, under.P99Seconds*1000, under.MaxSeconds*1000, under.Count, goodDeadline)
	t.Logf("security table:\n%s", b.String())
	if path := os.Getenv("SEQUESTER_SECURITY_TABLE"); path != "" {
		must(t, os.WriteFile(path, []byte(b.String()), 0o644))
	}
}

// evidenceCases check the bundle the finished operation captured.
func evidenceCases(done agentapi.Status, secret, linkedLog string) []securityCase {
	return []securityCase{
		{"no job log is read through a link", "a job's log file replaced by a link to a secret outside the log directory",
			func() (string, error) {
				files, err := bundleFiles(done.Evidence)
				if err != nil {
					return "", err
				}
				for name, body := range files {
					if strings.Contains(string(body), "secret-hash") {
						return "the secret is in " + name, errors.New("read through the link")
					}
				}
				var manifest struct {
					Notes []string `json:"notes"`
				}
				_ = json.Unmarshal(files["MANIFEST.json"], &manifest)
				for _, n := range manifest.Notes {
					if strings.Contains(n, linkedLog) {
						return "log left out of the bundle; its manifest says: " + strings.ReplaceAll(strings.TrimPrefix(n, "log "+linkedLog+": "), linkedLog, "the log"), nil
					}
				}
				return fmt.Sprint(manifest.Notes), errors.New("the manifest does not say why the log is missing")
			}},
		{"no bundle is written through a link planted under its name", "links to a secret planted in the evidence directory under every name the next bundle could get",
			func() (string, error) {
				if b, err := os.ReadFile(secret); err != nil || string(b) != "root:$6$secret-hash" {
					return fmt.Sprintf("the secret now reads %.20q (%v)", b, err), errors.New("written through the link")
				}
				st, err := os.Lstat(done.Evidence)
				if err != nil || !st.Mode().IsRegular() {
					return fmt.Sprint(st, err), errors.New("the bundle is not a regular file")
				}
				return fmt.Sprintf("the bundle replaced the link (a regular file of %d bytes); the link's target is unchanged", st.Size()), nil
			}},
	}
}

func bundleFiles(path string) (map[string][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		out[h.Name] = b
	}
}
