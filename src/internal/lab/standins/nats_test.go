package standins_test

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc/gardenrunctest"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/standins"
)

// The route emitter's stand-in against a real NATS server: it registers
// every port of every garden container with the container's address, on
// its interval, and sends no router.unregister when it stops.
func TestTheRouteEmitterStandInPublishesRouterRegisterToNATSAndNeverUnregisters(t *testing.T) {
	f := gardenrunctest.Start(t, gardenrunc.Options{})
	hs, err := f.Create(gardenrunc.Spec{AppGUID: "app-a", Index: 2, Ports: []int{8080, 9090}, IP: "10.255.7.2"})
	if err != nil {
		t.Fatal(err)
	}
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: natsserver.RANDOM_PORT, Username: "nats", Password: "pw", NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	url := fmt.Sprintf("nats://nats:pw@127.0.0.1:%d", ns.Addr().(*net.TCPAddr).Port)
	urlFile := filepath.Join(t.TempDir(), "nats.url")
	if err := os.WriteFile(urlFile, []byte(url), 0o600); err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	var mu sync.Mutex
	bySubject := map[string][]standins.Registration{}
	if _, err := nc.Subscribe("router.*", func(m *nats.Msg) {
		var r standins.Registration
		_ = json.Unmarshal(m.Data, &r)
		mu.Lock()
		bySubject[m.Subject] = append(bySubject[m.Subject], r)
		mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	registered := func() []standins.Registration {
		mu.Lock()
		defer mu.Unlock()
		return append([]standins.Registration(nil), bySubject[standins.RegisterSubject]...)
	}

	cmd, exited := start(t, standins.Command("route-emitter", "--cell-id", "cell-7", "--interval", "50ms", "--nats-url-file", urlFile, "--garden-socket", f.Socket()))
	eventually(t, "two rounds of registrations", func() bool { return len(registered()) >= 4 })
	ports := map[int]bool{}
	for _, r := range registered() {
		if r.Host != "10.255.7.2" || r.PrivateInstanceID != hs[0] || r.App != "app-a" || r.PrivateInstanceIndex != "2" || r.Tags["cell_id"] != "cell-7" {
			t.Fatalf("registration %+v", r)
		}
		ports[r.Port] = true
	}
	if !ports[8080] || !ports[9090] {
		t.Fatalf("ports registered: %v", ports)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-exited; err != nil {
		t.Fatalf("exit: %v", err)
	}
	n := len(registered())
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(bySubject[standins.RegisterSubject]) != n || len(bySubject) != 1 {
		t.Fatalf("after SIGTERM: %d registrations (was %d), subjects %v", len(bySubject[standins.RegisterSubject]), n, len(bySubject))
	}
}
