package releasetests

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi/agentapitest"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/monitd"
)

// These tests rebuild the stemcell's monit firewall in a network namespace
// of their own and run the job's real ctl, rendered from its template, and
// the real agent behind it. Each cell gets a private mount namespace in
// which the test's directory is bind-mounted on /var/vcap, so the ctl runs
// with the paths it has on a stemcell.

// The Jammy rules (bosh-linux-stemcell-builder:
// stemcell_builder/stages/bosh_monit/assets/restrict-monit-api-access):
// packets to monit's port from a socket outside net_cls classid
// 0xb0540001 are dropped, connections already established pass.
const jammyRules = `
iptables -t mangle -I POSTROUTING -d 127.0.0.1 -p tcp --dport 2822 -m cgroup ! --cgroup 2958295041 -j DROP
iptables -t mangle -I POSTROUTING -d 127.0.0.1 -p tcp --dport 2822 -m state --state ESTABLISHED,RELATED -j ACCEPT
`

// The stemcell's helper, written for this test: put the calling shell in
// the net_cls cgroup monit-api-access with the classid the rule lets
// through (bosh-linux-stemcell-builder: stages/bosh_monit/assets/monit-access-helper.sh).
const jammyHelper = `monit_isolation_classid=2958295041
permit_monit_access() {
    net_cls=$(awk '$3 == "cgroup" && $4 ~ /net_cls/ { print $2; exit }' /proc/self/mounts)
    [ -n "${net_cls}" ] || return 1
    mkdir -p "${net_cls}/monit-api-access"
    echo "${monit_isolation_classid}" > "${net_cls}/monit-api-access/net_cls.classid"
    echo $$ > "${net_cls}/monit-api-access/tasks"
}
`

// The monit wrapper every Jammy stemcell starts the daemon through
// (stages/bosh_monit/assets/monit), so monit and the jobs it forks get
// access.
const jammyMonitWrapper = `#!/bin/bash
set -e
source /var/vcap/bosh/etc/monit-access-helper.sh
permit_monit_access
exec /var/vcap/bosh/bin/monit-actual "$@"
`

// The older Noble chain (stages/bosh_monit/assets/monit-nftables.nft on
// ubuntu_noble_poc) without its `skuid 0` accept: that rule lets every
// root process through, the agent included, so it is left out to test the
// ctl's own cgroup rule.
const nobleRules = `table inet filter {
  chain monit_output {
    type filter hook output priority 0; policy accept;
    ct state established,related accept
    ip daddr 127.0.0.1 tcp dport 2822 drop
  }
}
`

// The current Noble rules bosh-agent keeps (bosh-agent:
// platform/firewall/nftables_firewall.go, SetupMonitFirewall): jobs'
// rules first, established connections, then any root process, then drop.
const currentNobleRules = `table inet bosh_agent {
  chain monit_access_jobs {
  }
  chain monit_access {
    type filter hook output priority -1; policy accept;
    jump monit_access_jobs
    ct state established,related accept
    meta skuid 0 ip daddr 127.0.0.1 tcp dport 2822 accept
    ip daddr 127.0.0.1 tcp dport 2822 drop
  }
}
`

// The stemcell's monitrc (stages/bosh_monit/assets/monitrc), polling every
// second instead of ten.
const stemcellMonitrc = `set daemon 1
set logfile /var/vcap/monit/monit.log
set pidfile /var/vcap/monit/monit.pid
set idfile /var/vcap/monit/monit.id
set statefile /var/vcap/monit/monit.state
set httpd port 2822 and use address 127.0.0.1
  allow cleartext /var/vcap/monit/monit.user
include /var/vcap/monit/job/*.monitrc
`

// enterCell runs its arguments inside the cell's mount namespace: the
// test's tree on /var/vcap, net_cls mounted where the helper finds it, and
// (CELL_CGROUP2) a cgroup v2 directory of the test's own.
const enterCell = `#!/bin/sh
set -e
mount --bind "$CELL_ROOT/vcap" /var/vcap
if [ -n "$CELL_NET_CLS" ]; then
  mount -t cgroup -o net_cls cgroup "$CELL_NET_CLS"
fi
if [ -n "$CELL_CGROUP2" ]; then
  echo $$ > "$CELL_CGROUP2/cgroup.procs"
fi
exec "$@"
`

