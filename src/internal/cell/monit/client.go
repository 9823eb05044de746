// Package monit drives a local monit daemon through its HTTP interface, the
// way the BOSH agent does, and waits until an action has taken effect.
package monit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"code.cloudfoundry.org/lager/v3"
)

// Monitor values of a service in monit's status document.
const (
	NotMonitored = 0
	Monitored    = 1
	Initializing = 2
)

// ErrNoSuchService is returned when monit does not know the service.
var ErrNoSuchService = errors.New("monit has no such service")

// Service is one service from monit's status document.
type Service struct {
	Name string
	// Type 3 is a process check.
	Type int
	// Status is monit's error bit mask; 0 means no failing check.
	Status int
	// Monitor is NotMonitored, Monitored or Initializing.
	Monitor       int
	MonitorMode   int
	PendingAction int
	// Pid is the process monit last saw; 0 or -1 when none.
	Pid int
}

// Running tells whether monit watches the service and sees its process.
func (s Service) Running() bool {
	return s.Monitor == Monitored && s.Pid > 0 && s.Status == 0 && s.PendingAction == 0
}

// Client talks to one monit daemon. Its zero value is not usable.
type Client struct {
	base     string
	user     string
	password string
	http     *http.Client
	logger   lager.Logger
	// PollInterval and Timeout bound the wait for an action to take effect.
	PollInterval time.Duration
	Timeout      time.Duration
}

// NewClient reads the credentials file (one line, user:password, as
// /var/vcap/monit/monit.user) and returns a client for address (host:port,
// or a URL). A request that cannot reach monit fails with an
// *UnreachableError saying why (reach.go).
func NewClient(logger lager.Logger, address, credentialsFile string) (*Client, error) {
	raw, err := os.ReadFile(credentialsFile)
	if err != nil {
		return nil, fmt.Errorf("read monit credentials: %w", err)
	}
	line := strings.TrimRight(string(raw), "\r\n")
	user, password, ok := strings.Cut(line, ":")
	if !ok || user == "" {
		return nil, fmt.Errorf("monit credentials file %s is not user:password", credentialsFile)
	}
	base := address
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	return &Client{
		base:         strings.TrimRight(base, "/"),
		user:         user,
		password:     password,
		http:         &http.Client{Timeout: 10 * time.Second},
		logger:       logger.Session("monit-client"),
		PollInterval: 250 * time.Millisecond,
		Timeout:      60 * time.Second,
	}, nil
}

type statusDoc struct {
	Services []struct {
		Type          int    `xml:"type,attr"`
		Name          string `xml:"name"`
		Status        int    `xml:"status"`
		Monitor       int    `xml:"monitor"`
		MonitorMode   int    `xml:"monitormode"`
		PendingAction int    `xml:"pendingaction"`
		Pid           *int   `xml:"pid"`
	} `xml:"service"`
}

// Services returns every service monit knows.
func (c *Client) Services(ctx context.Context) ([]Service, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/_status?format=xml", nil)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(c.user, c.password)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.explain(ctx, fmt.Errorf("monit status: %w", err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("monit status: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("monit status: HTTP %d", resp.StatusCode)
	}
	return parseStatus(body)
}

// parseStatus reads monit's status document (GET /_status?format=xml).
func parseStatus(body []byte) ([]Service, error) {
	var doc statusDoc
	dec := xml.NewDecoder(bytes.NewReader(body))
	// monit declares ISO-8859-1; service names are ASCII, so pass bytes on.
	dec.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("parse monit status: %w", err)
	}
	out := make([]Service, 0, len(doc.Services))
	for _, s := range doc.Services {
		svc := Service{
			Name: s.Name, Type: s.Type, Status: s.Status, Monitor: s.Monitor,
			MonitorMode: s.MonitorMode, PendingAction: s.PendingAction,
		}
		if s.Pid != nil {
			svc.Pid = *s.Pid
		}
		out = append(out, svc)
	}
	return out, nil
}

// Service returns one service, or ErrNoSuchService.
func (c *Client) Service(ctx context.Context, name string) (Service, error) {
	all, err := c.Services(ctx)
	if err != nil {
		return Service{}, err
	}
	for _, s := range all {
		if s.Name == name {
			return s, nil
		}
	}
	return Service{}, fmt.Errorf("%w: %q", ErrNoSuchService, name)
}

