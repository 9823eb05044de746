package director_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"
	boshdir "github.com/cloudfoundry/bosh-cli/v7/director"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
	"github.com/cloudfoundry-community/cell-sequestration/internal/director/directortest"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/directorsim"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/scenario"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

// The operator's cloud configs, with comments that must survive our edit
// (the cells' network lives in a named config of its own), and the cf
// deployment: the lab's (package scenario).
const (
	defaultCloudConfig = scenario.DefaultCloudConfig
	cellsCloudConfig   = scenario.CellsCloudConfig
	cellsConfigName    = scenario.CellsCloudConfigName
)

var cfManifest = scenario.Manifest(3)

// lab is one simulated director with a deployed "cf" and a real agent
// server per cell.
type lab struct {
	t        testing.TB
	sim      *directorsim.Simulator
	fleet    *directortest.AgentFleet
	conn     *director.Connection
	cells    map[string]*directortest.FakeCell // by instance id
	before   map[string]directorsim.Instance
	started  time.Time
	prior    bool // global resurrection paused before
	opts     director.Options
	dirWrap  func(boshdir.Director) boshdir.Director
	logger   lager.Logger
	stopHook func(id string)
}

// newLab starts the simulator with a health monitor that ticks on its own
// and keeps the resurrection rules it read for rulesInterval, like the real
// one (60 s, scaled down); the flow waits rulesInterval*2 for the re-read.
func newLab(t testing.TB, rulesInterval time.Duration) *lab {
	t.Helper()
	sim, err := directorsim.New(directorsim.Options{
		HMInterval:                5 * time.Millisecond,
		ResurrectionRulesInterval: rulesInterval,
		LockWait:                  200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	if _, err := sim.SetCloudConfig("default", defaultCloudConfig); err != nil {
		t.Fatal(err)
	}
	if _, err := sim.SetCloudConfig(cellsConfigName, cellsCloudConfig); err != nil {
		t.Fatal(err)
	}
	if _, err := sim.Deploy(cfManifest); err != nil {
		t.Fatal(err)
	}
	l := &lab{t: t, sim: sim, fleet: directortest.NewAgentFleet(t), cells: map[string]*directortest.FakeCell{}, logger: lager.NewLogger("test")}
	l.opts.ResurrectionWait = 2 * rulesInterval
	for _, in := range sim.Instances("cf") {
		if in.Group != "diego-cell" {
			continue
		}
		in := in
		cell := l.fleet.Add(in.IPs["cells"], in.ID)
		cell.StopBoshAgent = func() {
			if err := sim.SetInstanceAgentResponsive("cf", in.Group, in.ID, false); err != nil {
				t.Errorf("stop agent: %v", err)
			}
			if l.stopHook != nil {
				l.stopHook(in.ID)
			}
		}
		l.cells[in.ID] = cell
	}
	client, secret := sim.ClientCredentials()
	l.conn, err = director.Connect(director.ConnectOptions{URL: sim.URL(), CACert: string(sim.CACertPEM()), Client: client, ClientSecret: secret}, l.logger)
	if err != nil {
		t.Fatal(err)
	}
	l.snapshot()
	return l
}

// snapshot remembers every instance before the sequestration.
func (l *lab) snapshot() {
	l.before = map[string]directorsim.Instance{}
	for _, in := range l.sim.Instances("cf") {
		l.before[in.ID] = in
	}
	l.started = time.Now()
	l.prior = l.sim.ResurrectionPaused()
}

// target is the first diego-cell.
func (l *lab) target() directorsim.Instance {
	for _, in := range l.sim.Instances("cf") {
		if in.Group == "diego-cell" && in.Index == 0 {
			return l.before[in.ID]
		}
	}
	l.t.Fatal("no diego-cell/0")
	return directorsim.Instance{}
}

func (l *lab) flow(instance string, keep agentapi.Keep) *director.Flow {
	return l.flowIn("cf", instance, keep)
}

func (l *lab) flowIn(dep, instance string, keep agentapi.Keep) *director.Flow {
	var dir boshdir.Director = l.conn.Director
	if l.dirWrap != nil {
		dir = l.dirWrap(dir)
	}
	opts := l.opts
	opts.Deployment, opts.Instance, opts.Keep = dep, instance, keep
	opts.PollInterval = 5 * time.Millisecond
	if opts.UnresponsiveTimeout == 0 {
		opts.UnresponsiveTimeout = 5 * time.Second
	}
	if opts.CellTimeout == 0 {
		opts.CellTimeout = 5 * time.Second
	}
	opts.RequestedBy, opts.Reason, opts.CaseID = "test", "stuck D-state processes", "INC-1"
	return &director.Flow{
		Dir: dir, Raw: l.conn.Raw, Agents: l.fleet.Dialer(), Logger: l.logger, Opts: opts,
		Store: record.NewStore(dir, "", l.logger),
	}
}

func keepSuspects() agentapi.Keep { return agentapi.Keep{Suspects: true} }

// checkInvariants are the safety properties every run, failed or not,
// must keep.
func (l *lab) checkInvariants(targetID string) {
	t := l.t
	t.Helper()
	old := l.before[targetID]
	oldIP := old.IPs["cells"]
	cfgs, err := l.conn.Director.ListConfigs(1, boshdir.ConfigsFilter{Type: "cloud", Name: cellsConfigName})
	if err != nil || len(cfgs) != 1 {
		t.Fatalf("cloud config %s: %v %v", cellsConfigName, cfgs, err)
	}
	if n := strings.Count(cfgs[0].Content, oldIP); n > 1 {
		t.Errorf("old IP %s appears %d times in the cloud config:\n%s", oldIP, n, cfgs[0].Content)
	}
	if !strings.Contains(cfgs[0].Content, "# Diego cells' network (owned by the Diego team; keep comments)") || !strings.Contains(cfgs[0].Content, "# cells only") {
		t.Errorf("the operator's comments were lost:\n%s", cfgs[0].Content)
	}
	newVMs := 0
	for _, vm := range l.sim.InstanceVMs("cf", targetID) {
		if vm.CID != old.VMCID && vm.CreatedAt.After(l.started) {
			newVMs++
		}
	}
	if newVMs > 1 {
		t.Errorf("%d new VMs for the target; want at most one", newVMs)
	}
	for _, in := range l.sim.Instances("cf") {
		if in.ID == targetID {
			continue
		}
		if b := l.before[in.ID]; b.VMCID != in.VMCID {
			t.Errorf("another instance %s/%s changed VM: %s -> %s", in.Group, in.ID, b.VMCID, in.VMCID)
		}
	}
	alive := false
	for _, vm := range l.sim.IaaSVMs() {
		alive = alive || vm.CID == old.VMCID
	}
	if !alive {
		t.Errorf("the sequestered VM %s was destroyed", old.VMCID)
	}
	// Resurrection, missing_vm recreation and empty-body state changes put
	// a VM on the old IP without a new allocation ("assigned"), so both
	// kinds of event count while the old VM lives.
	var oldDeleted time.Time
	for _, vm := range l.sim.VMHistory() {
		if vm.CID == old.VMCID {
			oldDeleted = vm.Deleted
		}
	}
	for _, ev := range l.sim.IPHistory() {
		handedOut := ev.Action == "allocated" || ev.Action == "assigned"
		whileAlive := oldDeleted.IsZero() || ev.Time.Before(oldDeleted)
		if ev.IP == oldIP && handedOut && whileAlive && ev.Time.After(l.started) {
			t.Errorf("old IP %s %s again (to %s, task %d) while the old VM lives", oldIP, ev.Action, ev.InstanceID, ev.TaskID)
		}
	}
}

// checkResurrection: back to its prior value unless the record says the
// run stopped inside the unsafe window.
func (l *lab) checkResurrection(targetID string, wantPaused bool) {
	t := l.t
	t.Helper()
	l.sim.ReloadResurrectionRules()
	if got := l.sim.ResurrectionPaused(); got != l.prior && !wantPaused {
		t.Errorf("global resurrection paused = %v; want the prior %v", got, l.prior)
	}
	enabled := l.sim.ResurrectionEnabled("cf", "diego-cell")
	if wantPaused && enabled {
		t.Errorf("resurrection of diego-cell is enabled; want it paused (unsafe window)")
	}
	if !wantPaused && enabled == l.prior {
		t.Errorf("resurrection of diego-cell enabled = %v; want %v (prior)", enabled, !l.prior)
	}
}

func TestSequestrationEndToEnd(t *testing.T) {
	// Rules kept long enough that skipping the wait for the re-read would
	// let the health monitor destroy the sequestered VM.
	l := newLab(t, 250*time.Millisecond)
	tgt := l.target()
	rep, err := l.flow("diego-cell/"+tgt.ID, keepSuspects()).Run(context.Background())
	if err != nil {
		t.Fatalf("run: %v\nreport: %+v", err, rep)
	}
	after, _ := l.sim.Instance("cf", "diego-cell", tgt.ID)
	if rep.State != record.StateComplete || rep.OldIP != tgt.IPs["cells"] || rep.VMCID != tgt.VMCID {
		t.Fatalf("report = %+v", rep)
	}
	if rep.NewIP == "" || rep.NewIP == rep.OldIP || rep.NewIP != after.IPs["cells"] || rep.NewVMCID != after.VMCID {
		t.Fatalf("new IP %s / VM %s; director has %v / %s", rep.NewIP, rep.NewVMCID, after.IPs, after.VMCID)
	}
	if strings.Join(rep.Kept, ",") != "h-suspect" || len(rep.Pruned) != 2 || rep.SSH == nil || !rep.SSH.Ready || rep.Evidence.Cell == "" {
		t.Fatalf("cell outcome: kept %v pruned %v ssh %+v evidence %q", rep.Kept, rep.Pruned, rep.SSH, rep.Evidence.Cell)
	}
	for _, s := range rep.Steps {
		ok := s.State == record.StepDone || (s.Name == director.StepEndBridge && s.State == record.StepSkipped)
		if !ok || s.StartedAt == nil || s.FinishedAt == nil {
			t.Errorf("step %s: %+v", s.Name, s)
		}
	}
	if !rep.Resurrection.Bridge || rep.Resurrection.BridgeEndedAt == nil || rep.ContainedAt == nil || rep.TimeToContainSeconds <= 0 {
		t.Errorf("bridge %+v, contained at %v after %vs", rep.Resurrection, rep.ContainedAt, rep.TimeToContainSeconds)
	}
	l.checkInvariants(tgt.ID)
	l.checkResurrection(tgt.ID, false)
	cfg, err := l.conn.Director.LatestConfig("cloud", cellsConfigName)
	if err != nil || !strings.Contains(cfg.Content, "reserved: [127.0.24.1 - 127.0.24.9, "+tgt.IPs["cells"]+"]") {
		t.Fatalf("cloud config after: %v\n%s", err, cfg.Content)
	}
	if strings.Count(cfg.Content, "\n") != strings.Count(cellsCloudConfig, "\n") {
		t.Fatalf("the cloud config gained or lost lines:\n%s", cfg.Content)
	}
	// A second run of the same command refuses: the cell is sequestered.
	_, err = l.flow("diego-cell/"+tgt.ID, keepSuspects()).Run(context.Background())
	if !refusal.Is(err) || !strings.Contains(err.Error(), "is already sequestered") {
		t.Fatalf("second run err = %v; want already sequestered", err)
	}
	// Release deletes the old VM, then the reserved entry.
	adm := &director.Admin{Dir: l.conn.Director, Raw: l.conn.Raw, Store: record.NewStore(l.conn.Director, "", l.logger), Logger: l.logger, Agents: l.fleet.Dialer()}
	list, err := adm.List(context.Background(), "cf")
	if err != nil || len(list) != 1 || list[0].Reserved == nil || !*list[0].Reserved || len(list[0].Drift) != 0 || list[0].OldVM != "alive" {
		t.Fatalf("list = %+v, %v", list, err)
	}
	rel, err := adm.Release(context.Background(), "cf", tgt.IPs["cells"])
	if err != nil || rel.State != record.StateReleased {
		t.Fatalf("release = %+v, %v", rel, err)
	}
	for _, vm := range l.sim.IaaSVMs() {
		if vm.CID == tgt.VMCID {
			t.Fatalf("old VM %s still exists after release", tgt.VMCID)
		}
	}
	cfg, _ = l.conn.Director.LatestConfig("cloud", cellsConfigName)
	if cfg.Content != cellsCloudConfig {
		t.Fatalf("cloud config after release differs from the operator's:\n%s", cfg.Content)
	}

	// The replacement misbehaves too: a released record does not block
	// sequestering it; the new record takes the name over.
	cell := l.fleet.Add(rep.NewIP, tgt.ID)
	cell.StopBoshAgent = func() { _ = l.sim.SetInstanceAgentResponsive("cf", "diego-cell", tgt.ID, false) }
	l.snapshot()
	if p, err := l.flow("diego-cell/"+tgt.ID, keepSuspects()).Plan(withDeadline(t)); err != nil || p.Resume || p.OldIP != rep.NewIP {
		t.Fatalf("plan after release: %v %+v; want a fresh sequestration, not a resume", err, p)
	}
	again, err := l.flow("diego-cell/"+tgt.ID, keepSuspects()).Run(withDeadline(t))
	if err != nil || again.State != record.StateComplete || again.RecordID == rep.RecordID || again.OldIP != rep.NewIP {
		t.Fatalf("second sequestration: %v %+v", err, again)
	}
	l.checkInvariants(tgt.ID)
}

// concurrentWriter plays another writer of configs: before the nth
// UpdateConfig of a type it writes a newer version itself, so the director
// answers our conditional write with a real 412.
type concurrentWriter struct {
	boshdir.Director
	mu     sync.Mutex
	typ    string
	nth    int
	seen   int
	before func()
}

func (c *concurrentWriter) UpdateConfig(typ, name, expected string, content []byte) (boshdir.Config, error) {
	c.mu.Lock()
	if typ == c.typ {
		c.seen++
		if c.seen == c.nth && c.before != nil {
			c.before()
		}
	}
	c.mu.Unlock()
	return c.Director.UpdateConfig(typ, name, expected, content)
}

func (c *concurrentWriter) WithContext(id string) boshdir.Director {
	return &concurrentWriter{Director: c.Director.WithContext(id), typ: c.typ}
}

const staticManifest = `name: static
releases: []
stemcells:
- alias: default
  os: ubuntu-jammy
  version: latest
update:
  canaries: 1
  max_in_flight: 1
  canary_watch_time: 1000
  update_watch_time: 1000
instance_groups:
- name: diego-cell
  instances: 2
  azs: [z1]
  vm_type: default
  stemcell: default
  networks:
  - name: cells
    static_ips: [127.0.24.200, 127.0.24.201]
  jobs:
  - name: rep
    release: diego
`

func TestPreflightRefusesUnsafeRequestsAndChangesNothing(t *testing.T) {
	cases := []struct {
		name string
		// setup prepares the lab and returns the deployment, instance and
		// keep list to ask for.
		setup func(l *lab) (dep, inst string, keep agentapi.Keep)
		want  func(l *lab) string // the exact error, or a prefix ending in "..."
	}{
		{
			name: "an unknown deployment",
			setup: func(l *lab) (string, string, agentapi.Keep) {
				return "nope", "diego-cell/" + l.target().ID, keepSuspects()
			},
			want: func(l *lab) string { return `deployment "nope" not found` },
		},
		{
			name:  "an unknown instance",
			setup: func(l *lab) (string, string, agentapi.Keep) { return "cf", "diego-cell/does-not-exist", keepSuspects() },
			want:  func(l *lab) string { return `instance diego-cell/does-not-exist not found in deployment "cf"` },
		},
		{
			name: "a static IP",
			setup: func(l *lab) (string, string, agentapi.Keep) {
				if _, err := l.sim.Deploy(staticManifest); err != nil {
					l.t.Fatal(err)
				}
				in, _ := l.sim.Instance("static", "diego-cell", "0")
				l.fleet.Add(in.IPs["cells"], in.ID)
				return "static", "diego-cell/" + in.ID, keepSuspects()
			},
			want: func(l *lab) string {
				in, _ := l.sim.Instance("static", "diego-cell", "0")
				return "127.0.24.200 of diego-cell/" + in.ID + " is a static IP in the manifest: IP is a static IP of its subnet"
			},
		},
		{
			name: "an unreachable agent",
			setup: func(l *lab) (string, string, agentapi.Keep) {
				l.fleet.SetDown(l.target().IPs["cells"], true)
				return "cf", "diego-cell/" + l.target().ID, keepSuspects()
			},
			want: func(l *lab) string {
				return "sequester-agent on diego-cell/" + l.target().ID + " (" + l.target().IPs["cells"] + ") unreachable: ..."
			},
		},
		{
			name: "a keep handle that matches nothing",
			setup: func(l *lab) (string, string, agentapi.Keep) {
				return "cf", "diego-cell/" + l.target().ID, agentapi.Keep{Handles: []string{"no-such-handle"}}
			},
			want: func(l *lab) string {
				return "sequester-agent on diego-cell/" + l.target().ID + " (" + l.target().IPs["cells"] + `) refused the plan: sequester-agent answered 422: refused: no container with handle "no-such-handle" runs on this cell: check the handle against the inventory (sequester plan lists it)`
			},
		},
		{
			name: "a VM that is not running",
			setup: func(l *lab) (string, string, agentapi.Keep) {
				if err := l.sim.SetInstanceAgentResponsive("cf", "diego-cell", l.target().ID, false); err != nil {
					l.t.Fatal(err)
				}
				l.sim.SetResurrectionPaused(true) // or the HM would recreate it
				l.prior = true
				return "cf", "diego-cell/" + l.target().ID, keepSuspects()
			},
			want: func(l *lab) string {
				return "VM of diego-cell/" + l.target().ID + ` is not running (job_state "unresponsive agent")`
			},
		},
		{
			name: "pending changes",
			setup: func(l *lab) (string, string, agentapi.Keep) {
				if _, err := l.sim.SetCloudConfig("default", defaultCloudConfig+"vm_extensions:\n- name: new\n"); err != nil {
					l.t.Fatal(err)
				}
				return "cf", "diego-cell/" + l.target().ID, keepSuspects()
			},
			want: func(l *lab) string { return `deployment "cf" has pending changes (...` },
		},
		{
			name: "a task in flight",
			setup: func(l *lab) (string, string, agentapi.Keep) {
				// An errand of the cells' deployment runs (and holds its
				// lock) until released; vms listings, which are not
				// "important" tasks (verbose=1, as bosh tasks), never block.
				l.sim.SetErrandDuration(time.Minute)
				l.t.Cleanup(l.sim.ReleaseErrands)
				dep, _ := l.conn.Director.FindDeployment("cf")
				go dep.RunErrand("smoke-tests", false, false, nil)
				for i := 0; i < 400; i++ {
					if tasks, _ := l.conn.Director.CurrentTasks(boshdir.TasksFilter{Deployment: "cf"}); len(tasks) > 0 {
						break
					}
					time.Sleep(5 * time.Millisecond)
				}
				return "cf", "diego-cell/" + l.target().ID, keepSuspects()
			},
			want: func(l *lab) string { return `deployment "cf" has tasks in flight: ...` },
		},
		{
			name: "another instance with an unresponsive agent",
			setup: func(l *lab) (string, string, agentapi.Keep) {
				other, _ := l.sim.Instance("cf", "diego-cell", "1")
				if err := l.sim.SetInstanceAgentResponsive("cf", "diego-cell", other.ID, false); err != nil {
					l.t.Fatal(err)
				}
				l.sim.SetResurrectionPaused(true)
				l.prior = true
				return "cf", "diego-cell/" + l.target().ID, keepSuspects()
			},
			want: func(l *lab) string {
				other, _ := l.sim.Instance("cf", "diego-cell", "1")
				return `other instances of deployment "cf" have unresponsive agents: diego-cell/` + other.ID + "; the redeploy would fail binding them"
			},
		},
		{
			name: "max_sequestered reached",
			setup: func(l *lab) (string, string, agentapi.Keep) {
				other, _ := l.sim.Instance("cf", "diego-cell", "2")
				store := record.NewStore(l.conn.Director, "", l.logger)
				if _, err := store.Create(record.Record{Deployment: "cf", InstanceGroup: "diego-cell", InstanceID: other.ID, State: record.StateComplete}); err != nil {
					l.t.Fatal(err)
				}
				l.opts.MaxSequestered = 1
				return "cf", "diego-cell/" + l.target().ID, keepSuspects()
			},
			want: func(l *lab) string {
				other, _ := l.sim.Instance("cf", "diego-cell", "2")
				return "already 1 cells sequestered (max_sequestered 1): cf:diego-cell/" + other.ID + "; release one first"
			},
		},
		{
			name: "another unfinished sequestration in the deployment",
			setup: func(l *lab) (string, string, agentapi.Keep) {
				other, _ := l.sim.Instance("cf", "diego-cell", "2")
				store := record.NewStore(l.conn.Director, "", l.logger)
				if _, err := store.Create(record.Record{ID: "seq-other", Deployment: "cf", InstanceGroup: "diego-cell", InstanceID: other.ID, State: record.StateFailed}); err != nil {
					l.t.Fatal(err)
				}
				return "cf", "diego-cell/" + l.target().ID, keepSuspects()
			},
			want: func(l *lab) string {
				other, _ := l.sim.Instance("cf", "diego-cell", "2")
				return `another sequestration in deployment "cf" is not finished: diego-cell/` + other.ID + " (seq-other, failed); finish it first (re-run it)"
			},
		},
		{
			name: "the last instance of its group",
			setup: func(l *lab) (string, string, agentapi.Keep) {
				router, _ := l.sim.Instance("cf", "router", "0")
				return "cf", "router/" + router.ID, keepSuspects()
			},
			want: func(l *lab) string {
				router, _ := l.sim.Instance("cf", "router", "0")
				return "router/" + router.ID + " is the last running instance of instance group router"
			},
		},
		{
			name: "investigator SSH not ready",
			setup: func(l *lab) (string, string, agentapi.Keep) {
				l.cells[l.target().ID].SetSSHReady(false)
				return "cf", "diego-cell/" + l.target().ID, keepSuspects()
			},
			want: func(l *lab) string {
				// The agent refuses the plan itself, as the real one does.
				return "sequester-agent on diego-cell/" + l.target().ID + " (" + l.target().IPs["cells"] + ") refused the plan: sequester-agent answered 422: refused: investigator SSH is not ready: user investigator is not in group bosh_sshers (sshd refuses it); set it up (user in bosh_sshers with authorized keys, sshd listening) or allow going on without it explicitly"
			},
		},
		{
			name:  "an instance that is not GROUP/ID",
			setup: func(l *lab) (string, string, agentapi.Keep) { return "cf", "diego-cell", keepSuspects() },
			want:  func(l *lab) string { return `instance "diego-cell" is not GROUP/ID` },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t, 30*time.Millisecond)
			dep, inst, keep := tc.setup(l)
			l.sim.ResetStats()
			_, err := l.flowIn(dep, inst, keep).Run(withDeadline(t))
			want := tc.want(l)
			switch {
			case err == nil:
				t.Fatalf("run succeeded; want %q", want)
			case !refusal.Is(err):
				t.Fatalf("err = %v; want a refusal", err)
			case !refusalNames(err, want):
				t.Fatalf("err = %q\nwant it to name %q", err, want)
			}
			if n := l.sim.RequestCount("POST", "/configs") + l.sim.RequestCount("PUT", "/resurrection") + l.sim.RequestCount("DELETE", "/configs"); n != 0 {
				t.Fatalf("%d writes to configs or resurrection; a refusal changes nothing", n)
			}
			for kind, n := range l.sim.TaskCounts() {
				if kind != directorsim.KindVMs && n > 0 {
					t.Fatalf("%d %s tasks; a refusal starts none", n, kind)
				}
			}
			for _, c := range l.cells {
				if c.SequesterCalls() != 0 {
					t.Fatalf("the agent was asked to sequester")
				}
			}
		})
	}
}

