package director_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/directorsim"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

// The director's diff merges the cloud configs into both sides, so a
// reserved entry that changed since the last deploy shows as a pending
// change. When that entry is a recorded sequestration's, "deploy or revert
// them first" is the wrong advice: reverting drops the reservation that
// keeps a live VM's IP. Preflight says what it is and what is safe.
func TestPendingChangesToASequestrationsReservedEntryAreNamedWithSafeAdvice(t *testing.T) {
	asString := strings.Replace(cellsCloudConfig, "reserved: [127.0.24.1 - 127.0.24.9]", "reserved: 127.0.24.1 - 127.0.24.9", 1)
	cases := []struct {
		name string
		// setup runs the first sequestration and changes what the test is
		// about; it returns the words the refusal must hold.
		setup func(l *lab, first directorsim.Instance) []string
	}{
		{
			name: "an unfinished sequestration's reservation, not deployed yet",
			setup: func(l *lab, first directorsim.Instance) []string {
				l.sim.FailNextTask(directorsim.KindUpdateDeployment, "injected")
				if _, err := l.flow("diego-cell/"+first.ID, keepSuspects()).Run(withDeadline(l.t)); err == nil {
					l.t.Fatal("the injected deploy failure went unnoticed")
				}
				return []string{
					"reserves " + first.IPs["cells"] + " for the unfinished sequestration of cf:diego-cell/" + first.ID,
					"re-run `sequester cell -d cf diego-cell/" + first.ID + "`",
					"do not revert",
				}
			},
		},
		{
			name: "an operator's upload that turns the reserved list back into its string",
			setup: func(l *lab, first directorsim.Instance) []string {
				if _, err := l.flow("diego-cell/"+first.ID, keepSuspects()).Run(withDeadline(l.t)); err != nil {
					l.t.Fatalf("first sequestration: %v", err)
				}
				if _, err := l.sim.SetCloudConfig(cellsConfigName, asString); err != nil {
					l.t.Fatal(err)
				}
				return []string{
					`cloud config "` + cellsConfigName + `" no longer reserves ` + first.IPs["cells"] + " of the sequestered VM of cf:diego-cell/" + first.ID,
					"add the entries back",
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t, 30*time.Millisecond)
			if _, err := l.sim.SetCloudConfig(cellsConfigName, asString); err != nil {
				t.Fatal(err)
			}
			if _, err := l.sim.Deploy(cfManifest); err != nil {
				t.Fatal(err)
			}
			l.snapshot()
			first := l.target()
			want := tc.setup(l, first)
			var second directorsim.Instance
			for _, in := range l.sim.Instances("cf") {
				if in.Group == "diego-cell" && in.Index == 1 {
					second = in
				}
			}
			l.sim.ResetStats()
			_, err := l.flow("diego-cell/"+second.ID, keepSuspects()).Run(withDeadline(t))
			if !refusal.Is(err) {
				t.Fatalf("err = %v; want a refusal", err)
			}
			for _, w := range want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("err = %q\nwant it to say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "deploy or revert") {
				t.Fatalf("err = %q: advises reverting the reservation of a live VM", err)
			}
			if n := l.sim.RequestCount("POST", "/configs") + l.sim.RequestCount("PUT", "/resurrection"); n != 0 {
				t.Fatalf("%d writes to configs or resurrection; a refusal changes nothing", n)
			}
		})
	}
}
