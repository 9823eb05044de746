// Package isolation cuts a kept container off from its users while
// investigators keep access. Inside the container's network namespace it
// makes every inbound TCP connection, new or established, fail with a TCP
// reset, except from the investigators' CIDRs: gorouter drops a TLS route
// only after a dial error and would otherwise keep sending requests to a
// container that still listens: it never times out TLS routes (gorouter:
// route/pool.go PruneEndpoints). Optionally it blocks the
// container's egress and freezes it.
package isolation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
)

// Chain names inside the container's network namespace.
const (
	ChainIn  = "SEQUESTER-IN"
	ChainOut = "SEQUESTER-OUT"
)

// ErrFreeze marks an Isolate whose rules are in force but whose freeze
// failed: a cgroup v1 freezer cannot freeze a task stuck in D state, which
// is what a suspect container holds.
var ErrFreeze = errors.New("freezing failed")

// Options of an Isolator.
type Options struct {
	// AllowCIDRs may still reach the container (IPv4 only).
	AllowCIDRs []string
	// BlockEgress rejects the container's own outbound traffic too.
	BlockEgress bool
	// Freeze pauses the container after its network is cut.
	Freeze bool
	// Iptables and Nsenter default to the binaries on PATH.
	Iptables string
	Nsenter  string
	ProcRoot string
}

// Isolator applies the isolation; it is idempotent, so a resumed
// sequestration runs it again safely.
type Isolator struct {
	logger  lager.Logger
	backend containers.Backend
	opts    Options
}

// Result says what was applied to one container.
type Result struct {
	Handle string `json:"handle"`
	// Pid is the process whose network namespace was entered.
	Pid int `json:"pid"`
	// Rules are the iptables rules in force, as iptables -S prints them.
	Rules  []string `json:"rules"`
	Frozen bool     `json:"frozen"`
}

// New validates the options. backend is used only to freeze.
func New(logger lager.Logger, backend containers.Backend, opts Options) (*Isolator, error) {
	if opts.Iptables == "" {
		opts.Iptables = "iptables"
	}
	if opts.Nsenter == "" {
		opts.Nsenter = "nsenter"
	}
	if opts.ProcRoot == "" {
		opts.ProcRoot = containers.DefaultProcRoot
	}
	for _, c := range opts.AllowCIDRs {
		ip, n, err := net.ParseCIDR(c)
		if err != nil {
			return nil, fmt.Errorf("investigator source %q is not a CIDR: write it as 10.0.0.0/8", c)
		}
		if ip.To4() == nil {
			return nil, fmt.Errorf("investigator source %s is IPv6, which container isolation does not handle: give IPv4 CIDRs", c)
		}
		if ones, _ := n.Mask.Size(); ones == 0 {
			return nil, fmt.Errorf("investigator source %s allows everyone, which is no isolation: give the investigators' networks", c)
		}
	}
	if opts.Freeze && backend == nil {
		return nil, errors.New("freezing needs a container backend")
	}
	return &Isolator{logger: logger.Session("isolate-containers"), backend: backend, opts: opts}, nil
}

func (i *Isolator) inRules() [][]string {
	rules := [][]string{{"-i", "lo", "-j", "RETURN"}}
	for _, c := range i.opts.AllowCIDRs {
		rules = append(rules, []string{"-s", c, "-j", "RETURN"})
	}
	// ORIGINAL direction: packets of connections opened from outside, new
	// or established, but not the answers to the container's own
	// connections, which egress may still need.
	return append(rules, []string{"-p", "tcp", "-m", "conntrack", "--ctdir", "ORIGINAL", "-j", "REJECT", "--reject-with", "tcp-reset"})
}

func (i *Isolator) outRules() [][]string {
	rules := [][]string{
		{"-o", "lo", "-j", "RETURN"},
		// The resets our own REJECT sends must get out, or clients wait
		// for a timeout instead of failing at once.
		{"-p", "tcp", "--tcp-flags", "RST", "RST", "-j", "RETURN"},
	}
	for _, c := range i.opts.AllowCIDRs {
		rules = append(rules, []string{"-d", c, "-j", "RETURN"})
	}
	return append(rules,
		[]string{"-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset"},
		[]string{"-j", "REJECT", "--reject-with", "icmp-port-unreachable"},
	)
}

// Isolate cuts the container off, then freezes it if asked: rules are
// added while its processes can still be entered and answer.
func (i *Isolator) Isolate(ctx context.Context, c agentapi.Container) (Result, error) {
	logger := i.logger.Session("isolate", lager.Data{"container_handle": c.Handle})
	res := Result{Handle: c.Handle}
	if err := containers.ValidateHandle(c.Handle); err != nil {
		return res, err
	}
	pid, err := i.netnsPid(c)
	if err != nil {
		logger.Error("no-network-namespace", err)
		return res, err
	}
	res.Pid = pid
	logger.Info("starting", lager.Data{"pid": pid, "allow_cidrs": i.opts.AllowCIDRs, "block_egress": i.opts.BlockEgress, "freeze": i.opts.Freeze})
	if err := i.ensureChain(ctx, pid, ChainIn, "INPUT", i.inRules()); err != nil {
		logger.Error("inbound-rules-failed", err)
		return res, err
	}
	if i.opts.BlockEgress {
		if err := i.ensureChain(ctx, pid, ChainOut, "OUTPUT", i.outRules()); err != nil {
			logger.Error("egress-rules-failed", err)
			return res, err
		}
	}
	rules, err := i.Rules(ctx, pid)
	if err != nil {
		return res, err
	}
	res.Rules = rules
	if i.opts.Freeze {
		if err := i.backend.Freeze(ctx, c.Handle); err != nil {
			logger.Error("freeze-failed", err)
			return res, fmt.Errorf("network of %s is cut but %w: %v", c.Handle, ErrFreeze, err)
		}
		res.Frozen = true
	}
	logger.Info("container-isolated", lager.Data{"pid": pid, "rules": len(rules), "frozen": res.Frozen})
	return res, nil
}