func withDeadline(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestAResurrectionThePauseDidNotStopIsReportedNotHidden(t *testing.T) {
	l := newLab(t, 30*time.Millisecond)
	tgt := l.target()
	// Someone deletes our resurrection rule and resumes resurrection
	// globally (ending the bridge) just as the BOSH agent stops, and the
	// health monitor acts on it at once.
	l.stopHook = func(id string) {
		if id != tgt.ID {
			return
		}
		if _, err := l.conn.Director.DeleteConfig("resurrection", director.ResurrectionConfigName("cf", tgt.ID)); err != nil {
			t.Error(err)
		}
		l.sim.SetResurrectionPaused(false)
		l.sim.ReloadResurrectionRules()
		if ids := l.sim.Tick(); len(ids) == 0 {
			t.Error("the health monitor did not resurrect")
		}
	}
	rep, err := l.flow("diego-cell/"+tgt.ID, keepSuspects()).Run(withDeadline(t))
	if err == nil || !strings.Contains(err.Error(), "outside this run: resurrected or recreated while sequestering") {
		t.Fatalf("err = %v", err)
	}
	if rep.State != record.StateFailed {
		t.Fatalf("state %s", rep.State)
	}
	if n := l.sim.TaskCounts()[directorsim.KindUpdateDeployment]; n != 1 {
		t.Fatalf("%d deploys; the flow must stop, not redeploy over it", n)
	}
}

func TestListReportsDriftAndReleaseRefusesUnfinishedRecords(t *testing.T) {
	l := newLab(t, 30*time.Millisecond)
	tgt := l.target()
	adm := &director.Admin{Dir: l.conn.Director, Raw: l.conn.Raw, Store: record.NewStore(l.conn.Director, "", l.logger), Logger: l.logger, Agents: l.fleet.Dialer()}

	// A failed run inside the unsafe window: release must not delete the
	// VM of an unfinished sequestration.
	l.sim.FailNextTask(directorsim.KindUpdateDeployment, "injected")
	if _, err := l.flow("diego-cell/"+tgt.ID, keepSuspects()).Run(withDeadline(t)); err == nil {
		t.Fatal("the injected deploy failure went unnoticed")
	}
	_, err := adm.Release(context.Background(), "cf", "diego-cell/"+tgt.ID)
	if !refusal.Is(err) || !strings.Contains(err.Error(), "is failed, not complete; re-run `sequester cell` to finish it before releasing") {
		t.Fatalf("release of a failed record: %v", err)
	}
	list, err := adm.List(context.Background(), "")
	if err != nil || len(list) != 1 || !strings.Contains(strings.Join(list[0].Drift, "|"), "resurrection is still paused by this sequestration") {
		t.Fatalf("list = %+v, %v", list, err)
	}
	l.rerunCompletes(tgt.ID)

	// An operator re-uploads the cloud config from git, without our entry.
	if _, err := l.sim.SetCloudConfig(cellsConfigName, cellsCloudConfig); err != nil {
		t.Fatal(err)
	}
	list, err = adm.List(context.Background(), "cf")
	if err != nil || len(list) != 1 || list[0].Reserved == nil || *list[0].Reserved {
		t.Fatalf("list = %+v, %v", list, err)
	}
	want := "old IP " + tgt.IPs["cells"] + ` is no longer reserved in cloud config "cells": the director may give it to another VM while the old VM lives; add the entry back (to the operator's copy too)`
	if len(list[0].Drift) != 1 || list[0].Drift[0] != want {
		t.Fatalf("drift %q; want %q...", list[0].Drift, want)
	}
	if _, err := adm.Status("cf", "diego-cell/unknown"); !refusal.Is(err) {
		t.Fatalf("status of an unknown instance: %v", err)
	}
}

func TestPreflightRefusesACellWhoseAgentAlreadyHoldsAnotherOperation(t *testing.T) {
	l := newLab(t, 30*time.Millisecond)
	tgt := l.target()
	// A rehearsal posted to the agent by hand, failed before the BOSH
	// agent stop: the agent would answer the flow's sequester with 409,
	// after the IP is reserved and resurrection paused.
	cell := l.cells[tgt.ID]
	cell.FailAt = agentapi.StepStopBoshAgent
	if _, err := cell.Sequester(context.Background(), agentapi.SequesterRequest{OperationID: "hand-run", Keep: keepSuspects()}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 400; i++ {
		if st, _ := cell.Status(context.Background()); st.Phase == agentapi.PhaseFailed {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	l.sim.ResetStats()
	_, err := l.flow("diego-cell/"+tgt.ID, keepSuspects()).Run(withDeadline(t))
	want := "sequester-agent on diego-cell/" + tgt.ID + " (" + tgt.IPs["cells"] + ") already holds operation hand-run (failed)"
	if !refusal.Is(err) || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("err = %v\nwant %s...", err, want)
	}
	if n := l.sim.RequestCount("POST", "/configs") + l.sim.RequestCount("PUT", "/resurrection"); n != 0 {
		t.Fatalf("%d writes to configs or resurrection; a refusal changes nothing", n)
	}
	if n := cell.SequesterCalls(); n != 1 {
		t.Fatalf("%d sequester requests; only the hand-run one", n)
	}
}

// An operator re-uploads the cloud config from git without the entry that
// keeps a sequestered VM's IP: a deploy for the next sequestration would
// hand that IP (held by no instance any more) to the next cell's
// replacement, next to the live sequestered VM. Preflight refuses; the
// redeploy stops when it happens after preflight.
func TestASequesteredVMsDroppedReservationStopsTheNextSequestration(t *testing.T) {
	for _, when := range []string{"before preflight", "after the agent stop"} {
		t.Run(when, func(t *testing.T) {
			l := newLab(t, 30*time.Millisecond)
			first := l.target()
			if rep, err := l.flow("diego-cell/"+first.ID, keepSuspects()).Run(withDeadline(t)); err != nil {
				t.Fatalf("first sequestration: %v (%+v)", err, rep)
			}
			drop := func() {
				if _, err := l.sim.SetCloudConfig(cellsConfigName, cellsCloudConfig); err != nil {
					t.Error(err)
				}
			}
			var second directorsim.Instance
			for _, in := range l.sim.Instances("cf") {
				if in.Group == "diego-cell" && in.Index == 1 {
					second = in
				}
			}
			if when == "before preflight" {
				drop()
			} else {
				l.stopHook = func(id string) {
					if id == second.ID {
						drop()
					}
				}
			}
			l.sim.ResetStats()
			_, err := l.flow("diego-cell/"+second.ID, keepSuspects()).Run(withDeadline(t))
			want := "cloud config \"cells\" no longer reserves " + first.IPs["cells"] + " of the sequestered VM of cf:diego-cell/" + first.ID
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v\nwant ...%s...", err, want)
			}
			if when == "before preflight" {
				if !refusal.Is(err) {
					t.Fatalf("not a refusal: %v", err)
				}
				if n := l.sim.RequestCount("POST", "/configs") + l.sim.RequestCount("PUT", "/resurrection"); n != 0 {
					t.Fatalf("%d writes to configs or resurrection; a refusal changes nothing", n)
				}
			} else if n := l.sim.TaskCounts()[directorsim.KindUpdateDeployment]; n != 0 {
				t.Fatalf("%d deploys; the redeploy must stop before deploying", n)
			}
			for _, ev := range l.sim.IPHistory() {
				if ev.IP == first.IPs["cells"] && ev.Time.After(l.started) && (ev.Action == "allocated" || ev.Action == "assigned") {
					t.Fatalf("the sequestered VM's IP %s was handed out again: %+v", ev.IP, ev)
				}
			}
		})
	}
}

// pinningDirector changes a cloud config just before the redeploy is
// sent, after the flow checked the diff.
type pinningDirector struct {
	boshdir.Director
	beforeUpdate func()
}

func (p *pinningDirector) FindDeployment(name string) (boshdir.Deployment, error) {
	d, err := p.Director.FindDeployment(name)
	if err != nil {
		return nil, err
	}
	return &pinningDeployment{Deployment: d, beforeUpdate: p.beforeUpdate}, nil
}

func (p *pinningDirector) WithContext(id string) boshdir.Director {
	return &pinningDirector{Director: p.Director.WithContext(id), beforeUpdate: p.beforeUpdate}
}

type pinningDeployment struct {
	boshdir.Deployment
	beforeUpdate func()
}

func (p *pinningDeployment) Update(manifest []byte, opts boshdir.UpdateOpts) error {
	p.beforeUpdate()
	return p.Deployment.Update(manifest, opts)
}

// An operator's update-cloud-config between the flow's diff check and its
// deploy: the deploy is pinned to the configs the diff saw, so the change
// (here a new vm_type for every other instance) is not rolled out with it.
func TestTheRedeployIsPinnedToTheConfigsItsDiffChecked(t *testing.T) {
	l := newLab(t, 30*time.Millisecond)
	tgt := l.target()
	changed := strings.Replace(defaultCloudConfig, "  cloud_properties: {cpu: 2}\n", "  cloud_properties: {cpu: 2, instance_type: m5.xlarge}\n", 1)
	if changed == defaultCloudConfig {
		t.Fatal("the test's cloud config edit matched nothing")
	}
	l.dirWrap = func(d boshdir.Director) boshdir.Director {
		return &pinningDirector{Director: d, beforeUpdate: func() {
			if _, err := l.sim.SetCloudConfig("default", changed); err != nil {
				t.Error(err)
			}
		}}
	}
	if rep, err := l.flow("diego-cell/"+tgt.ID, keepSuspects()).Run(withDeadline(t)); err != nil {
		t.Fatalf("run: %v (%+v)", err, rep)
	}
	l.checkInvariants(tgt.ID)
}

// A diff the director cannot compute comes back as 200 with no lines, an
// error and no configs to pin: it proves nothing about pending changes, so
// neither preflight nor the redeploy takes it as "empty".
func TestADiffTheDirectorCouldNotComputeIsNotAnEmptyDiff(t *testing.T) {
	const broken = "networks:\n- name: other\n  type: manual\n  subnets:\n  - range: not-a-cidr\n"
	for _, when := range []string{"before preflight", "after the agent stop"} {
		t.Run(when, func(t *testing.T) {
			l := newLab(t, 30*time.Millisecond)
			tgt := l.target()
			breakIt := func() {
				if _, err := l.sim.SetCloudConfig("broken", broken); err != nil {
					t.Error(err)
				}
			}
			if when == "before preflight" {
				breakIt()
			} else {
				l.stopHook = func(string) { breakIt() }
			}
			l.sim.ResetStats()
			_, err := l.flow("diego-cell/"+tgt.ID, keepSuspects()).Run(withDeadline(t))
			want := `the director could not compute the diff of deployment "cf"`
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v\nwant ...%s...", err, want)
			}
			if n := l.sim.TaskCounts()[directorsim.KindUpdateDeployment]; n != 0 {
				t.Fatalf("%d deploys; want none", n)
			}
			if when == "before preflight" {
				if !refusal.Is(err) {
					t.Fatalf("not a refusal: %v", err)
				}
				if n := l.sim.RequestCount("POST", "/configs") + l.sim.RequestCount("PUT", "/resurrection"); n != 0 {
					t.Fatalf("%d writes to configs or resurrection; a refusal changes nothing", n)
				}
			}
		})
	}
}

// The scoped rule reaches the health monitor only after its re-read; the
// global switch, read by the director on every scan-and-fix request,
// bridges that time, so the cell is contained at once, and goes back to
// its prior value as soon as the rule is in force.
func TestTheGlobalBridgeLastsUntilTheRuleIsInForceAndNoLonger(t *testing.T) {
	for _, tc := range []struct {
		name       string
		prior      bool
		wantBridge bool
	}{
		{"resurrection on before: the global switch bridges the re-read", false, true},
		{"resurrection paused globally before: no bridge, the switch is not touched", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t, 250*time.Millisecond)
			l.sim.SetResurrectionPaused(tc.prior)
			l.prior = tc.prior
			tgt := l.target()
			// The switch outlasts the re-read: the bridge ends on its own.
			l.sim.SetTaskDelay(400 * time.Millisecond)
			var pausedAtStop bool
			var tasksAtStop []int
			l.stopHook = func(id string) {
				if id == tgt.ID {
					pausedAtStop = l.sim.ResurrectionPaused()
					tasksAtStop = l.sim.Tick()
				}
			}
			rep, err := l.flow("diego-cell/"+tgt.ID, keepSuspects()).Run(withDeadline(t))
			if err != nil {
				t.Fatalf("run: %v\n%+v", err, rep)
			}
			if !pausedAtStop || len(tasksAtStop) != 0 {
				t.Fatalf("when the BOSH agent stopped: global paused %v, health monitor tasks %v", pausedAtStop, tasksAtStop)
			}
			wait := l.opts.ResurrectionWait.Seconds()
			if rep.TimeToContainAfterPreflightSeconds >= wait {
				t.Errorf("contained %.3fs after preflight; the bridge should make the wait for the re-read (%.3fs) unnecessary", rep.TimeToContainAfterPreflightSeconds, wait)
			}
			bridge := reportStep(rep, director.StepEndBridge)
			if rep.Resurrection.Bridge != tc.wantBridge {
				t.Fatalf("bridge = %v; want %v (%+v)", rep.Resurrection.Bridge, tc.wantBridge, rep.Resurrection)
			}
			if tc.wantBridge {
				if bridge.State != record.StepDone || rep.ResurrectionBridgeSeconds < wait || rep.ResurrectionBridgeSeconds > wait+1 {
					t.Errorf("bridge step %+v lasted %.3fs; want just over %.3fs", bridge, rep.ResurrectionBridgeSeconds, wait)
				}
				if n := l.sim.RequestCount("PUT", "/resurrection"); n != 2 {
					t.Errorf("%d PUT /resurrection; want the pause and its end", n)
				}
			} else {
				if bridge.State != record.StepSkipped || rep.ResurrectionBridgeSeconds != 0 {
					t.Errorf("bridge step %+v, %.3fs", bridge, rep.ResurrectionBridgeSeconds)
				}
				if n := l.sim.RequestCount("PUT", "/resurrection"); n != 0 {
					t.Errorf("%d PUT /resurrection although it was paused before", n)
				}
			}
			l.checkInvariants(tgt.ID)
			l.checkResurrection(tgt.ID, false)
		})
	}
}

