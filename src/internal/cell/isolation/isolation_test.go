package isolation_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/isolation"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc/gardenrunctest"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/realpart"
)

// testNet is a network namespace joined to the host by a veth pair. The
// host side holds two addresses in different /24s: one plays the world
// (gorouter), the other the investigators.
type testNet struct {
	name, path                  string
	world, investigator, target string
	investigatorCIDR            string
}

func run(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
}

func newTestNet(t *testing.T) *testNet {
	for _, bin := range []string{"ip", "iptables", "nsenter"} {
		if _, err := exec.LookPath(bin); err != nil {
			realpart.Require(t, "isolation test", fmt.Errorf("needs %s", bin))
		}
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	octet := 16 + int(b[0])%200
	n := &testNet{
		name:             "sqiso-" + id,
		world:            fmt.Sprintf("10.231.%d.1", octet),
		target:           fmt.Sprintf("10.231.%d.2", octet),
		investigator:     fmt.Sprintf("10.232.%d.1", octet),
		investigatorCIDR: fmt.Sprintf("10.232.%d.0/24", octet),
	}
	n.path = "/var/run/netns/" + n.name
	host, peer := "sqh"+id, "sqc"+id
	run(t, "ip", "netns", "add", n.name)
	t.Cleanup(func() {
		// Deleting the namespace's last user takes the veth pair with it;
		// delete the host end too in case the container is still alive.
		_ = exec.Command("ip", "link", "del", host).Run()
		_ = exec.Command("ip", "netns", "del", n.name).Run()
	})
	run(t, "ip", "link", "add", host, "type", "veth", "peer", "name", peer)
	run(t, "ip", "link", "set", peer, "netns", n.name)
	run(t, "ip", "addr", "add", n.world+"/24", "dev", host)
	run(t, "ip", "addr", "add", n.investigator+"/24", "dev", host)
	run(t, "ip", "link", "set", host, "up")
	run(t, "ip", "netns", "exec", n.name, "ip", "addr", "add", n.target+"/24", "dev", peer)
	run(t, "ip", "netns", "exec", n.name, "ip", "link", "set", peer, "up")
	run(t, "ip", "netns", "exec", n.name, "ip", "route", "add", n.investigatorCIDR, "dev", peer)
	return n
}

func dialFrom(src, dst string) (net.Conn, error) {
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	return d.Dial("tcp", dst)
}

func get(conn net.Conn) (string, error) {
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, "GET / HTTP/1.0\r\n\r\n"); err != nil {
		return "", err
	}
	b, err := io.ReadAll(bufio.NewReader(conn))
	return string(b), err
}

// waitListening waits until the container's httpd accepts: its start is
// asynchronous to runc run returning.
func waitListening(t *testing.T, src, dst string) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := dialFrom(src, dst)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("httpd in the container never accepted on %s: %v", dst, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func listContainer(t *testing.T, b containers.Backend, handle string) agentapi.Container {
	cs, err := b.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Handle == handle {
			return c
		}
	}
	t.Fatalf("container %s not listed", handle)
	return agentapi.Container{}
}

