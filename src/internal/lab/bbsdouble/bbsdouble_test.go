package bbsdouble_test

import (
	"crypto/tls"
	"errors"
	"sort"
	"testing"
	"time"

	"code.cloudfoundry.org/bbs"
	"code.cloudfoundry.org/bbs/models"
	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi/agentapitest"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/bbsdouble"
)

type fixture struct {
	double *bbsdouble.Double
	client bbs.Client
	caFile string
	ca     *agentapitest.CA
}

func start(t *testing.T) fixture {
	ca, caFile := agentapitest.NewCA(t, "bbs")
	server := ca.Issue(t, "bbs.service.cf.internal")
	d, err := bbsdouble.Start(bbsdouble.Options{TLS: &tls.Config{
		Certificates: []tls.Certificate{server.TLSCertificate(t)},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    ca.Pool(),
		MinVersion:   tls.VersionTLS12,
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	client := ca.Issue(t, "route-emitter")
	c, err := bbs.NewClient(d.URL, caFile, client.CertFile, client.KeyFile, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{double: d, client: c, caFile: caFile, ca: ca}
}

func guids(lrps []*models.ActualLRP) []string {
	var out []string
	for _, l := range lrps {
		out = append(out, l.InstanceGuid)
	}
	sort.Strings(out)
	return out
}

func TestTheRealClientReadsCellsLRPsAndTasksWithFilters(t *testing.T) {
	f := start(t)
	logger := lager.NewLogger("test")
	f.double.SetCell(&models.CellPresence{CellId: "cell-1", RepAddress: "http://10.0.0.1:1800", Zone: "z1"})
	f.double.SetCell(&models.CellPresence{CellId: "cell-2", RepAddress: "http://10.0.0.2:1800", Zone: "z2"})
	f.double.AddActualLRP(bbsdouble.RunningLRP("pg-a", 0, "ig-a0", "cell-1"))
	f.double.AddActualLRP(bbsdouble.RunningLRP("pg-a", 1, "ig-a1", "cell-2"))
	f.double.AddActualLRP(bbsdouble.RunningLRP("pg-b", 0, "ig-b0", "cell-1"))
	f.double.AddTask(&models.Task{TaskGuid: "t-1", CellId: "cell-1", Domain: "cf-tasks", State: models.Task_Running})
	f.double.AddTask(&models.Task{TaskGuid: "t-2", CellId: "cell-2", Domain: "cf-tasks", State: models.Task_Running})

	if !f.client.Ping(logger, "trace") {
		t.Fatal("ping failed")
	}
	cells, err := f.client.Cells(logger, "trace")
	if err != nil || len(cells) != 2 || cells[0].CellId != "cell-1" || cells[1].RepAddress != "http://10.0.0.2:1800" {
		t.Fatalf("Cells = %v, %v", cells, err)
	}
	cases := []struct {
		name   string
		filter models.ActualLRPFilter
		want   []string
	}{
		{"by cell", models.ActualLRPFilter{CellID: "cell-1"}, []string{"ig-a0", "ig-b0"}},
		{"by process guid", models.ActualLRPFilter{ProcessGuid: "pg-a"}, []string{"ig-a0", "ig-a1"}},
		{"by process guid and index", models.ActualLRPFilter{ProcessGuid: "pg-a", Index: ptr(int32(1))}, []string{"ig-a1"}},
		{"no filter", models.ActualLRPFilter{}, []string{"ig-a0", "ig-a1", "ig-b0"}},
		{"unknown cell", models.ActualLRPFilter{CellID: "cell-9"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lrps, err := f.client.ActualLRPs(logger, "trace", tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			if got := guids(lrps); len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) || (len(got) > 1 && got[len(got)-1] != tc.want[len(tc.want)-1]) {
				t.Fatalf("ActualLRPs(%+v) = %v, want %v", tc.filter, got, tc.want)
			}
		})
	}
	tasks, err := f.client.TasksWithFilter(logger, "trace", models.TaskFilter{CellID: "cell-2"})
	if err != nil || len(tasks) != 1 || tasks[0].TaskGuid != "t-2" {
		t.Fatalf("TasksWithFilter = %v, %v", tasks, err)
	}
	if n := f.double.Calls(bbs.ActualLRPsRoute_r0); n != len(cases) {
		t.Fatalf("ActualLRPs calls = %d, want %d", n, len(cases))
	}
}

func TestRoutesTheDoubleLacksFailLoudly(t *testing.T) {
	f := start(t)
	_, err := f.client.DesiredLRPs(lager.NewLogger("test"), "trace", models.DesiredLRPFilter{})
	if !errors.Is(err, bbs.EndpointNotFoundErr) {
		t.Fatalf("DesiredLRPs error = %v, want EndpointNotFoundErr", err)
	}
}

func TestAClientWithACertificateFromAnotherCAIsRejected(t *testing.T) {
	f := start(t)
	other, _ := agentapitest.NewCA(t, "other")
	stranger := other.Issue(t, "stranger")
	c, err := bbs.NewClientWithConfig(bbs.ClientConfig{URL: f.double.URL, IsTLS: true, CAFile: f.caFile,
		CertFile: stranger.CertFile, KeyFile: stranger.KeyFile, Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	if c.Ping(lager.NewLogger("test"), "trace") {
		t.Fatal("ping with a foreign client certificate succeeded")
	}
	if n := f.double.Calls(bbs.PingRoute_r0); n != 0 {
		t.Fatalf("a rejected client reached the handler %d times", n)
	}
}

func TestReplacementsLandOnTheOtherCellExceptTheExcluded(t *testing.T) {
	f := start(t)
	f.double.AddActualLRP(bbsdouble.RunningLRP("pg-a", 0, "ig-a0", "cell-1"))
	f.double.AddActualLRP(bbsdouble.RunningLRP("pg-b", 3, "ig-b3", "cell-1"))
	f.double.AddActualLRP(bbsdouble.RunningLRP("pg-c", 0, "ig-c0", "cell-3"))
	f.double.ScheduleReplacements(bbsdouble.Replacement{From: "cell-1", To: "cell-2", After: 50 * time.Millisecond, Except: []string{"pg-b"}})
	logger := lager.NewLogger("test")
	var onCell2 []*models.ActualLRP
	for i := 0; i < 100 && len(onCell2) == 0; i++ {
		time.Sleep(20 * time.Millisecond)
		var err error
		onCell2, err = f.client.ActualLRPs(logger, "trace", models.ActualLRPFilter{CellID: "cell-2"})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(onCell2) != 1 || onCell2[0].ProcessGuid != "pg-a" || onCell2[0].Index != 0 || onCell2[0].State != models.ActualLRPStateRunning {
		t.Fatalf("replacements on cell-2 = %v", onCell2)
	}
	onCell1, _ := f.client.ActualLRPs(logger, "trace", models.ActualLRPFilter{CellID: "cell-1"})
	for _, l := range onCell1 {
		want := models.ActualLRP_Ordinary
		if l.ProcessGuid == "pg-a" {
			want = models.ActualLRP_Suspect
		}
		if l.Presence != want {
			t.Fatalf("%s presence = %v, want %v", l.ProcessGuid, l.Presence, want)
		}
	}
}

func ptr[T any](v T) *T { return &v }
