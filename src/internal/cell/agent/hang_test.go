package agent_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/agent"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/isolation"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/hangs"
)

// Garden hangs on two containers' destroys. runc destroys the first; on
// the second, frozen, runc hangs too (a freezer stuck in FREEZING). The
// real agent must come back from every call, prune what it can, and leave
// the second isolated with its egress blocked, saying so in the status and
// failing the prune step with that statement.
func TestAPruneThatGardenAndRuncHangOnQuarantinesWhatStays(t *testing.T) {
	c := newCell(t)
	hs := c.create(
		gardenrunc.Spec{AppGUID: "app-keep", AppVersion: "v1", Index: 0, Ports: []int{8080}},
		gardenrunc.Spec{AppGUID: "app-a", AppVersion: "v1", Index: 0, Ports: []int{8080}},
		gardenrunc.Spec{AppGUID: "app-b", AppVersion: "v1", Index: 0, Ports: []int{8080}},
		gardenrunc.Spec{AppGUID: "app-c", AppVersion: "v1", Index: 0, Ports: []int{8080}},
	)
	kept, healthy, gardenHung, bothHung := hs[0], hs[1], hs[2], hs[3]
	c.garden.HangDestroy(gardenHung)
	c.garden.HangDestroy(bothHung)
	if err := c.garden.Pause(bothHung); err != nil {
		t.Fatal(err)
	}
	wrapper, err := hangs.RuncWrapper(c.dir, "runc", bothHung, hangs.RuncHang)
	if err != nil {
		t.Fatal(err)
	}
	c.cfg.Runc.Binary = wrapper
	c.cfg.Garden.DestroyTimeoutSeconds = 1
	c.cfg.Runc.TimeoutSeconds = 2
	c.writeConfig()
	cl := c.startAgent()
	ctx := context.Background()

	if _, err := cl.Sequester(ctx, agentapi.SequesterRequest{
		OperationID: "op-hang", Keep: agentapi.Keep{Handles: []string{kept}}, SkipReplacementWait: true,
	}); err != nil {
		t.Fatal(err)
	}
	// A bound against a hanging agent, not a timing assertion.
	st := waitPhase(t, cl, 3*time.Minute)
	if st.Phase != agentapi.PhaseFailed {
		t.Fatalf("operation ended %s, want failed: %+v", st.Phase, st.Steps)
	}
	prune := stepByName(st, agentapi.StepPruneContainers)
	for _, want := range []string{"1 container(s) could not be pruned", "1 isolated with inbound connections reset and egress blocked (1 of them frozen)"} {
		if !strings.Contains(prune.Error, want) {
			t.Errorf("prune error %q does not say %q", prune.Error, want)
		}
	}
	if !strings.Contains(prune.Detail, "2 handed to runc") || !strings.Contains(prune.Detail, "garden's destroy did not return within 1s; destroyed through runc") {
		t.Errorf("prune detail %q does not name the runc fallbacks", prune.Detail)
	}
	if q := st.Quarantined[bothHung]; !strings.HasPrefix(q, "isolated: inbound connections reset, egress blocked") || !strings.HasSuffix(q, "; frozen (its cgroup was frozen already)") {
		t.Errorf("quarantine of %s = %q", bothHung, q)
	}
	if len(st.Quarantined) != 1 {
		t.Errorf("quarantined = %v, want only %s", st.Quarantined, bothHung)
	}
	pruned := map[string]bool{}
	for _, h := range st.Pruned {
		pruned[h] = true
	}
	if !pruned[healthy] || !pruned[gardenHung] || pruned[bothHung] || pruned[kept] {
		t.Errorf("pruned = %v", st.Pruned)
	}
	runcStates, err := containers.NewRunc(lager.NewLogger("test"), containers.RuncConfig{Root: c.garden.RuncRoot()}).List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byHandle := map[string]agentapi.Container{}
	for _, ctr := range runcStates {
		byHandle[ctr.Handle] = ctr
	}
	if _, ok := byHandle[gardenHung]; ok {
		t.Errorf("%s is still in runc's list after the runc fallback", gardenHung)
	}
	stuck, ok := byHandle[bothHung]
	if !ok {
		t.Fatalf("%s, which nothing could remove, is gone from runc's list", bothHung)
	}
	iso, err := isolation.New(lager.NewLogger("test"), nil, isolation.Options{BlockEgress: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := iso.Verify(ctx, stuck); err != nil {
		t.Errorf("the container that could not be pruned is not isolated: %v", err)
	}
	t.Logf("prune: %s\nerror: %s\nquarantined: %v", prune.Detail, prune.Error, st.Quarantined)
	var text bytes.Buffer
	agent.WriteStatus(&text, st)
	if !strings.Contains(text.String(), "NOT PRUNED, isolated instead") || !strings.Contains(text.String(), bothHung) {
		t.Errorf("status text does not list the quarantined container:\n%s", text.String())
	}
}
