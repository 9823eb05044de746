package main

import (
	"bytes"
	"strings"
	"testing"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

func TestNewLoggerWritesAtTheLevelItWasGivenAndRefusesOthers(t *testing.T) {
	cases := []struct {
		level               string
		wantDebug, wantInfo bool
		wantErr             bool
	}{
		{level: "", wantInfo: true},
		{level: "debug", wantDebug: true, wantInfo: true},
		{level: "INFO", wantInfo: true},
		{level: "error"},
		{level: "fatal"},
		{level: "trace", wantErr: true},
	}
	for _, tc := range cases {
		t.Run("level "+tc.level, func(t *testing.T) {
			var out bytes.Buffer
			logger, err := newLogger("test", tc.level, &out, lager.NewWriterSink)
			if tc.wantErr {
				if !refusal.Is(err) || !strings.Contains(err.Error(), "want debug, info, error or fatal") {
					t.Fatalf("err = %v; want a refusal naming the levels", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			logger.Debug("polled")
			logger.Info("started")
			if got := strings.Contains(out.String(), "polled"); got != tc.wantDebug {
				t.Errorf("debug written: %v, want %v", got, tc.wantDebug)
			}
			if got := strings.Contains(out.String(), "started"); got != tc.wantInfo {
				t.Errorf("info written: %v, want %v", got, tc.wantInfo)
			}
		})
	}
}
