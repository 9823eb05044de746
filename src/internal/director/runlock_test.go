package director_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	boshdir "github.com/cloudfoundry/bosh-cli/v7/director"

	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/directorsim"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

// heldAtRecord holds a run just before it writes its record, after its
// preflight passed, until release is closed.
type heldAtRecord struct {
	boshdir.Director
	once    *sync.Once
	arrived chan struct{}
	release chan struct{}
}

func (h *heldAtRecord) UpdateConfig(typ, name, id string, c []byte) (boshdir.Config, error) {
	if typ == record.DefaultType {
		h.once.Do(func() {
			close(h.arrived)
			select {
			case <-h.release:
			case <-time.After(20 * time.Second):
			}
		})
	}
	return h.Director.UpdateConfig(typ, name, id, c)
}

func (h *heldAtRecord) WithContext(id string) boshdir.Director {
	return &heldAtRecord{Director: h.Director.WithContext(id), once: h.once, arrived: h.arrived, release: h.release}
}

// Two operators sequester two cells at the same instant with room for one
// more: both would pass preflight, neither seeing the other's record yet.
// The second run is refused with a sentence naming the first.
func TestTwoRunsAtTheSameInstantCannotBothPassMaxSequestered(t *testing.T) {
	l := newLab(t, 30*time.Millisecond)
	l.opts.MaxSequestered = 1
	first := l.target()
	var second directorsim.Instance
	for _, in := range l.sim.Instances("cf") {
		if in.Group == "diego-cell" && in.Index == 1 {
			second = in
		}
	}
	hold := &heldAtRecord{once: &sync.Once{}, arrived: make(chan struct{}), release: make(chan struct{})}
	l.dirWrap = func(d boshdir.Director) boshdir.Director { hold.Director = d; return hold }
	a := l.flow("diego-cell/"+first.ID, keepSuspects())
	l.dirWrap = nil
	b := l.flow("diego-cell/"+second.ID, keepSuspects())

	aDone := make(chan error, 1)
	go func() {
		_, err := a.Run(withDeadline(t))
		aDone <- err
	}()
	select {
	case <-hold.arrived:
	case err := <-aDone:
		t.Fatalf("the first run ended before its record: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("the first run never reached its record")
	}
	_, errB := b.Run(withDeadline(t))
	close(hold.release)
	if err := <-aDone; err != nil {
		t.Fatalf("the first run: %v", err)
	}
	if !refusal.Is(errB) {
		t.Fatalf("the second run: %v; want a refusal", errB)
	}
	want := "another sequestration is starting: cf:diego-cell/" + first.ID
	if !strings.HasPrefix(errB.Error(), want) {
		t.Fatalf("the second run: %q\nwant %s...", errB, want)
	}
	if c := l.cells[second.ID]; c.SequesterCalls() != 0 {
		t.Fatal("the second cell was sequestered too")
	}
	if cfgs, err := l.conn.Director.ListConfigs(1, boshdir.ConfigsFilter{Type: record.DefaultType + "-lock"}); err != nil || len(cfgs) != 0 {
		t.Fatalf("run lock left behind: %+v, %v", cfgs, err)
	}
}

// A lock whose run died is taken over once it expires, and never before.
func TestARunLockOfADeadRunExpires(t *testing.T) {
	for _, tc := range []struct {
		name    string
		expires time.Duration
		refused bool
	}{
		{"a live lock refuses", time.Hour, true},
		{"an expired lock is taken over", -time.Minute, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t, 30*time.Millisecond)
			content, _ := json.Marshal(map[string]any{
				"token": "dead-run", "deployment": "cf", "instance": "diego-cell/other", "requested_by": "someone",
				"acquired_at": time.Now().Add(-time.Hour), "expires_at": time.Now().Add(tc.expires),
			})
			if _, err := l.sim.SetConfig(record.DefaultType+"-lock", director.RunLockName, string(content)); err != nil {
				t.Fatal(err)
			}
			_, err := l.flow("diego-cell/"+l.target().ID, keepSuspects()).Run(withDeadline(t))
			if tc.refused {
				if !refusal.Is(err) || !strings.Contains(err.Error(), "cf:diego-cell/other (requested by \"someone\"") {
					t.Fatalf("err = %v; want a refusal naming the lock's run", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("run: %v", err)
			}
		})
	}
}
