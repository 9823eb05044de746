package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cloudfoundry-community/cell-sequestration/internal/version"
)

func TestRootCommand(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"help describes the tool and the exit codes", []string{"--help"}, exitOK, "2 refused by preflight or bad input"},
		{"version prints the build's version", []string{"version"}, exitOK, version.Version},
		{"an unknown command is bad input", []string{"sequestre"}, exitRefused, ""},
		{"an unknown flag is bad input", []string{"--nope"}, exitRefused, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			root := newRootCommand()
			root.SetOut(&out)
			root.SetErr(&out)
			code := execute(root, c.args)
			if code != c.wantCode {
				t.Fatalf("exit code %d, want %d (output %q)", code, c.wantCode, out.String())
			}
			if !strings.Contains(out.String(), c.wantOut) {
				t.Errorf("output %q lacks %q", out.String(), c.wantOut)
			}
		})
	}
}
