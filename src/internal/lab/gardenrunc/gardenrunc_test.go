package gardenrunc_test

import (
	"os"
	"strconv"
	"testing"

	"code.cloudfoundry.org/garden/client"
	"code.cloudfoundry.org/garden/client/connection"

	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc/gardenrunctest"
)

func TestFixtureServesRealRuncContainersThroughGardenAPI(t *testing.T) {
	f := gardenrunctest.Start(t, gardenrunc.Options{})
	handles, err := f.Create(
		gardenrunc.Spec{AppGUID: "app-a", AppVersion: "v1", Ports: []int{8080, 2222}},
		gardenrunc.Spec{AppGUID: "app-b", Index: 3},
	)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range handles {
		pid := f.Pid(h)
		if pid == 0 {
			t.Fatalf("no pid for %s", h)
		}
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err != nil {
			t.Fatalf("init of %s (pid %d) is not running: %v", h, pid, err)
		}
	}

	g := client.New(connection.New("unix", f.Socket()))
	if err := g.Ping(); err != nil {
		t.Fatalf("ping: %v", err)
	}
	cs, err := g.Containers(nil)
	if err != nil || len(cs) != 2 {
		t.Fatalf("containers = %d, %v; want 2", len(cs), err)
	}
	infos, err := g.BulkInfo(handles)
	if err != nil {
		t.Fatal(err)
	}
	a := infos[handles[0]]
	if a.Err != nil || a.Info.State != "active" || a.Info.Properties["network.app_id"] != "app-a" || a.Info.Properties["network.ports"] != "8080,2222" {
		t.Fatalf("info of first container = %+v", a)
	}
	filtered, err := g.Containers(map[string]string{"network.app_id": "app-b"})
	if err != nil || len(filtered) != 1 || filtered[0].Handle() != handles[1] {
		t.Fatalf("filter by app-b = %v, %v", filtered, err)
	}

	if err := g.Destroy(handles[0]); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	if out, err := f.Runc("state", handles[0]); err == nil {
		t.Fatalf("runc still knows destroyed container: %s", out)
	}
	if _, err := os.Stat(f.DepotPath() + "/" + handles[0]); !os.IsNotExist(err) {
		t.Fatalf("depot entry of destroyed container remains: %v", err)
	}
	if err := g.Destroy(handles[0]); err == nil {
		t.Fatal("second destroy of the same handle succeeded; garden answers not found")
	}
}