var cellSeq atomic.Int32

type firewalledCell struct {
	t      *testing.T
	ns     string
	root   string
	vcap   string
	noble  bool
	netCls string
	// cgroup2 is this cell's cgroup v2 directory (Noble).
	cgroup2      string
	monit        *exec.Cmd
	monitVersion monitd.Version
	// monitExited closes when the monit process ends.
	monitExited chan struct{}
	client      agentapitest.Pair
	caFile      string
}

type cellOptions struct {
	noble bool
	// agentUnderMonit puts the job's monit file in monit's include
	// directory, so monit starts the agent through the ctl.
	agentUnderMonit bool
	// helper puts the Jammy access helper on the machine (it is always
	// there while monit starts, as the wrapper needs it).
	helper bool
	// nobleRules replaces the older Noble chain (Noble only).
	nobleRules string
	// monit is the monit the cell runs (default: the stemcells' 5.2.5).
	monit monitd.Version
	// enableCommand puts a stand-in for bosh-enable-monit-access (a hard
	// link to the bosh-agent binary on Noble from v1.267, which cannot run
	// here) on the machine; it records who called it.
	enableCommand bool
}

func requireFirewallRig(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("the monit firewall tests need root")
		}
		t.Skip("the monit firewall tests need root")
	}
	for _, c := range []string{"ip", "iptables", "nsenter", "unshare", "curl", "ruby", "nft", "runc"} {
		requireCommand(t, c)
	}
	monitd.Stemcell().Require(t)
}

