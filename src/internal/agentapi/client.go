package agentapi

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"code.cloudfoundry.org/tlsconfig"
)

// Client talks to one cell's sequester-agent over mTLS.
type Client struct {
	baseURL string
	http    *http.Client
}

// NewClient returns a client for baseURL (https://host:port, no /v1).
// tlsConfig must carry the client certificate and the CA of the agent's
// server certificate; build it with ClientTLSConfig.
func NewClient(baseURL string, tlsConfig *tls.Config) *Client {
	return &Client{
		baseURL: strings.TrimRight(baseURL, "/"),
		http: &http.Client{
			Transport: &http.Transport{
				TLSClientConfig:     tlsConfig,
				TLSHandshakeTimeout: 10 * time.Second,
				// Each cell is its own host; a few idle connections suffice.
				MaxIdleConnsPerHost: 2,
				IdleConnTimeout:     30 * time.Second,
			},
			// Every call is short: Sequester answers at once and runs in
			// the background. Callers bound longer waits with ctx.
			Timeout: 60 * time.Second,
		},
	}
}

// ClientTLSConfig builds the client side of the agent's mTLS from PEM files:
// caFile is the CA the agent's server certificate chains to, certFile and
// keyFile are the client identity the agent checks against its own CA.
func ClientTLSConfig(caFile, certFile, keyFile string) (*tls.Config, error) {
	cfg, err := tlsconfig.Build(
		tlsconfig.WithExternalServiceDefaults(),
		tlsconfig.WithIdentityFromFile(certFile, keyFile),
	).Client(tlsconfig.WithAuthorityFromFile(caFile))
	if err != nil {
		return nil, fmt.Errorf("agent client tls: %w", err)
	}
	return cfg, nil
}

// DefaultServerName is the name a client checks in an agent's certificate
// unless told otherwise: the one the shipped manifests put in every agent's
// certificate, and sequester-cell's agent.server_name default. A name, not
// each cell's IP, lets one certificate serve every cell.
const DefaultServerName = "sequester-agent.internal"

// APIError is a non-2xx answer from the agent.
type APIError struct {
	StatusCode int
	Message    string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("sequester-agent answered %d: %s", e.StatusCode, e.Message)
}

// Refused tells a refusal (nothing changed on the cell: bad request,
// validation failure, another operation owns the cell) from a failure.
func (e *APIError) Refused() bool {
	switch e.StatusCode {
	case http.StatusBadRequest, http.StatusConflict, http.StatusUnprocessableEntity:
		return true
	}
	return false
}

// IsRefused reports whether err is an APIError that means "refused".
func IsRefused(err error) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.Refused()
}

func (c *Client) Inventory(ctx context.Context) (Inventory, error) {
	var inv Inventory
	err := c.do(ctx, http.MethodGet, "/v1/inventory", nil, &inv)
	return inv, err
}

// Plan asks what Sequester would do; the agent changes nothing.
func (c *Client) Plan(ctx context.Context, req SequesterRequest) (Plan, error) {
	var p Plan
	err := c.do(ctx, http.MethodPost, "/v1/plan", req, &p)
	return p, err
}

// Sequester starts (or resumes, for the same operation id) the cell-side
// sequence and returns at once; poll Status for progress.
func (c *Client) Sequester(ctx context.Context, req SequesterRequest) (Status, error) {
	var s Status
	err := c.do(ctx, http.MethodPost, "/v1/sequester", req, &s)
	return s, err
}

func (c *Client) Status(ctx context.Context) (Status, error) {
	var s Status
	err := c.do(ctx, http.MethodGet, "/v1/status", nil, &s)
	return s, err
}

// Health asks for the cell's D-state figures, suspects and bundles.
func (c *Client) Health(ctx context.Context) (Health, error) {
	var h Health
	err := c.do(ctx, http.MethodGet, "/v1/health", nil, &h)
	return h, err
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	// Bodies are small JSON documents; the cap guards against a wrong peer.
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var e ErrorResponse
		msg := strings.TrimSpace(string(raw))
		if json.Unmarshal(raw, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		return &APIError{StatusCode: resp.StatusCode, Message: msg}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}
