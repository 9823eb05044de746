package director

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"code.cloudfoundry.org/lager/v3"
	boshdir "github.com/cloudfoundry/bosh-cli/v7/director"
	boshuaa "github.com/cloudfoundry/bosh-cli/v7/uaa"
	"github.com/cloudfoundry/bosh-utils/httpclient"

	"github.com/cloudfoundry-community/cell-sequestration/internal/boshlog"
)

// ConnectOptions is how to reach and authenticate to a director, the same
// inputs as the bosh CLI (BOSH_ENVIRONMENT, BOSH_CA_CERT, BOSH_CLIENT,
// BOSH_CLIENT_SECRET, or what `bosh log-in` stored).
type ConnectOptions struct {
	URL          string
	CACert       string // PEM
	Client       string
	ClientSecret string

	// RefreshToken is a UAA user's from `bosh log-in`, used when there is
	// no Client: exchanged for access tokens as the bosh CLI does, each
	// new token handed to Tokens (nil: kept in memory only).
	RefreshToken string
	Tokens       boshuaa.ConfigUpdater
}

// who names the credentials for messages, never their secrets.
func (o ConnectOptions) who() string {
	if o.Client == "" && o.RefreshToken != "" {
		return "the user logged in with bosh log-in"
	}
	return fmt.Sprintf("client %q", o.Client)
}

// bosh-cli's own UAA client, which refreshes a user's token
// (bosh-cli: cmd/session.go, SessionImpl.UAA).
const boshCLIUAAClient = "bosh_cli"

// memoryTokens keeps a refreshed token nowhere: the session holds it.
type memoryTokens struct{}

func (memoryTokens) UpdateConfigWithToken(string, boshuaa.AccessToken) error { return nil }
func (memoryTokens) Save() error                                             { return nil }

// Connection is an authenticated director: bosh-cli's client for everything
// it has a method for, and Raw for the few endpoints it lacks.
type Connection struct {
	Director boshdir.Director
	Raw      *RawClient
	Tasks    *TaskReporter
	AuthType string
}

// Connect builds the director client the way the bosh CLI does
// (bosh-cli cmd/session.go): NewConfigFromURL, the CA, then basic auth or a
// UAA client-credentials token chosen from GET /info.
func Connect(opts ConnectOptions, logger lager.Logger) (*Connection, error) {
	logger = logger.Session("director-connect")
	blog := boshlog.New(logger)
	cfg, err := boshdir.NewConfigFromURL(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("director URL %q: %w", opts.URL, err)
	}
	cfg.CACert = opts.CACert
	reporter := NewTaskReporter(logger)
	factory := boshdir.NewFactory(blog)

	// GET /info needs no credentials; it says how to authenticate.
	anon, err := factory.New(cfg, reporter, boshdir.NoopFileReporter{})
	if err != nil {
		return nil, fmt.Errorf("director client: %w", err)
	}
	info, err := anon.Info()
	if err != nil {
		return nil, fmt.Errorf("director %s unreachable: %w", opts.URL, err)
	}
	authType := info.Auth.Type
	switch authType {
	case "uaa":
		uaaURL, _ := info.Auth.Options["url"].(string)
		ucfg, err := boshuaa.NewConfigFromURL(uaaURL)
		if err != nil {
			return nil, fmt.Errorf("UAA URL %q from director info: %w", uaaURL, err)
		}
		ucfg.Client, ucfg.ClientSecret, ucfg.CACert = opts.Client, opts.ClientSecret, opts.CACert
		if ucfg.Client == "" {
			ucfg.Client = boshCLIUAAClient
		}
		u, err := boshuaa.NewFactory(blog).New(ucfg)
		if err != nil {
			return nil, fmt.Errorf("UAA client: %w", err)
		}
		switch {
		case opts.Client != "":
			cfg.TokenFunc = boshuaa.NewClientTokenSession(u).TokenFunc
		case opts.RefreshToken != "":
			store := opts.Tokens
			if store == nil {
				store = memoryTokens{}
			}
			// No access token: the session refreshes at once. The stored
			// one may have expired, and the director's /info ignores an
			// expired token instead of answering 401, so the check below
			// would take the user for logged out.
			token := boshuaa.NewRefreshableAccessToken("", "", opts.RefreshToken)
			cfg.TokenFunc = boshuaa.NewAccessTokenSession(u, token, store, opts.URL).TokenFunc
		}
	default:
		cfg.Client, cfg.ClientSecret = opts.Client, opts.ClientSecret
	}
	d, err := factory.New(cfg, reporter, boshdir.NoopFileReporter{})
	if err != nil {
		return nil, fmt.Errorf("director client: %w", err)
	}
	ok, err := d.IsAuthenticated()
	if err != nil {
		return nil, fmt.Errorf("director %s: %w", opts.URL, err)
	}
	if !ok {
		return nil, fmt.Errorf("director %s: not authenticated as %s (auth type %s); log in again with bosh log-in or set BOSH_CLIENT and BOSH_CLIENT_SECRET", opts.URL, opts.who(), authType)
	}
	raw, err := newRawClient(cfg)
	if err != nil {
		return nil, err
	}
	logger.Info("connected", lager.Data{"director": info.Name, "version": info.Version, "auth_type": authType, "as": opts.who()})
	return &Connection{Director: d, Raw: raw, Tasks: reporter, AuthType: authType}, nil
}

