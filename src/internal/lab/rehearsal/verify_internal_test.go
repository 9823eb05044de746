package rehearsal

import (
	"strings"
	"testing"

	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/scenario"
)

func TestTheCloudConfigCheckTellsAnEditAsWrittenFromARemarshal(t *testing.T) {
	before := scenario.CellsCloudConfig
	cases := []struct {
		name            string
		after           string
		comments, order bool
	}{
		{name: "our entry added to the flow list", after: strings.Replace(before, "127.0.24.9]", "127.0.24.9, 127.0.24.10]", 1), comments: true, order: true},
		{name: "unchanged", after: before, comments: true, order: true},
		{name: "a comment dropped", after: strings.Replace(before, "   # cells only", "", 1), comments: false, order: true},
		{name: "keys reordered, as bosh update-config re-marshals them", after: strings.Replace(before, "  type: manual\n", "", 1) + "  type: manual\n", comments: true, order: false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			comments, order := keptAsWritten(before, c.after)
			if comments != c.comments || order != c.order {
				t.Fatalf("comments %v order %v; want %v %v\n%s", comments, order, c.comments, c.order, c.after)
			}
		})
	}
}

func TestTheTextSaysTimeToContainAndEachFailedCheck(t *testing.T) {
	r := &Result{
		TimeToContainSeconds: 3.25, TotalSeconds: 9.5,
		Verification: []Check{{Name: "monit: rep not monitored and dead on the target", OK: true, Detail: "rep not monitored"}, {Name: "tcp: kept container refuses outsiders at once", OK: false, Detail: "accepted"}},
	}
	var b strings.Builder
	r.WriteText(&b)
	for _, want := range []string{
		"TIME TO CONTAIN: 3.2s (routes withdrawn, rep dead, kept containers isolated, BOSH agent stopped)   total: 9.5s",
		"  ok    monit: rep not monitored and dead on the target",
		"  FAIL  tcp: kept container refuses outsiders at once",
		"1 of 2 checks FAILED.",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
}
