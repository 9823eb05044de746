package e2e_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/hangs"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

// Garden never returns from destroying one of the containers to prune, and
// runc hangs on it too (frozen: a freezer stuck in FREEZING). The run
// comes back, the container is isolated instead of left a lonely robot,
// and the run fails (exit 1, not a refusal) saying so, with the container
// listed in the report.
func TestAContainerNothingCanPruneIsIsolatedAndTheRunFailsSayingSo(t *testing.T) {
	l := newLab(t)
	sick := l.pruned[len(l.pruned)-1]
	l.garden.HangDestroy(sick)
	must(t, l.garden.Pause(sick))
	wrapper, err := hangs.RuncWrapper(l.dir, "runc", sick, hangs.RuncHang)
	must(t, err)
	l.agentCfg.Runc.Binary = wrapper
	l.agentCfg.Garden.DestroyTimeoutSeconds = 1
	l.agentCfg.Runc.TimeoutSeconds = 2
	l.startAgent(0)

	rep, err := l.run()
	if err == nil || refusal.Is(err) {
		t.Fatalf("run = %v, want a failure (exit 1)\nsteps:\n%s", err, fmtSteps(rep))
	}
	t.Logf("run error (the operator sees it with exit 1): %v", err)
	for _, want := range []string{"could not be pruned", "isolated with inbound connections reset and egress blocked"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the run's error %q does not say %q", err, want)
		}
	}
	if rep == nil {
		t.Fatal("no report")
	}
	if q := rep.Quarantined[sick]; !strings.HasPrefix(q, "isolated: inbound connections reset, egress blocked") {
		t.Errorf("report's quarantine of %s = %q (all: %v)", sick, q, rep.Quarantined)
	}
	var text bytes.Buffer
	rep.WriteText(&text)
	if !strings.Contains(text.String(), "NOT PRUNED: 1 container(s) could not be removed and were isolated instead") || !strings.Contains(text.String(), sick) {
		t.Errorf("the report does not list the container it could not prune:\n%s", text.String())
	}
	if _, ok := l.runcHandles()[sick]; !ok {
		t.Errorf("%s is gone from runc's list; the test proved nothing", sick)
	}
}