// RawClient makes the few director requests bosh-cli has no method for
// (GET /resurrection), with bosh-cli's own CA handling and auth adjustment.
type RawClient struct {
	base   string
	client boshdir.AdjustableClient
}

func newRawClient(cfg boshdir.FactoryConfig) (*RawClient, error) {
	pool, err := cfg.CACertPool()
	if err != nil {
		return nil, fmt.Errorf("director CA: %w", err)
	}
	auth := boshdir.NewAuthRequestAdjustment(cfg.TokenFunc, cfg.Client, cfg.ClientSecret)
	return &RawClient{
		base:   "https://" + net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)),
		client: boshdir.NewAdjustableClient(httpclient.CreateDefaultClient(pool), auth),
	}, nil
}

// JSON sends body (if any) as JSON and decodes a 2xx answer into out.
func (c *RawClient) JSON(method, path string, body, out any) error {
	if body == nil {
		return c.do(method, path, "", nil, out)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	return c.do(method, path, "application/json", b, out)
}

// do sends body (if any) as contentType and decodes a 2xx JSON answer into
// out.
func (c *RawClient) do(method, path, contentType string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &HTTPError{Method: method, Path: path, StatusCode: resp.StatusCode, Body: string(bytes.TrimSpace(raw))}
	}
	if out == nil || len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// HTTPError is a non-2xx answer of the director to the raw client; callers
// ask its status with StatusOf, never its text.
type HTTPError struct {
	Method, Path string
	StatusCode   int
	Body         string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("%s %s: director answered %d: %s", e.Method, e.Path, e.StatusCode, e.Body)
}

// StatusOf is the HTTP status of the director's answer err carries, or 0
// when err is no such answer (a connection error, a decode error).
func StatusOf(err error) int {
	var h *HTTPError
	if errors.As(err, &h) {
		return h.StatusCode
	}
	return 0
}

// GlobalResurrectionPaused reads GET /resurrection, which answers
// {"resurrection": <enabled>} (bosh: api/controllers/resurrection_controller.rb),
// the opposite sense of PUT's resurrection_paused.
func (c *RawClient) GlobalResurrectionPaused() (bool, error) {
	var body struct {
		Enabled *bool `json:"resurrection"`
	}
	if err := c.JSON(http.MethodGet, "/resurrection", nil, &body); err != nil {
		return false, err
	}
	if body.Enabled == nil {
		return false, fmt.Errorf("GET /resurrection: answer without a resurrection field")
	}
	return !*body.Enabled, nil
}

// DeploymentDiff asks the director for the diff of deployment against
// manifest under the latest configs (POST /deployments/:name/diff, the
// request bosh-cli's Deployment.Diff makes) and reads the whole answer:
// a diff the director could not compute comes back as 200 with no lines
// and an "error" (bosh: src/bosh-director/lib/bosh/director/api/
// controllers/deployments_controller.rb, post '/:deployment/diff'), which bosh-cli's result drops, so it would read as "no
// pending changes". That answer, or one without the context of config ids
// a real diff carries, is an error: a diff nobody can check is refused.
func (c *RawClient) DeploymentDiff(deployment string, manifest []byte) (boshdir.DeploymentDiff, error) {
	var answer struct {
		Context map[string]any `json:"context"`
		Diff    [][]any        `json:"diff"`
		Error   string         `json:"error"`
	}
	path := "/deployments/" + url.PathEscape(deployment) + "/diff?redact=false"
	if err := c.do(http.MethodPost, path, "text/yaml", manifest, &answer); err != nil {
		return boshdir.DeploymentDiff{}, err
	}
	if answer.Error != "" || len(answer.Context) == 0 {
		return boshdir.DeploymentDiff{}, errDiffNotComputed(deployment, answer.Error)
	}
	return boshdir.NewDeploymentDiff(answer.Diff, answer.Context), nil
}

// TaskResult is a finished director task.
type TaskResult struct {
	ID     int    `json:"id"`
	State  string `json:"state"`
	Result string `json:"result"`
}

// RunTask sends a request that answers 302 to /tasks/:id (the client
// follows it to the task) and polls the task until it leaves
// queued/processing/cancelling.
func (c *RawClient) RunTask(ctx context.Context, method, path string, poll time.Duration) (TaskResult, error) {
	var t TaskResult
	if err := c.JSON(method, path, nil, &t); err != nil {
		return t, err
	}
	if t.ID == 0 {
		return t, fmt.Errorf("%s %s: the director answered no task", method, path)
	}
	for t.State == "queued" || t.State == "processing" || t.State == "cancelling" {
		select {
		case <-ctx.Done():
			return t, ctx.Err()
		case <-time.After(poll):
		}
		if err := c.JSON(http.MethodGet, "/tasks/"+strconv.Itoa(t.ID), nil, &t); err != nil {
			return t, err
		}
	}
	return t, nil
}

// TaskReporter is bosh-cli's task reporter: it logs task progress through
// lager and keeps each task's client-side timing for the report and the
// benchmark.
type TaskReporter struct {
	logger lager.Logger
	mu     sync.Mutex
	tasks  map[int]*TaskTiming
	order  []int
}

// TaskTiming is one director task as the client saw it.
type TaskTiming struct {
	ID       int           `json:"id"`
	State    string        `json:"state"`
	Started  time.Time     `json:"started"`
	Finished time.Time     `json:"finished"`
	Duration time.Duration `json:"duration"`
}

func NewTaskReporter(logger lager.Logger) *TaskReporter {
	return &TaskReporter{logger: logger.Session("task"), tasks: map[int]*TaskTiming{}}
}

func (r *TaskReporter) TaskStarted(id int) {
	r.mu.Lock()
	r.tasks[id] = &TaskTiming{ID: id, Started: time.Now()}
	r.order = append(r.order, id)
	r.mu.Unlock()
	r.logger.Info("task-started", lager.Data{"task_id": id})
}

func (r *TaskReporter) TaskFinished(id int, state string) {
	r.mu.Lock()
	if t, ok := r.tasks[id]; ok {
		t.State, t.Finished = state, time.Now()
		t.Duration = t.Finished.Sub(t.Started)
	}
	r.mu.Unlock()
	data := lager.Data{"task_id": id, "state": state}
	if state == "done" {
		r.logger.Info("task-finished", data)
		return
	}
	r.logger.Error("task-finished", fmt.Errorf("task %d ended in state %s", id, state), data)
}

// TaskOutputChunk gets event lines ({"time","stage","task","state",...}).
func (r *TaskReporter) TaskOutputChunk(id int, chunk []byte) {
	for _, line := range bytes.Split(chunk, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var ev struct {
			Stage string `json:"stage"`
			Task  string `json:"task"`
			State string `json:"state"`
			Error *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(line, &ev) != nil {
			r.logger.Debug("task-output", lager.Data{"task_id": id, "line": string(line)})
			continue
		}
		data := lager.Data{"task_id": id, "stage": ev.Stage, "task": ev.Task, "state": ev.State}
		if ev.Error != nil {
			r.logger.Error("task-event", fmt.Errorf("%s", ev.Error.Message), data)
			continue
		}
		r.logger.Info("task-event", data)
	}
}

func (r *TaskReporter) TaskHeartbeat(id int, state string, startedAt int64) {
	r.logger.Debug("task-heartbeat", lager.Data{"task_id": id, "state": state})
}

// Timings returns the tasks seen so far, in start order.
func (r *TaskReporter) Timings() []TaskTiming {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]TaskTiming, 0, len(r.order))
	for _, id := range r.order {
		out = append(out, *r.tasks[id])
	}
	return out
}
