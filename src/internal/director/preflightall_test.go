package director_test

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/directorsim"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

// An operator fixes everything in one round: preflight runs every check
// that does not need a failed one and its refusal names each problem, one
// sentence each; the plan prints every check's line.
func TestPreflightNamesEveryIndependentProblemAtOnce(t *testing.T) {
	cases := []struct {
		name string
		// setup makes the problems and returns the sentences the refusal
		// must name, by check.
		setup func(l *lab) map[string]string
	}{
		{
			name: "a hidden task holds the lock, the agent refuses the plan and a change is pending",
			setup: func(l *lab) map[string]string {
				id, release := l.sim.HoldLock(directorsim.KindScanAndFix, "scan and fix", "cf")
				l.t.Cleanup(release)
				l.cells[l.target().ID].SetSSHReady(false)
				if _, err := l.sim.SetCloudConfig("default", defaultCloudConfig+"vm_extensions:\n- name: new\n"); err != nil {
					l.t.Fatal(err)
				}
				return map[string]string{
					"tasks": `deployment "cf" has tasks in flight: task ` + strconv.Itoa(id) + " (scan and fix, processing)...",
					"diff":  `deployment "cf" has pending changes (...`,
					"agent": "sequester-agent on diego-cell/" + l.target().ID + " (" + l.target().IPs["cells"] + ") refused the plan: ...",
				}
			},
		},
		{
			name: "another agent is unresponsive and max_sequestered is reached",
			setup: func(l *lab) map[string]string {
				unresponsive, _ := l.sim.Instance("cf", "diego-cell", "1")
				if err := l.sim.SetInstanceAgentResponsive("cf", "diego-cell", unresponsive.ID, false); err != nil {
					l.t.Fatal(err)
				}
				l.sim.SetResurrectionPaused(true)
				l.prior = true
				sequestered, _ := l.sim.Instance("cf", "diego-cell", "2")
				store := record.NewStore(l.conn.Director, "", l.logger)
				if _, err := store.Create(record.Record{Deployment: "cf", InstanceGroup: "diego-cell", InstanceID: sequestered.ID, State: record.StateComplete}); err != nil {
					l.t.Fatal(err)
				}
				l.opts.MaxSequestered = 1
				return map[string]string{
					"vms":    `other instances of deployment "cf" have unresponsive agents: diego-cell/` + unresponsive.ID + "; the redeploy would fail binding them",
					"limits": "already 1 cells sequestered (max_sequestered 1): cf:diego-cell/" + sequestered.ID + "; release one first",
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t, 30*time.Millisecond)
			want := tc.setup(l)
			l.sim.ResetStats()
			f := l.flow("diego-cell/"+l.target().ID, keepSuspects())
			p, err := f.Plan(withDeadline(t))
			if !refusal.Is(err) {
				t.Fatalf("err = %v; want a refusal", err)
			}
			var problems director.Problems
			if !errors.As(err, &problems) || len(problems) != len(want) {
				t.Fatalf("err = %q; want %d problems, one per check in %v", err, len(want), keys(want))
			}
			var text bytes.Buffer
			p.WriteText(&text)
			for check, sentence := range want {
				if !refusalNames(err, sentence) {
					t.Errorf("the refusal does not name the %s problem %q:\n%s", check, sentence, err)
				}
				if !strings.Contains(text.String(), "REFUSED "+check) {
					t.Errorf("the plan has no REFUSED line for %s:\n%s", check, text.String())
				}
			}
			if n := l.sim.RequestCount("POST", "/configs") + l.sim.RequestCount("PUT", "/resurrection"); n != 0 {
				t.Fatalf("%d writes to configs or resurrection; a refusal changes nothing", n)
			}
			if _, err := l.flow("diego-cell/"+l.target().ID, keepSuspects()).Run(withDeadline(t)); !refusal.Is(err) || err.Error() != p.Refused {
				t.Fatalf("run: %v; want the plan's refusal %q", err, p.Refused)
			}
			for _, c := range l.cells {
				if c.SequesterCalls() != 0 {
					t.Fatal("the agent was asked to sequester")
				}
			}
		})
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// refusalNames: the refusal names want as one of its problems (preflight
// refuses with every problem it found); want ending in "..." is a prefix.
func refusalNames(err error, want string) bool {
	match := func(got string) bool {
		if prefix, ok := strings.CutSuffix(want, "..."); ok {
			return strings.HasPrefix(got, prefix)
		}
		return got == want
	}
	var problems director.Problems
	if !errors.As(err, &problems) {
		return match(err.Error())
	}
	for _, p := range problems {
		if match(p.Detail) {
			return true
		}
	}
	return false
}
