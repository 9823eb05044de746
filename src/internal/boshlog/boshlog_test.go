package boshlog_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/boshlog"
)

func TestAdapterWritesBoshUtilsLogsAsLagerLines(t *testing.T) {
	cases := []struct {
		name string
		log  func(l interface {
			Debug(string, string, ...interface{})
		})
		wantMsg   string
		wantLevel int
		wantText  string
	}{
		{"a debug line with a dotted tag", func(l interface {
			Debug(string, string, ...interface{})
		}) {
			l.Debug("director.Factory", "Using custom root %s", "CAs")
		}, "test.bosh.bosh-director-factory", int(lager.DEBUG), "Using custom root CAs"},
		{"a camel-case tag", func(l interface {
			Debug(string, string, ...interface{})
		}) {
			l.Debug("clientRetryable", "attempt %d", 2)
		}, "test.bosh.bosh-client-retryable", int(lager.DEBUG), "attempt 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := lager.NewLogger("test")
			l.RegisterSink(lager.NewWriterSink(&buf, lager.DEBUG))
			tc.log(boshlog.New(l))
			var line struct {
				Message  string         `json:"message"`
				LogLevel int            `json:"log_level"`
				Data     map[string]any `json:"data"`
			}
			if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
				t.Fatalf("%v: %q", err, buf.String())
			}
			if line.Message != tc.wantMsg || line.LogLevel != tc.wantLevel || line.Data["message"] != tc.wantText {
				t.Fatalf("got %+v", line)
			}
		})
	}
}

func TestAdapterDropsResponseDumpsThatMayHoldCredentials(t *testing.T) {
	var buf bytes.Buffer
	l := lager.NewLogger("test")
	l.RegisterSink(lager.NewWriterSink(&buf, lager.DEBUG))
	bl := boshlog.New(l)
	bl.Debug("director.clientRequest", "Dumping Director client response:\n%s", "manifest: {password: hunter2}")
	bl.Error("director.clientRequest", "request failed: %s", "500")
	if strings.Contains(buf.String(), "hunter2") {
		t.Fatalf("a response dump reached the log: %s", buf.String())
	}
	if !strings.Contains(buf.String(), "request failed: 500") {
		t.Fatalf("the error line is missing: %s", buf.String())
	}
}