func newFirewalledCell(t *testing.T, bin string, opts cellOptions) *firewalledCell {
	t.Helper()
	root := t.TempDir()
	c := &firewalledCell{
		t: t, root: root, vcap: filepath.Join(root, "vcap"), noble: opts.noble,
		ns: fmt.Sprintf("sqfw-%d-%d", os.Getpid(), cellSeq.Add(1)),
	}
	// The bind mount needs a mount point; an empty /var/vcap is all a
	// machine that is not a stemcell gets from this.
	if err := os.MkdirAll("/var/vcap", 0o755); err != nil {
		t.Fatal(err)
	}
	c.must("ip", "netns", "add", c.ns)
	t.Cleanup(c.close)
	c.inNetns("ip", "link", "set", "lo", "up")
	if opts.noble {
		base := "/sys/fs/cgroup"
		if fsType(t, base) != "cgroup2fs" {
			base = "/sys/fs/cgroup/unified"
		}
		if fsType(t, base) != "cgroup2fs" {
			c.skipOrFail("no cgroup v2 hierarchy on this machine (neither /sys/fs/cgroup nor /sys/fs/cgroup/unified): the Noble firewall matches on cgroup v2 paths")
		}
		c.cgroup2 = filepath.Join(base, c.ns)
		for _, sub := range []string{"monit", "shell", "bare"} {
			if err := os.MkdirAll(filepath.Join(c.cgroup2, sub), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command("nsenter", "--net=/run/netns/"+c.ns, "--", "nft", "-f", "-")
		rules := nobleRules
		if opts.nobleRules != "" {
			rules = opts.nobleRules
		}
		cmd.Stdin = strings.NewReader(rules)
		if out, err := cmd.CombinedOutput(); err != nil {
			c.skipOrFail(fmt.Sprintf("nftables refuses the monit_output chain here (%v: %s)", err, out))
		}
		probe := exec.Command("nsenter", "--net=/run/netns/"+c.ns, "--", "nft", "add", "table", "inet", "sqfw_probe", ";",
			"add", "chain", "inet", "sqfw_probe", "c", ";",
			"add", "rule", "inet", "sqfw_probe", "c", "socket", "cgroupv2", "level", "1", strconv.Quote(strings.TrimPrefix(c.cgroup2, "/sys/fs/cgroup/")), "accept")
		if out, err := probe.CombinedOutput(); err != nil {
			c.skipOrFail(fmt.Sprintf("this kernel or nft cannot match sockets on a cgroup v2 path (%v: %s), which the Noble monit firewall does", err, out))
		}
	} else {
		for _, rule := range strings.Split(strings.TrimSpace(jammyRules), "\n") {
			if out, err := exec.Command("nsenter", append([]string{"--net=/run/netns/" + c.ns, "--"}, strings.Fields(rule)...)...).CombinedOutput(); err != nil {
				c.skipOrFail(fmt.Sprintf("iptables cannot set the Jammy monit rule here (%v: %s): it needs the cgroup match", err, out))
			}
		}
		c.netCls = filepath.Join(root, "net_cls")
		if err := os.Mkdir(c.netCls, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	// The stemcell's tree under /var/vcap.
	for _, d := range []string{"bosh/bin", "bosh/etc", "monit/job", "packages/sequester/bin", "jobs", "sys/run", "sys/log", "data/runc-root"} {
		if err := os.MkdirAll(filepath.Join(c.vcap, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(rel, content string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(c.vcap, rel), []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	if opts.monit.Binary == "" {
		opts.monit = monitd.Stemcell()
	}
	opts.monit.Require(t)
	c.monitVersion = opts.monit
	if err := os.Symlink(opts.monit.Binary, filepath.Join(c.vcap, "bosh/bin/monit-actual")); err != nil {
		t.Fatal(err)
	}
	if !opts.noble {
		write("bosh/etc/monit-access-helper.sh", jammyHelper, 0o644)
		write("bosh/bin/monit", jammyMonitWrapper, 0o755)
	}
	write("bosh/etc/monitrc", stemcellMonitrc, 0o700)
	if opts.enableCommand {
		write("bosh/etc/bosh-enable-monit-access", "#!/bin/sh\necho \"bosh-enable-monit-access called from cgroup $(sed -n 's|^0::||p' /proc/self/cgroup)\"\n", 0o755)
	}
	write("monit/monit.user", "vcap:"+fmt.Sprintf("p%d", time.Now().UnixNano())+"\n", 0o600)
	// Stand-ins for the services the agent's plan looks for.
	for _, svc := range []string{"rep", "route_emitter"} {
		pid := "/var/vcap/sys/run/" + svc + ".pid"
		write("monit/job/"+svc+".monitrc", fmt.Sprintf("check process %s with pidfile %s\n  start program = \"/bin/sh -c 'sleep 3600 > /dev/null 2>&1 & echo $! > %s'\"\n  stop program = \"/bin/sh -c 'kill $(cat %s)'\"\n", svc, pid, pid, pid), 0o600)
	}
	if opts.agentUnderMonit {
		job, err := os.ReadFile(filepath.Join(repoRoot(t), "jobs", "sequester-agent", "monit"))
		if err != nil {
			t.Fatal(err)
		}
		write("monit/job/sequester-agent.monitrc", string(job), 0o600)
	}
	c.renderJob(bin)
	write("sys/enter-cell", enterCell, 0o755)

	// monit, started the stemcell's way: Jammy through the wrapper that
	// asks for access; Noble as monit.service's cgroup would hold it.
	monitBin := "/var/vcap/bosh/bin/monit"
	cgroup := ""
	if opts.noble {
		monitBin = "/var/vcap/bosh/bin/monit-actual"
		cgroup = filepath.Join(c.cgroup2, "monit")
	}
	c.monit = c.command(cgroup, monitBin, "-I", "-c", "/var/vcap/bosh/etc/monitrc")
	c.monit.Stdout, c.monit.Stderr = os.Stderr, os.Stderr
	c.monit.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := c.monit.Start(); err != nil {
		t.Fatal(err)
	}
	c.monitExited = make(chan struct{})
	go func() { _ = c.monit.Wait(); close(c.monitExited) }()
	c.waitFor("monit to start its services", 30*time.Second, func() bool {
		select {
		case <-c.monitExited:
			t.Fatalf("monit exited: %v\n%s", c.monit.ProcessState, c.logs())
		default:
		}
		return monitd.Alive(monitd.PidFromFile(filepath.Join(c.vcap, "sys/run/rep.pid"))) &&
			monitd.Alive(monitd.PidFromFile(filepath.Join(c.vcap, "sys/run/route_emitter.pid")))
	})
	if !opts.noble && !opts.helper {
		// The wrapper needed it to start monit; from here the machine has
		// no helper, as on a stemcell without one.
		if err := os.Remove(filepath.Join(c.vcap, "bosh/etc/monit-access-helper.sh")); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// renderJob renders the sequester-agent job from its templates into
// /var/vcap/jobs/sequester-agent, as the BOSH agent does, with a TLS
// identity for the test's client.
func (c *firewalledCell) renderJob(bin string) {
	t := c.t
	ca, caFile := agentapitest.NewCA(t, "agent-ca")
	server := ca.Issue(t, "sequester-agent")
	c.client, c.caFile = ca.Issue(t, "sequester-errand"), caFile
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	// The agent really starts here, so its metrics endpoint gets real
	// material too: its own CA, as the metric scraper CA is.
	scraperCA, scraperCAFile := agentapitest.NewCA(t, "metric-scraper-ca")
	metricsServer := scraperCA.Issue(t, "sequester-agent-metrics")
	scraperPEM, err := os.ReadFile(scraperCAFile)
	if err != nil {
		t.Fatal(err)
	}
	out := mustRender(t, "sequester-agent", map[string]any{
		"metrics": map[string]any{"tls": map[string]any{
			"ca": string(scraperPEM), "certificate": string(metricsServer.CertPEM), "private_key": string(metricsServer.KeyPEM)}},
		"sequester_agent": map[string]any{"listen_address": "127.0.0.1", "port": 8899,
			"tls": map[string]any{"ca": string(caPEM), "certificate": string(server.CertPEM), "private_key": string(server.KeyPEM)}},
		"garden":     map[string]any{"socket": ""},
		"runc":       map[string]any{"binary": "runc", "root": "/var/vcap/data/runc-root"},
		"bbs":        map[string]any{"url": ""},
		"bosh_agent": map[string]any{"stop": false},
	})
	jobDir := filepath.Join(c.vcap, "jobs", "sequester-agent")
	for rel, content := range out {
		mode := os.FileMode(0o644)
		if strings.HasPrefix(rel, "bin/") {
			mode = 0o755
		}
		p := filepath.Join(jobDir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.vcap, "packages/sequester/bin/sequester"), b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// command runs argv inside the cell: its network namespace, its mount
// namespace, and the cgroup v2 directory cgroup when set.
func (c *firewalledCell) command(cgroup string, argv ...string) *exec.Cmd {
	args := append([]string{"--net=/run/netns/" + c.ns, "--", "unshare", "--mount", "--propagation", "private", "--",
		filepath.Join(c.vcap, "sys/enter-cell")}, argv...)
	cmd := exec.Command("nsenter", args...)
	cmd.Env = append(os.Environ(), "CELL_ROOT="+c.root, "CELL_NET_CLS="+c.netCls, "CELL_CGROUP2="+cgroup)
	return cmd
}

// startFromShell runs argv (the ctl, or the agent itself) from a shell
// outside monit and outside the access cgroup, and waits for it.
func (c *firewalledCell) startFromShell(argv ...string) {
	cgroup := ""
	if c.noble {
		cgroup = filepath.Join(c.cgroup2, "shell")
		if argv[0] != "/var/vcap/jobs/sequester-agent/bin/ctl" {
			cgroup = filepath.Join(c.cgroup2, "bare")
		}
	}
	cmd := c.command(cgroup, argv...)
	if out, err := cmd.CombinedOutput(); err != nil {
		c.t.Fatalf("%v: %v\n%s", argv, err, out)
	}
}

// plan asks the agent for a plan over mTLS from inside the cell's network
// namespace, as the errand would over the network.
func (c *firewalledCell) plan() (int, string) {
	body, _ := json.Marshal(agentapi.SequesterRequest{Keep: agentapi.Keep{None: true}, AllowWithoutSSH: true})
	var code int
	var out []byte
	c.waitFor("the agent's API", 30*time.Second, func() bool {
		cmd := exec.Command("nsenter", "--net=/run/netns/"+c.ns, "--", "curl", "-sS", "--max-time", "30",
			"--cacert", c.caFile, "--cert", c.client.CertFile, "--key", c.client.KeyFile,
			"-H", "Content-Type: application/json", "-d", string(body), "-w", "\n%{http_code}",
			"https://127.0.0.1:8899/v1/plan")
		var err error
		out, err = cmd.Output()
		if err != nil {
			return false
		}
		i := strings.LastIndexByte(strings.TrimSpace(string(out)), '\n')
		code, _ = strconv.Atoi(strings.TrimSpace(string(out)[i+1:]))
		out = out[:i+1]
		return true
	})
	return code, string(out)
}

// monitWatchesTheAgent waits until monit reports the sequester-agent job
// monitored and running as pid, with no action pending: the ctl returned
// and monit found the agent. Monit is asked from inside the cell with
// access, as the stemcell's monit CLI wrapper does.
func (c *firewalledCell) monitWatchesTheAgent(pid int) {
	creds, err := os.ReadFile(filepath.Join(c.vcap, "monit/monit.user"))
	if err != nil {
		c.t.Fatal(err)
	}
	var last string
	c.waitFor("monit to watch the agent it started", 15*time.Second, func() bool {
		out, _ := c.command("", "/bin/bash", "-c", "source /var/vcap/bosh/etc/monit-access-helper.sh && permit_monit_access && "+
			"curl -sS --max-time 5 -u "+strings.TrimSpace(string(creds))+" 'http://127.0.0.1:2822/_status?format=xml'").CombinedOutput()
		last = string(out)
		i := strings.Index(last, "<name>sequester-agent</name>")
		if i < 0 {
			return false
		}
		svc := last[i:]
		if j := strings.Index(svc, "</service>"); j >= 0 {
			svc = svc[:j]
		}
		return strings.Contains(svc, "<monitor>1</monitor>") && strings.Contains(svc, "<pendingaction>0</pendingaction>") &&
			strings.Contains(svc, fmt.Sprintf("<pid>%d</pid>", pid))
	})
	if strings.Contains(c.logs(), "'sequester-agent' failed to start") {
		c.t.Fatalf("monit says the ctl failed to start the agent:\n%s", c.logs())
	}
}

func (c *firewalledCell) agentPid() int {
	var pid int
	c.waitFor("the agent's pid file", 30*time.Second, func() bool {
		pid = monitd.PidFromFile(filepath.Join(c.vcap, "sys/run/sequester-agent/sequester-agent.pid"))
		return pid > 0 && monitd.Alive(pid)
	})
	return pid
}

func (c *firewalledCell) ctlLog() string {
	b, _ := os.ReadFile(filepath.Join(c.vcap, "sys/log/sequester-agent/ctl.log"))
	return string(b)
}

func (c *firewalledCell) logs() string {
	var b strings.Builder
	for _, f := range []string{"sys/log/sequester-agent/ctl.log", "sys/log/sequester-agent/sequester-agent.stdout.log", "sys/log/sequester-agent/sequester-agent.stderr.log", "monit/monit.log"} {
		content, _ := os.ReadFile(filepath.Join(c.vcap, f))
		fmt.Fprintf(&b, "--- %s\n%s\n", f, content)
	}
	return b.String()
}

func (c *firewalledCell) waitFor(what string, timeout time.Duration, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("gave up waiting for %s\n%s", what, c.logs())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (c *firewalledCell) close() {
	// Everything the cell ran lives in its network namespace.
	out, _ := exec.Command("ip", "netns", "pids", c.ns).Output()
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if c.monitExited != nil {
		<-c.monitExited
	}
	_ = exec.Command("ip", "netns", "del", c.ns).Run()
	if c.cgroup2 != "" {
		for _, sub := range []string{"monit", "shell", "bare", ""} {
			p := filepath.Join(c.cgroup2, sub)
			for i := 0; i < 50 && os.Remove(p) != nil; i++ {
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
	if c.netCls != "" {
		// The access cgroup outlives the mount namespaces that showed it.
		_ = exec.Command("unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
			"mount -t cgroup -o net_cls x "+c.netCls+" && rmdir "+c.netCls+"/monit-api-access").Run()
	}
}

func (c *firewalledCell) must(name string, args ...string) {
	c.t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		c.t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

func (c *firewalledCell) inNetns(args ...string) {
	c.t.Helper()
	c.must("nsenter", append([]string{"--net=/run/netns/" + c.ns, "--"}, args...)...)
}

func (c *firewalledCell) skipOrFail(why string) {
	c.t.Helper()
	if os.Getenv("CI") != "" {
		c.t.Fatal(why)
	}
	c.t.Skip(why)
}

func fsType(t *testing.T, path string) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return ""
	}
	if st.Type == 0x63677270 { // CGROUP2_SUPER_MAGIC
		return "cgroup2fs"
	}
	return fmt.Sprintf("0x%x", st.Type)
}

// buildSequester builds the sequester binary the job's package would hold.
func buildSequester(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sequester")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/sequester")
	cmd.Dir = filepath.Join(repoRoot(t), "src")
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=vendor", "GOPROXY=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func monitPart(t *testing.T, body string) agentapi.Part {
	t.Helper()
	var plan agentapi.Plan
	if err := json.Unmarshal([]byte(body), &plan); err != nil {
		t.Fatalf("plan: %v\n%s", err, body)
	}
	for _, p := range plan.Parts {
		if p.Name == "monit" {
			return p
		}
	}
	t.Fatalf("plan has no monit part:\n%s", body)
	return agentapi.Part{}
}

func inAccessCgroup(pid int) bool {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	for _, line := range strings.Split(string(b), "\n") {
		if parts := strings.SplitN(line, ":", 3); len(parts) == 3 && strings.Contains(parts[1], "net_cls") {
			return parts[2] == "/monit-api-access"
		}
	}
	return false
}

// On Jammy the agent reaches monit whether monit started it or an
// operator did from a shell outside the access cgroup, because its ctl
// asks for access; on a machine without the helper, started outside, the
// agent's plan names the firewall. If the ctl stopped asking, the
// shell-started case would fail here.
func TestJammyMonitFirewallLetsTheAgentThroughBecauseItsCtlAsks(t *testing.T) {
	requireFirewallRig(t)
	bin := buildSequester(t)
	cases := []struct {
		name        string
		opts        cellOptions
		fromShell   bool
		reaches     bool
		ctlSays     string
		inCgroup    bool
		planExplain string
	}{
		{"started by monit", cellOptions{agentUnderMonit: true, helper: true}, false, true, "monit access: Jammy, moved into the monit-api-access cgroup", true, ""},
		// Debian's monit waits for a start program: the ctl must return.
		{"started by monit 5.33", cellOptions{agentUnderMonit: true, helper: true, monit: monitd.Debian()}, false, true, "monit access: Jammy, moved into the monit-api-access cgroup", true, ""},
		{"started from a shell outside the access cgroup", cellOptions{helper: true}, true, true, "monit access: Jammy, moved into the monit-api-access cgroup", true, ""},
		{"started from a shell on a machine without the helper", cellOptions{helper: false}, true, false, "monit access: no stemcell access mechanism found", false,
			"the stemcell's monit firewall drops them because the agent did not ask for access"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newFirewalledCell(t, bin, tc.opts)
			if tc.fromShell {
				c.startFromShell("/var/vcap/jobs/sequester-agent/bin/ctl", "start")
			}
			pid := c.agentPid()
			code, body := c.plan()
			if tc.reaches {
				part := monitPart(t, body)
				version, err := monitd.BinaryVersion(c.monitVersion.Binary)
				if err != nil {
					t.Fatal(err)
				}
				if code != 200 || !part.Ready || !strings.Contains(part.Detail, "monit "+version+" answers at 127.0.0.1:2822") {
					t.Fatalf("plan: HTTP %d, monit part %+v\n%s\n%s", code, part, body, c.logs())
				}
			} else if code != 422 || !strings.Contains(body, "refused: monit: ") || !strings.Contains(body, tc.planExplain) || !strings.Contains(body, "monit restart sequester-agent") {
				t.Fatalf("plan: HTTP %d %s\nwant a refusal naming the firewall and the fix\n%s", code, body, c.logs())
			}
			// The job's log says it too, from the agent's start.
			want := `"message":"sequester-agent.serve.monit-reachable"`
			if !tc.reaches {
				want = `"kind":"dropped-by-firewall"`
			}
			c.waitFor("the agent to log whether monit answers it", 15*time.Second, func() bool {
				b, _ := os.ReadFile(filepath.Join(c.vcap, "sys/log/sequester-agent/sequester-agent.stdout.log"))
				return strings.Contains(string(b), want)
			})
			if got := inAccessCgroup(pid); got != tc.inCgroup {
				b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
				t.Fatalf("agent in the monit-api-access cgroup = %v, want %v\n%s", got, tc.inCgroup, b)
			}
			if !strings.Contains(c.ctlLog(), tc.ctlSays) {
				t.Fatalf("ctl log does not say %q:\n%s", tc.ctlSays, c.ctlLog())
			}
			if tc.opts.agentUnderMonit {
				c.monitWatchesTheAgent(pid)
			}
		})
	}
}

// On an older Noble stemcell the ctl finds no helper and no
// bosh-enable-monit-access and adds a rule for its own cgroup v2 path to
// the monit_output chain; the agent started bare from a shell, past the
// ctl, is dropped, and its plan names the firewall. On current Noble rules
// root gets through without asking.
func TestNobleMonitFirewallLetsTheAgentThroughItsCgroupRule(t *testing.T) {
	const olderNobleRule = "monit access: older Noble, added an accept rule to inet filter monit_output"
	requireFirewallRig(t)
	bin := buildSequester(t)
	startBare := []string{"/bin/sh", "-c",
		"mkdir -p /var/vcap/sys/run/sequester-agent /var/vcap/sys/log/sequester-agent; " +
			"/var/vcap/packages/sequester/bin/sequester agent --config /var/vcap/jobs/sequester-agent/config/agent.json " +
			"> /var/vcap/sys/log/sequester-agent/sequester-agent.stdout.log 2>&1 < /dev/null & " +
			"echo $! > /var/vcap/sys/run/sequester-agent/sequester-agent.pid"}
	cases := []struct {
		name      string
		opts      cellOptions
		fromShell []string
		reaches   bool
		ctlSays   string
	}{
		{"started by monit", cellOptions{noble: true, agentUnderMonit: true}, nil, true, olderNobleRule},
		{"started by its ctl from a shell", cellOptions{noble: true}, []string{"/var/vcap/jobs/sequester-agent/bin/ctl", "start"}, true, olderNobleRule},
		{"started bare from a shell, without its ctl", cellOptions{noble: true}, startBare, false, ""},
		// The answer the README gives: on current Noble a root process,
		// which the agent is, gets through without asking.
		{"current Noble, started bare as root", cellOptions{noble: true, nobleRules: currentNobleRules}, startBare, true, ""},
		{"current Noble, started by its ctl, which asks with bosh-enable-monit-access", cellOptions{noble: true, nobleRules: currentNobleRules, enableCommand: true},
			[]string{"/var/vcap/jobs/sequester-agent/bin/ctl", "start"}, true, "bosh-enable-monit-access called from cgroup /"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newFirewalledCell(t, bin, tc.opts)
			if tc.fromShell != nil {
				c.startFromShell(tc.fromShell...)
			}
			c.agentPid()
			code, body := c.plan()
			if tc.opts.nobleRules != "" {
				// The rules are live: a process that is not root is dropped.
				out, err := exec.Command("nsenter", "--net=/run/netns/"+c.ns, "--", "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
					"curl", "-sS", "--max-time", "3", "http://127.0.0.1:2822/").CombinedOutput()
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != 28 {
					t.Fatalf("a non-root connect to monit = %v %s, want a time-out (curl exit 28)", err, out)
				}
			}
			if tc.opts.enableCommand && !strings.Contains(c.ctlLog(), "monit access: Noble, asked with /var/vcap/bosh/etc/bosh-enable-monit-access") {
				t.Fatalf("ctl log does not say it asked with bosh-enable-monit-access:\n%s", c.ctlLog())
			}
			if tc.reaches {
				if !strings.Contains(c.ctlLog(), tc.ctlSays) {
					t.Fatalf("ctl log does not say %q:\n%s", tc.ctlSays, c.ctlLog())
				}
				part := monitPart(t, body)
				if code != 200 || !part.Ready {
					t.Fatalf("plan: HTTP %d, monit part %+v\n%s\n%s", code, part, body, c.logs())
				}
				return
			}
			if code != 422 || !strings.Contains(body, "the stemcell's monit firewall drops them") {
				t.Fatalf("plan: HTTP %d %s\nwant a refusal naming the firewall\n%s", code, body, c.logs())
			}
		})
	}
}