// A pipeline's task on the cells' deployment (its smoke-test errand) lands
// while the director switches the VM: it holds the deployment's lock, and
// the switch waits for it instead of failing.
func TestAPipelineTaskHoldingTheLockDuringTheSwitchIsWaitedFor(t *testing.T) {
	l := newLab(t, 30*time.Millisecond)
	tgt := l.target()
	pipeline := make(chan error, 1)
	l.sim.SetErrandDuration(time.Second)
	l.stopHook = func(id string) {
		if id != tgt.ID {
			return
		}
		go func() {
			dep, err := l.conn.Director.FindDeployment("cf")
			if err == nil {
				_, err = dep.RunErrand("smoke-tests", false, false, nil)
			}
			pipeline <- err
		}()
		// The pipeline holds the lock before the switch scans.
		deadline := time.Now().Add(5 * time.Second)
		for _, locked := l.sim.LockHolder("cf"); !locked && time.Now().Before(deadline); _, locked = l.sim.LockHolder("cf") {
			time.Sleep(5 * time.Millisecond)
		}
	}
	rep, err := l.flow("diego-cell/"+tgt.ID, keepSuspects()).Run(withDeadline(t))
	if err != nil {
		t.Fatalf("run: %v\n%+v", err, rep)
	}
	if perr := <-pipeline; perr != nil {
		t.Errorf("the pipeline's errand: %v", perr)
	}
	if n := l.sim.TaskCounts()[directorsim.KindScan]; n < 2 {
		t.Errorf("%d scans; want the one refused while the pipeline held the lock, then ours (%v)", n, l.sim.TaskCounts())
	}
	l.checkInvariants(tgt.ID)
	l.checkResurrection(tgt.ID, false)
}

