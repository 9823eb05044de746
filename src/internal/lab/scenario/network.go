package scenario

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"time"
)

// Each container gets its own network namespace joined to the host by a
// veth pair on a /30 of the lab's /24, so a TCP dial from the host reaches
// it the way gorouter reaches a container: from outside its namespace. The
// investigator's address sits on the host's lo, inside the lab's /24, and
// the containers route to it through their veth.

// ipTimeout bounds every ip(8) call: a wedged netlink must not hang the lab.
const ipTimeout = 10 * time.Second

// netPlan hands out addresses of one /24 (10.a.b.0/24).
type netPlan struct {
	prefix string // "10.a.b."
	id     string
}

// link is one container's network namespace and veth pair.
type link struct {
	NetNS  string // name under /run/netns
	HostIF string
	HostIP string
	IP     string // the container's
}

// NetNSPath is where runc joins the namespace.
func (l link) NetNSPath() string { return "/run/netns/" + l.NetNS }

// pickNet chooses a /24 of 10.200.0.0/13 no interface or route of this
// machine uses yet.
func pickNet(id string, seed int) (netPlan, error) {
	used, err := run("ip", "-4", "route", "show", "table", "all")
	if err != nil {
		return netPlan{}, err
	}
	addrs, err := run("ip", "-4", "addr", "show")
	if err != nil {
		return netPlan{}, err
	}
	for i := 0; i < 2048; i++ {
		n := (seed + i) % 2048
		prefix := fmt.Sprintf("10.%d.%d.", 200+n/256, n%256)
		if !strings.Contains(used, prefix) && !strings.Contains(addrs, prefix) {
			return netPlan{prefix: prefix, id: id}, nil
		}
	}
	return netPlan{}, fmt.Errorf("no free /24 in 10.200.0.0/13 for the lab's containers")
}

// Investigator is the source address investigators reach kept
// containers from (the agent's ssh.source_cidrs).
func (p netPlan) Investigator() string { return p.prefix + "254" }

// link i uses .4i+1 (host) and .4i+2 (container); 62 links fit.
func (p netPlan) link(i int) (link, error) {
	if i >= 62 {
		return link{}, fmt.Errorf("the lab has addresses for 62 containers in all: ask for fewer cells or containers")
	}
	return link{
		NetNS:  fmt.Sprintf("seqlab-%s-%d", p.id, i),
		HostIF: fmt.Sprintf("sl%s%d", p.id, i),
		HostIP: fmt.Sprintf("%s%d", p.prefix, 4*i+1),
		IP:     fmt.Sprintf("%s%d", p.prefix, 4*i+2),
	}, nil
}

// add creates the namespace and the veth pair. On error the caller's
// teardown (del) removes what exists.
func (l link) add() error {
	peer := l.HostIF + "c"
	steps := [][]string{
		{"netns", "add", l.NetNS},
		{"link", "add", l.HostIF, "type", "veth", "peer", "name", peer, "netns", l.NetNS},
		{"addr", "add", l.HostIP + "/30", "dev", l.HostIF},
		{"link", "set", l.HostIF, "up"},
		{"-n", l.NetNS, "link", "set", "lo", "up"},
		{"-n", l.NetNS, "addr", "add", l.IP + "/30", "dev", peer},
		{"-n", l.NetNS, "link", "set", peer, "up"},
		{"-n", l.NetNS, "route", "add", "default", "via", l.HostIP},
	}
	for _, s := range steps {
		if _, err := run("ip", s...); err != nil {
			return err
		}
	}
	return nil
}

// del removes the veth pair, then the namespace, which takes any iptables
// rules isolation added inside it along. The pair goes first and
// explicitly: the kernel destroys a namespace's devices asynchronously,
// some time after its last process is gone.
func (l link) del() error {
	if _, err := run("ip", "link", "del", l.HostIF); err != nil && !strings.Contains(err.Error(), "Cannot find device") {
		return err
	}
	if _, err := run("ip", "netns", "del", l.NetNS); err != nil && !strings.Contains(err.Error(), "No such file") {
		return err
	}
	return nil
}

func addInvestigator(ip string) error {
	_, err := run("ip", "addr", "add", ip+"/32", "dev", "lo")
	return err
}

func delInvestigator(ip string) error {
	if _, err := run("ip", "addr", "del", ip+"/32", "dev", "lo"); err != nil && !strings.Contains(err.Error(), "Cannot assign") {
		return err
	}
	return nil
}

func run(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), ipTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// Dial opens a TCP connection to addr from source (empty: the kernel's
// choice) and says what happened: "accepted", "refused (reset)" or the
// error, and how long it took.
func Dial(source, addr string, timeout time.Duration) (string, time.Duration) {
	d := net.Dialer{Timeout: timeout}
	if source != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(source)}
	}
	start := time.Now()
	c, err := d.Dial("tcp", addr)
	took := time.Since(start)
	if err == nil {
		c.Close()
		return "accepted", took
	}
	if strings.Contains(err.Error(), "connection refused") {
		return "refused (reset)", took
	}
	return err.Error(), took
}
