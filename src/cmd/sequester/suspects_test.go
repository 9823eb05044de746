package main

import (
	"crypto/tls"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cloudfoundry-community/cell-sequestration/internal/suspects"
)

// The fleet view against the director simulator and real agent servers:
// instance IPs come from the director, each cell's figures from its agent.
func TestSuspectsAsksEveryCellOfTheDeployment(t *testing.T) {
	l := newCLILab(t)
	prev := suspectsDialer
	suspectsDialer = func(port int, cfg *tls.Config) suspects.Dialer {
		agents := agentDialer(port, cfg)
		return func(ip string) suspects.HealthAgent { return agents(ip).(suspects.HealthAgent) }
	}
	t.Cleanup(func() { suspectsDialer = prev })

	code, out, errOut := runCLI(t, "", "suspects", "-d", "cf")
	if code != exitOK {
		t.Fatalf("suspects: exit %d\n%s\n%s", code, out, errOut)
	}
	inst := "diego-cell/" + l.target.ID
	for _, s := range []string{"CELL", inst, "h-suspect (app app-1)", "sequester plan -d cf " + inst + " --keep-suspects", "2 cell(s) of deployment cf asked", "0 unreachable"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}

	code, out, errOut = runCLI(t, "", "suspects", "-d", "cf", "--json")
	var rep suspects.Report
	if code != exitOK || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("suspects --json: exit %d\n%s\n%s", code, out, errOut)
	}
	if rep.Deployment != "cf" || len(rep.Cells) != 2 || !rep.Cells[0].Reachable || rep.Cells[0].Health == nil || len(rep.Cells[0].Health.Suspects) != 1 {
		t.Fatalf("report = %+v", rep)
	}

	// plan shows the same figures for its target.
	code, out, errOut = runCLI(t, "", "plan", "-d", "cf", inst, "--keep-suspects")
	if code != exitOK || !strings.Contains(out, "health 1 thread(s) in D state, the oldest for 10m0s; suspects: h-suspect (app app-1, 1 thread(s), 10m0s); 0 hung-task report(s)") {
		t.Fatalf("plan: exit %d, no health figures\n%s\n%s", code, out, errOut)
	}

	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no deployment", []string{"suspects"}, "no deployment given"},
		{"unknown deployment", []string{"suspects", "-d", "nope"}, "nope"},
		{"a concurrency of zero", []string{"suspects", "-d", "cf", "--concurrency", "0"}, "--concurrency must be at least 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, "", c.args...)
			if code != exitRefused || !strings.Contains(errOut, c.want) {
				t.Fatalf("exit %d, want %d with %q\n%s\n%s", code, exitRefused, c.want, out, errOut)
			}
		})
	}
}