// Verify checks that every rule Isolate adds is in force.
func (i *Isolator) Verify(ctx context.Context, c agentapi.Container) error {
	pid, err := i.netnsPid(c)
	if err != nil {
		return err
	}
	check := func(chain, parent string, rules [][]string) error {
		if err := i.ipt(ctx, pid, "-C", parent, "-j", chain); err != nil {
			return fmt.Errorf("%s of %s does not jump to %s", parent, c.Handle, chain)
		}
		for _, r := range rules {
			if err := i.ipt(ctx, pid, append([]string{"-C", chain}, r...)...); err != nil {
				return fmt.Errorf("rule %q missing in %s of %s", strings.Join(r, " "), chain, c.Handle)
			}
		}
		return nil
	}
	if err := check(ChainIn, "INPUT", i.inRules()); err != nil {
		return err
	}
	if i.opts.BlockEgress {
		return check(ChainOut, "OUTPUT", i.outRules())
	}
	return nil
}

// Rules lists our chains' rules in the namespace of pid.
func (i *Isolator) Rules(ctx context.Context, pid int) ([]string, error) {
	var out []string
	for _, chain := range []string{ChainIn, ChainOut} {
		b, err := i.iptOutput(ctx, pid, "-S", chain)
		if err != nil {
			continue // the egress chain exists only when asked for
		}
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if strings.HasPrefix(l, "-A ") {
				out = append(out, l)
			}
		}
	}
	return out, nil
}

// ensureChain makes chain hold exactly rules, in order, and parent jump to
// it first. Rules already in place are left alone; a chain that differs
// is rebuilt, since appending an allow after the reject would not work.
func (i *Isolator) ensureChain(ctx context.Context, pid int, chain, parent string, rules [][]string) error {
	if err := i.ipt(ctx, pid, "-S", chain); err != nil {
		if err := i.ipt(ctx, pid, "-N", chain); err != nil {
			return err
		}
	}
	complete := true
	for _, r := range rules {
		if i.ipt(ctx, pid, append([]string{"-C", chain}, r...)...) != nil {
			complete = false
			break
		}
	}
	if complete {
		b, err := i.iptOutput(ctx, pid, "-S", chain)
		if err != nil {
			return err
		}
		complete = countRules(b) == len(rules)
	}
	if !complete {
		if err := i.ipt(ctx, pid, "-F", chain); err != nil {
			return err
		}
		for _, r := range rules {
			if err := i.ipt(ctx, pid, append([]string{"-A", chain}, r...)...); err != nil {
				return err
			}
		}
	}
	if i.ipt(ctx, pid, "-C", parent, "-j", chain) != nil {
		if err := i.ipt(ctx, pid, "-I", parent, "1", "-j", chain); err != nil {
			return err
		}
	}
	return nil
}

func countRules(listing []byte) int {
	n := 0
	for _, l := range strings.Split(string(listing), "\n") {
		if strings.HasPrefix(l, "-A ") {
			n++
		}
	}
	return n
}

// netnsPid picks a process of the container and makes sure its network
// namespace is not the host's: rules meant for a container would cut the
// cell itself off.
func (i *Isolator) netnsPid(c agentapi.Container) (int, error) {
	pid, host, err := netns(i.opts.ProcRoot, c)
	switch {
	case err != nil:
		return 0, err
	case host:
		return 0, fmt.Errorf("container %s shares the host network namespace, so its rules would cut off the cell: isolate it by hand", c.Handle)
	case pid == 0:
		return 0, fmt.Errorf("container %s has no running process whose network namespace can be entered: check that it still runs", c.Handle)
	}
	return pid, nil
}

// SharesHostNetwork tells whether the container's processes live in the
// host's network namespace, where isolating it would cut off the cell.
// The agent refuses to keep such a container before anything changes.
func SharesHostNetwork(c agentapi.Container) bool {
	_, host, _ := netns(containers.DefaultProcRoot, c)
	return host
}

// netns returns the first of c's processes whose network namespace can be
// read (0 when none can), and whether that namespace is the host's.
func netns(procRoot string, c agentapi.Container) (pid int, host bool, err error) {
	// The agent runs in the host namespace; pid 1 is the host's too, but
	// some sandboxes hide it, so it only adds to the check.
	hosts := map[string]bool{}
	self, err := os.Readlink(procRoot + "/self/ns/net")
	if err != nil {
		return 0, false, fmt.Errorf("read the host network namespace: %w", err)
	}
	hosts[self] = true
	if ns, err := os.Readlink(procRoot + "/1/ns/net"); err == nil {
		hosts[ns] = true
	}
	for _, pid := range c.Pids {
		ns, err := os.Readlink(procRoot + "/" + strconv.Itoa(pid) + "/ns/net")
		if err != nil {
			continue
		}
		return pid, hosts[ns], nil
	}
	return 0, false, nil
}

func (i *Isolator) ipt(ctx context.Context, pid int, args ...string) error {
	_, err := i.iptOutput(ctx, pid, args...)
	return err
}

func (i *Isolator) iptOutput(ctx context.Context, pid int, args ...string) ([]byte, error) {
	full := append([]string{"-t", strconv.Itoa(pid), "-n", i.opts.Iptables, "-w", "10"}, args...)
	cmd := exec.CommandContext(ctx, i.opts.Nsenter, full...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("iptables %s in the namespace of pid %d: %v: %s", strings.Join(args, " "), pid, err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