// Action posts one action (start, stop, restart, monitor, unmonitor) and
// returns once monit accepted it, not once it took effect.
func (c *Client) Action(ctx context.Context, service, action string) error {
	switch action {
	case "start", "stop", "restart", "monitor", "unmonitor":
	default:
		return fmt.Errorf("unknown monit action %q", action)
	}
	token, err := csrfToken()
	if err != nil {
		return err
	}
	form := url.Values{"action": {action}, "securitytoken": {token}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/"+url.PathEscape(service), strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.SetBasicAuth(c.user, c.password)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// Monit 5.33 checks that the form token equals the cookie token.
	req.AddCookie(&http.Cookie{Name: "securitytoken", Value: token})
	// Monit answers a successful action with a redirect to the service page;
	// that answer is the acknowledgement, so do not follow it.
	client := *c.http
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
	if err != nil {
		return c.explain(ctx, fmt.Errorf("monit %s %s: %w", action, service, err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("monit %s: %w: %q", action, ErrNoSuchService, service)
	case resp.StatusCode >= 400:
		return fmt.Errorf("monit %s %s: HTTP %d", action, service, resp.StatusCode)
	}
	return nil
}

// Stop stops the service and waits until monit no longer monitors it and
// has no action pending.
func (c *Client) Stop(ctx context.Context, service string) (Service, error) {
	return c.actAndWait(ctx, service, "stop", func(s Service) bool {
		return s.Monitor == NotMonitored && s.PendingAction == 0
	})
}

// Unmonitor makes monit stop watching the service without touching its
// process, and waits until that took effect.
func (c *Client) Unmonitor(ctx context.Context, service string) (Service, error) {
	return c.actAndWait(ctx, service, "unmonitor", func(s Service) bool {
		return s.Monitor == NotMonitored && s.PendingAction == 0
	})
}

// Start starts the service and waits until monit sees it running.
func (c *Client) Start(ctx context.Context, service string) (Service, error) {
	return c.actAndWait(ctx, service, "start", Service.Running)
}

// Monitor makes monit watch the service again and waits until it does.
func (c *Client) Monitor(ctx context.Context, service string) (Service, error) {
	return c.actAndWait(ctx, service, "monitor", func(s Service) bool {
		return s.Monitor == Monitored && s.PendingAction == 0
	})
}

func (c *Client) actAndWait(ctx context.Context, service, action string, done func(Service) bool) (Service, error) {
	logger := c.logger.Session("action", lager.Data{"service": service, "action": action})
	if err := c.Action(ctx, service, action); err != nil {
		logger.Error("failed-to-post-action", err)
		return Service{}, err
	}
	s, err := c.WaitFor(ctx, service, done)
	if err != nil {
		logger.Error("action-did-not-take-effect", err)
		return s, fmt.Errorf("monit %s %s: %w", action, service, err)
	}
	logger.Info("action-took-effect", lager.Data{"monitor": s.Monitor, "pid": s.Pid})
	return s, nil
}

// WaitFor polls monit's status until done holds for the service or the
// client's Timeout (or ctx) ends.
func (c *Client) WaitFor(ctx context.Context, service string, done func(Service) bool) (Service, error) {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	ticker := time.NewTicker(c.PollInterval)
	defer ticker.Stop()
	var last Service
	var lastErr error
	for {
		s, err := c.Service(ctx, service)
		if errors.Is(err, ErrNoSuchService) {
			return s, err
		}
		if err == nil {
			last = s
			c.logger.Debug("polled-service", lager.Data{"service": service, "monitor": s.Monitor, "pending_action": s.PendingAction, "pid": s.Pid, "status": s.Status})
			if done(s) {
				return s, nil
			}
		}
		lastErr = err
		select {
		case <-ctx.Done():
			if lastErr != nil {
				return last, fmt.Errorf("gave up waiting: %w (last error: %v)", ctx.Err(), lastErr)
			}
			return last, fmt.Errorf("gave up waiting: %w (last seen monitor=%d pending_action=%d pid=%d)", ctx.Err(), last.Monitor, last.PendingAction, last.Pid)
		case <-ticker.C:
		}
	}
}

func csrfToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("csrf token: %w", err)
	}
	return hex.EncodeToString(b), nil
}