func TestThePlanSaysHowResurrectionWillBePausedForThisDirector(t *testing.T) {
	for _, tc := range []struct {
		name        string
		priorPaused bool
		mode        string
		oldDirector bool
		want        string
	}{
		{"resurrection on: the global switch bridges the re-read", false, "", false, "pause the global switch as well"},
		{"paused globally before: no bridge needed", true, "", false, "the global switch, paused already, covers"},
		{"global mode", false, record.ResurrectionGlobal, false, "pause resurrection globally"},
		{"no GET /resurrection: wait for the re-read", false, "", true, "is not used as a bridge"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLab(t, 30*time.Millisecond)
			l.sim.SetResurrectionPaused(tc.priorPaused)
			l.opts.ResurrectionMode = tc.mode
			f := l.flow("diego-cell/"+l.target().ID, keepSuspects())
			if tc.oldDirector {
				f.Raw = oldDirector{l.conn.Raw}
			}
			p, err := f.Plan(withDeadline(t))
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Descriptions[director.StepPauseResurrection]; !strings.Contains(got, tc.want) {
				t.Errorf("pause step: %q; want it to say %q", got, tc.want)
			}
			if n := l.sim.RequestCount("PUT", "/resurrection") + l.sim.RequestCount("POST", "/configs"); n != 0 {
				t.Errorf("the plan changed something (%d writes)", n)
			}
		})
	}
}
