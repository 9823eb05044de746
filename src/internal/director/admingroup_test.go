package director_test

import (
	"context"
	"testing"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/directorsim"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

// status and release name an instance as GROUP/ID: a GROUP that is not the
// sequestered instance's is a typo or the wrong instance, and release
// would delete a VM the operator did not mean.
func TestStatusAndReleaseRefuseAGroupThatIsNotTheSequesteredInstances(t *testing.T) {
	l := newLab(t, 30*time.Millisecond)
	tgt := l.target()
	if rep, err := l.flow("diego-cell/"+tgt.ID, keepSuspects()).Run(withDeadline(t)); err != nil {
		t.Fatalf("sequestration: %v (%+v)", err, rep)
	}
	adm := &director.Admin{Dir: l.conn.Director, Raw: l.conn.Raw, Store: record.NewStore(l.conn.Director, "", l.logger), Logger: l.logger}
	wrong := "router/" + tgt.ID
	want := `no sequestration of router/` + tgt.ID + ` in deployment "cf": ` + tgt.ID + ` is diego-cell/` + tgt.ID + `; name it as GROUP/ID exactly`
	if _, err := adm.Status("cf", wrong); !refusal.Is(err) || err.Error() != want {
		t.Fatalf("status %s: %v\nwant %s", wrong, err, want)
	}
	l.sim.ResetStats()
	if _, err := adm.Release(context.Background(), "cf", wrong); !refusal.Is(err) || err.Error() != want {
		t.Fatalf("release %s: %v\nwant %s", wrong, err, want)
	}
	if n := l.sim.TaskCounts()[directorsim.KindDeleteVM]; n != 0 {
		t.Fatalf("release of %s started %d VM deletions", wrong, n)
	}
	if rep, err := adm.Status("cf", "diego-cell/"+tgt.ID); err != nil || rep.State != record.StateComplete {
		t.Fatalf("status of the right instance: %+v, %v", rep, err)
	}
}
