package e2e_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/cellrig"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

// TestACellWhoseAgentRanAnotherOperationIsRefusedBeforeAnyChange: the real
// agent runs one operation per cell, ever, and its plan (asked without an
// operation id) does not say so. A dry rehearsal posted to the agent by
// hand leaves such an operation; the flow must refuse before it reserves
// the IP or pauses resurrection, not meet a 409 after.
func TestACellWhoseAgentRanAnotherOperationIsRefusedBeforeAnyChange(t *testing.T) {
	l := newLab(t)
	l.startAgent(0)
	cl := agentapi.NewClient("https://"+l.agentCfg.ListenAddress, l.clientTLS)
	if _, err := cl.Sequester(t.Context(), agentapi.SequesterRequest{
		OperationID: "rehearsal-1", Keep: agentapi.Keep{Handles: []string{l.kept}}, SkipBoshAgentStop: true, SkipReplacementWait: true,
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "the rehearsal to end", func() bool {
		st, err := cl.Status(t.Context())
		return err == nil && st.Phase != agentapi.PhaseRunning
	})
	// The plan alone does not tell: the agent plans for anyone.
	if _, err := cl.Plan(t.Context(), agentapi.SequesterRequest{Keep: agentapi.Keep{Handles: []string{l.kept}}}); err != nil {
		t.Fatalf("plan without an operation id: %v", err)
	}

	_, err := l.run()
	want := "sequester-agent on diego-cell/" + l.target.ID + " (" + l.oldIP + ") already holds operation rehearsal-1 (done)"
	if !refusal.Is(err) || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("err = %v\nwant %s...", err, want)
	}
	if n := l.sim.RequestCount("POST", "/configs") + l.sim.RequestCount("PUT", "/resurrection"); n != 0 {
		t.Fatalf("%d writes to configs or resurrection; a refusal changes nothing", n)
	}
	if a := l.takeAnswers(); len(a) != 0 {
		t.Fatalf("the flow asked the agent to sequester: %+v", a)
	}
	// The rehearsal left the BOSH agent up, and the refusal left the
	// director as it was.
	if !cellrig.Grows(func() int { return l.seen.count(l.target.AgentID) }) {
		t.Fatal("the BOSH agent stopped heartbeating")
	}
	l.checkInvariants()
	l.checkResurrection(false)
}