func TestIsolatedContainerRefusesEveryoneButInvestigators(t *testing.T) {
	f := gardenrunctest.Start(t, gardenrunc.Options{})
	n := newTestNet(t)
	hs, err := f.Create(gardenrunc.Spec{
		AppGUID: "app", Ports: []int{8080}, NetNS: n.path, IP: n.target,
		Args: []string{"httpd", "-f", "-p", "8080", "-h", "/var/www"},
	})
	if err != nil {
		t.Fatal(err)
	}
	logger := lager.NewLogger("test")
	backend := containers.NewRunc(logger, containers.RuncConfig{Root: f.RuncRoot()})
	c := listContainer(t, backend, hs[0])
	target := n.target + ":8080"

	waitListening(t, n.world, target)
	before, err := dialFrom(n.world, target)
	if err != nil {
		t.Fatalf("before isolation the world cannot connect: %v", err)
	}
	defer before.Close()

	iso, err := isolation.New(logger, backend, isolation.Options{AllowCIDRs: []string{n.investigatorCIDR}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := iso.Isolate(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rules) != 3 {
		t.Fatalf("rules in force = %q; want lo, the investigators and the reject", res.Rules)
	}

	_, err = dialFrom(n.world, target)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("after isolation a new connection from the world got %v; want connection refused", err)
	}
	if body, err := get(before); err == nil && strings.Contains(body, "ok") {
		t.Fatalf("a connection opened before isolation still gets answers: %q", body)
	}
	conn, err := dialFrom(n.investigator, target)
	if err != nil {
		t.Fatalf("an investigator cannot connect after isolation: %v", err)
	}
	body, err := get(conn)
	conn.Close()
	if err != nil || !strings.Contains(body, "ok") {
		t.Fatalf("investigator's request = %q, %v", body, err)
	}

	if err := iso.Verify(context.Background(), c); err != nil {
		t.Fatalf("Verify after Isolate: %v", err)
	}
	again, err := iso.Isolate(context.Background(), c)
	if err != nil || strings.Join(again.Rules, "\n") != strings.Join(res.Rules, "\n") {
		t.Fatalf("isolating again changed the rules: %q -> %q (%v)", res.Rules, again.Rules, err)
	}
	out, err := exec.Command("ip", "netns", "exec", n.name, "iptables", "-S", "INPUT").CombinedOutput()
	if err != nil || strings.Count(string(out), "-j "+isolation.ChainIn) != 1 {
		t.Fatalf("INPUT jumps to %s other than once after two runs: %s %v", isolation.ChainIn, out, err)
	}
}

func TestIsolationBlocksEgressAndFreezesWhenAsked(t *testing.T) {
	f := gardenrunctest.Start(t, gardenrunc.Options{})
	n := newTestNet(t)
	hs, err := f.Create(gardenrunc.Spec{NetNS: n.path})
	if err != nil {
		t.Fatal(err)
	}
	// Listeners on the host side: one in the world, one an investigator's.
	world, err := net.Listen("tcp", n.world+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer world.Close()
	inv, err := net.Listen("tcp", n.investigator+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer inv.Close()
	for _, l := range []net.Listener{world, inv} {
		go func(l net.Listener) {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}(l)
	}
	connectOut := func(addr net.Addr) error {
		a := addr.(*net.TCPAddr)
		_, err := f.Runc("exec", hs[0], "nc", "-w", "3", a.IP.String(), fmt.Sprint(a.Port))
		return err
	}
	if err := connectOut(world.Addr()); err != nil {
		t.Fatalf("before isolation the container cannot reach the world: %v", err)
	}

	logger := lager.NewLogger("test")
	backend := containers.NewRunc(logger, containers.RuncConfig{Root: f.RuncRoot()})
	c := listContainer(t, backend, hs[0])
	iso, err := isolation.New(logger, backend, isolation.Options{AllowCIDRs: []string{n.investigatorCIDR}, BlockEgress: true, Freeze: true})
	if err != nil {
		t.Fatal(err)
	}
	// Freeze last, so check egress with a second isolator that does not.
	noFreeze, _ := isolation.New(logger, backend, isolation.Options{AllowCIDRs: []string{n.investigatorCIDR}, BlockEgress: true})
	if _, err := noFreeze.Isolate(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if err := connectOut(world.Addr()); err == nil {
		t.Fatal("with egress blocked the container still reaches the world")
	}
	if err := connectOut(inv.Addr()); err != nil {
		t.Fatalf("with egress blocked the container cannot reach investigators: %v", err)
	}

	res, err := iso.Isolate(context.Background(), c)
	if err != nil || !res.Frozen {
		t.Fatalf("Isolate with freeze = %+v, %v", res, err)
	}
	if out, err := f.Runc("state", hs[0]); err != nil || !strings.Contains(string(out), `"paused"`) {
		t.Fatalf("container not paused after isolation: %s %v", out, err)
	}
	// A frozen container can still be verified: nsenter needs no running process.
	if err := iso.Verify(context.Background(), c); err != nil {
		t.Fatalf("Verify on the frozen container: %v", err)
	}
}

func TestIsolationRefusesWhatWouldNotIsolate(t *testing.T) {
	logger := lager.NewLogger("test")
	for name, opts := range map[string]isolation.Options{
		"a source that is not a CIDR": {AllowCIDRs: []string{"10.0.0.1"}},
		"a source that allows all":    {AllowCIDRs: []string{"0.0.0.0/0"}},
		"an IPv6 source":              {AllowCIDRs: []string{"fd00::/8"}},
		"freezing without a backend":  {Freeze: true},
	} {
		if _, err := isolation.New(logger, nil, opts); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	iso, err := isolation.New(logger, nil, isolation.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A process in the host's namespace (this test) must never get rules.
	_, err = iso.Isolate(context.Background(), agentapi.Container{Handle: "host", Pids: []int{syscall.Getpid()}})
	if err == nil || !strings.Contains(err.Error(), "host network namespace") {
		t.Fatalf("Isolate on a host process = %v; want a refusal", err)
	}
	_, err = iso.Isolate(context.Background(), agentapi.Container{Handle: "empty"})
	if err == nil || !strings.Contains(err.Error(), "no running process") {
		t.Fatalf("Isolate without pids = %v; want a refusal", err)
	}
}
