package director_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
)

func TestReportListsContainersIsolatedBecauseTheyCouldNotBePruned(t *testing.T) {
	rec := &record.Record{
		ID: "seq-1", Deployment: "cf", InstanceGroup: "diego-cell", InstanceID: "abc", State: record.StateFailed,
		Quarantined: map[string]string{
			"h-2": "NOT isolated: container h-2 has no running process whose network namespace can be entered",
			"h-1": "isolated: inbound connections reset, egress blocked (6 rules); frozen",
		},
	}
	rep := director.NewReport(rec)
	var out bytes.Buffer
	rep.WriteText(&out)
	text := out.String()
	for _, want := range []string{
		"NOT PRUNED: 2 container(s) could not be removed and were isolated instead",
		"h-1: isolated: inbound connections reset, egress blocked (6 rules); frozen",
		"h-2: NOT isolated",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	if strings.Index(text, "h-1:") > strings.Index(text, "h-2:") {
		t.Errorf("quarantined containers are not in handle order:\n%s", text)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Quarantined map[string]string `json:"quarantined"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Quarantined) != 2 {
		t.Errorf("--json quarantined = %v, %v", doc.Quarantined, err)
	}
}
