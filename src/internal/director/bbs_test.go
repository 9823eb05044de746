package director_test

import (
	"strings"
	"testing"
	"time"

	"code.cloudfoundry.org/bbs/models"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi/agentapitest"
	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/bbsdouble"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
)

// diego is a BBS double over mTLS that plays Diego around a sequestration:
// the old rep's presence lapses when the cell side stops it, convergence
// replaces its LRPs on another cell, and the replacement VM's rep takes the
// cell id's presence with its new address.
type diego struct {
	double  *bbsdouble.Double
	checker *director.BBSChecker
}

func newDiego(t *testing.T, l *lab) *diego {
	ca, caFile := agentapitest.NewCA(t, "bbs")
	server := ca.Issue(t, "bbs.service.cf.internal")
	client := ca.Issue(t, "errand")
	tlsCfg, err := agentapi.ServerTLSConfig(caFile, server.CertFile, server.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	d, err := bbsdouble.Start(bbsdouble.Options{TLS: tlsCfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	checker, err := director.NewBBSChecker(d.URL, caFile, client.CertFile, client.KeyFile, l.logger)
	if err != nil {
		t.Fatal(err)
	}
	for id, in := range l.before {
		if in.Group != "diego-cell" {
			continue
		}
		d.SetCell(&models.CellPresence{CellId: id, RepAddress: "http://" + in.IPs["cells"] + ":1800", Zone: "z1", Capacity: cellCapacity(8192)})
		for i, pg := range []string{"pg-web", "pg-worker"} {
			lrp := bbsdouble.RunningLRP(pg, int32(i), pg+"-"+id, id)
			lrp.Address = in.IPs["cells"]
			d.AddActualLRP(lrp)
		}
	}
	d.SetDesiredLRP(bbsdouble.DesiredLRP("pg-web", 3, 1024, 2048))
	d.SetDesiredLRP(bbsdouble.DesiredLRP("pg-worker", 3, 512, 1024))
	return &diego{double: d, checker: checker}
}

// cellCapacity is a rep's advertised capacity with memoryMB of memory.
func cellCapacity(memoryMB int32) *models.CellCapacity {
	return &models.CellCapacity{MemoryMb: memoryMB, DiskMb: 65536, Containers: 250}
}

// follow makes the double react to the target's cell side and replacement.
func (g *diego) follow(t *testing.T, l *lab, targetID, otherCell string, except []string) {
	l.stopHook = func(id string) {
		if id != targetID {
			return
		}
		g.double.RemoveCell(targetID)
		g.double.ReplaceNow(bbsdouble.Replacement{From: targetID, To: otherCell, Except: except})
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
			in, _ := l.sim.Instance("cf", "diego-cell", targetID)
			if in.VMCID != "" && in.VMCID != l.before[targetID].VMCID {
				g.double.SetCell(&models.CellPresence{CellId: targetID, RepAddress: "http://" + in.IPs["cells"] + ":1800", Zone: "z1"})
				return
			}
		}
	}()
}

func TestVerifySeesTheNewRepAndNoLRPLeftOnTheOldOne(t *testing.T) {
	l := newLab(t, 30*time.Millisecond)
	tgt := l.target()
	other, _ := l.sim.Instance("cf", "diego-cell", "1")
	g := newDiego(t, l)
	g.follow(t, l, tgt.ID, other.ID, nil)
	f := l.flow("diego-cell/"+tgt.ID, keepSuspects())
	f.BBS = g.checker
	rep, err := f.Run(withDeadline(t))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	want := "bbs: cell " + tgt.ID + " presence at " + rep.NewIP + "; no ActualLRP at " + tgt.IPs["cells"]
	found := false
	for _, c := range rep.Evidence.Checks {
		found = found || c == want
	}
	if !found {
		t.Fatalf("evidence %q lacks %q", rep.Evidence.Checks, want)
	}
}

func TestVerifyFailsWhileAnLRPHasNoReplacementAndTheRerunFinishes(t *testing.T) {
	l := newLab(t, 30*time.Millisecond)
	l.opts.BBSTimeout = 500 * time.Millisecond
	tgt := l.target()
	other, _ := l.sim.Instance("cf", "diego-cell", "1")
	g := newDiego(t, l)
	// No capacity for the worker: it stays on the dead cell.
	g.follow(t, l, tgt.ID, other.ID, []string{"pg-worker"})
	f := l.flow("diego-cell/"+tgt.ID, keepSuspects())
	f.BBS = g.checker
	rep, err := f.Run(withDeadline(t))
	if err == nil || !strings.Contains(err.Error(), "bbs: ActualLRPs still on the old cell at "+tgt.IPs["cells"]+": pg-worker-"+tgt.ID) {
		t.Fatalf("err = %v", err)
	}
	if rep.State != record.StateFailed || rep.Resurrection.LeftPaused {
		t.Fatalf("report %+v; the replacement exists, so resurrection is restored", rep)
	}
	l.checkInvariants(tgt.ID)
	l.checkResurrection(tgt.ID, false)
	// Convergence finds room; the re-run verifies and completes.
	g.double.ReplaceNow(bbsdouble.Replacement{From: tgt.ID, To: other.ID})
	f = l.flow("diego-cell/"+tgt.ID, keepSuspects())
	f.BBS = g.checker
	if rep, err = f.Run(withDeadline(t)); err != nil || rep.State != record.StateComplete {
		t.Fatalf("re-run: %v %+v", err, rep)
	}
}
