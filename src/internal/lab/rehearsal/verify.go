package rehearsal

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/monit"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cloudconfig"
	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/monitd"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/scenario"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
)

// Check is one line of the independent verification.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// verifier reads the world directly (monit, runc, NATS, TCP, the
// director's state) and never the report, except for the time the routes
// were withdrawn, after which no registration may arrive.
type verifier struct {
	w      *scenario.World
	rep    *director.Report
	kept   []string
	checks []Check
}

func (v *verifier) add(name string, ok bool, format string, args ...any) {
	v.checks = append(v.checks, Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
}

// Verify checks a finished sequestration of the world's target, with
// kept the handles that were to be kept.
func Verify(ctx context.Context, w *scenario.World, rep *director.Report, kept []string) []Check {
	v := &verifier{w: w, rep: rep, kept: kept}
	v.monit(ctx)
	v.boshAgent()
	v.runc()
	v.nats(ctx)
	v.tcp()
	v.director(ctx)
	return v.checks
}

func (v *verifier) monit(ctx context.Context) {
	t := v.w.Target()
	mc := t.Rig.MonitClient
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	describe := func(service, pidFile string) (monit.Service, int, bool, error) {
		s, err := mc.Service(ctx, service)
		pid := monitd.PidFromFile(pidFile)
		return s, pid, pid > 0 && monitd.Alive(pid), err
	}
	s, pid, alive, err := describe("route_emitter", t.Rig.EmitterPid)
	v.add("monit: route emitter stopped on the target", err == nil && !alive && s.Monitor == monit.NotMonitored,
		"route_emitter %s, pid %d %s", monitState(s, err), pid, aliveWord(alive))
	s, pid, alive, err = describe("rep", t.Rig.RepPid)
	starts, shutdowns := t.Rig.RepStartCount()
	v.add("monit: rep not monitored and dead on the target", err == nil && !alive && s.Monitor == monit.NotMonitored && starts == 1 && shutdowns == 0,
		"rep %s, pid %d %s, started %d time(s), ran its container cleanup %d time(s)", monitState(s, err), pid, aliveWord(alive), starts, shutdowns)
}

func monitState(s monit.Service, err error) string {
	if err != nil {
		return "unknown to monit (" + err.Error() + ")"
	}
	if s.Monitor == monit.NotMonitored {
		return "not monitored"
	}
	return "monitored"
}

func aliveWord(alive bool) string {
	if alive {
		return "alive"
	}
	return "gone"
}

func (v *verifier) boshAgent() {
	t := v.w.Target()
	_, downErr := os.Stat(filepath.Join(t.Rig.Runit.ServiceDir, "down"))
	st := t.Rig.Runit.Status()
	before := v.w.Heartbeats(t.Instance.AgentID)
	time.Sleep(3 * scenario.HeartbeatInterval)
	after := v.w.Heartbeats(t.Instance.AgentID)
	v.add("runit: BOSH agent down on the target", downErr == nil && strings.HasPrefix(st, "down:") && after == before,
		"sv status %q, down file %s, heartbeats to the director in %s: %d", strings.TrimSpace(st), presence(downErr), 3*scenario.HeartbeatInterval, after-before)
}

func presence(err error) string {
	if err == nil {
		return "present"
	}
	return "missing"
}

type runcEntry struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// RuncList is a cell's containers and their states as runc itself
// lists them, not garden.
func RuncList(c *scenario.Cell) (map[string]string, error) {
	out, err := c.Rig.Garden.Runc("list", "--format", "json")
	if err != nil {
		return nil, err
	}
	var list []runcEntry
	if s := strings.TrimSpace(string(out)); s != "" && s != "null" {
		if err := json.Unmarshal(out, &list); err != nil {
			return nil, fmt.Errorf("parse runc list: %w", err)
		}
	}
	m := map[string]string{}
	for _, e := range list {
		m[e.ID] = e.Status
	}
	return m, nil
}

func (v *verifier) runc() {
	for i, c := range v.w.Cells {
		list, err := RuncList(c)
		if err != nil {
			v.add(fmt.Sprintf("runc: containers of %s", cellName(c)), false, "runc list: %v", err)
			continue
		}
		if i == 0 {
			want := map[string]bool{}
			for _, h := range v.kept {
				want[h] = true
			}
			ok := len(list) == len(want)
			var seen []string
			for h, st := range list {
				ok = ok && want[h] && (st == "running" || st == "paused")
				seen = append(seen, short(h)+" "+st)
			}
			sort.Strings(seen)
			v.add("runc: only the kept containers left on the target", ok, "runc list: [%s]; kept %s", strings.Join(seen, ", "), shortList(v.kept))
			continue
		}
		ok := len(list) == len(c.Containers)
		for _, ctr := range c.Containers {
			ok = ok && list[ctr.Handle] == "running"
		}
		v.add(fmt.Sprintf("runc: %s untouched", cellName(c)), ok, "%d of %d containers running", countRunning(list), len(c.Containers))
	}
}

func countRunning(list map[string]string) int {
	n := 0
	for _, st := range list {
		if st == "running" {
			n++
		}
	}
	return n
}

func (v *verifier) nats(ctx context.Context) {
	t := v.w.Target()
	var withdrawn *time.Time
	for _, s := range v.rep.CellSteps {
		if s.Name == agentapi.StepWithdrawRoutes && s.State == agentapi.StepDone {
			withdrawn = s.FinishedAt
		}
	}
	if withdrawn == nil {
		v.add("nats: no route from the target after withdrawal", false, "the report has no finished %s step", agentapi.StepWithdrawRoutes)
	} else {
		ips, handles := map[string]bool{}, map[string]bool{}
		for _, c := range t.Containers {
			ips[c.IP], handles[c.Handle] = true, true
		}
		ips[t.IP()] = true
		late := v.w.Routes.Since(*withdrawn, func(r scenario.Registration) bool { return ips[r.Host] || handles[r.PrivateInstanceID] })
		before := v.w.Routes.Since(v.w.SetUpAt, func(r scenario.Registration) bool { return handles[r.PrivateInstanceID] })
		v.add("nats: no route from the target after withdrawal", len(late) == 0 && len(before) > 0,
			"%d router.register for the target's containers before %s, %d after", len(before)-len(late), withdrawn.UTC().Format("15:04:05.000"), len(late))
	}
	if len(v.w.Cells) == 1 {
		return
	}
	// Other cells keep registering: a fresh registration of every one of
	// their containers within two emit intervals from now.
	now := time.Now()
	deadline := now.Add(2*scenario.EmitInterval + time.Second)
	missing := func() []string {
		var out []string
		for _, c := range v.w.Cells[1:] {
			for _, ctr := range c.Containers {
				if v.w.Routes.Count(ctr.Handle, now) == 0 {
					out = append(out, short(ctr.Handle))
				}
			}
		}
		return out
	}
	m := missing()
	for len(m) > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
		m = missing()
	}
	total := 0
	for _, c := range v.w.Cells[1:] {
		total += len(c.Containers)
	}
	v.add("nats: other cells still registering", len(m) == 0,
		"%d of %d containers on %d other cell(s) registered again within %s", total-len(m), total, len(v.w.Cells)-1, time.Since(now).Round(10*time.Millisecond))
}

func (v *verifier) tcp() {
	t := v.w.Target()
	kept := map[string]bool{}
	for _, h := range v.kept {
		kept[h] = true
	}
	n := 0
	for _, c := range t.Containers {
		if !kept[c.Handle] {
			continue
		}
		n++
		out, took := scenario.Dial("", c.Addr(), 3*time.Second)
		v.add("tcp: kept container refuses outsiders at once", out == "refused (reset)" && took < time.Second,
			"dial %s (%s) from this host: %s in %s", c.Addr(), short(c.Handle), out, took.Round(time.Millisecond))
		out, took = scenario.Dial(v.w.Investigator, c.Addr(), 3*time.Second)
		v.add("tcp: investigators still reach the kept container", out == "accepted",
			"dial %s from investigator source %s: %s in %s", c.Addr(), v.w.Investigator, out, took.Round(time.Millisecond))
	}
	if n == 0 {
		v.add("tcp: kept container refuses outsiders at once", true, "no container was kept (--keep-none): nothing to dial")
	}
	// A pruned container answers no more, from anywhere.
	var answered []string
	pruned := 0
	for _, c := range t.Containers {
		if kept[c.Handle] {
			continue
		}
		pruned++
		if out, _ := scenario.Dial(v.w.Investigator, c.Addr(), time.Second); out == "accepted" {
			answered = append(answered, c.Addr())
		}
	}
	v.add("tcp: pruned containers answer no more", len(answered) == 0, "%d of %d pruned containers still accept connections %v", len(answered), pruned, answered)
}

func (v *verifier) director(ctx context.Context) {
	w, t := v.w, v.w.Target()
	oldIP, oldCID := t.IP(), t.Instance.VMCID

	cfg, err := w.Conn.Director.LatestConfig("cloud", scenario.CellsCloudConfigName)
	if err != nil {
		v.add("director: old IP reserved, comments and key order kept", false, "read cloud config %s: %v", scenario.CellsCloudConfigName, err)
	} else {
		reserved, rerr := cloudconfig.IsReserved([]byte(cfg.Content), scenario.CellsNetwork, oldIP)
		comments, order := keptAsWritten(w.CellsCloudConfigBefore, cfg.Content)
		v.add("director: old IP reserved, comments and key order kept", rerr == nil && reserved && comments && order,
			"%s reserved in cloud config %q: %v; operator comments kept: %v; key order kept: %v", oldIP, scenario.CellsCloudConfigName, reserved, comments, order)
	}

	after, ok := w.Sim.Instance(scenario.Deployment, scenario.CellGroup, t.Instance.ID)
	newIP := after.IPs[scenario.CellsNetwork]
	v.add("director: the instance runs on a new VM with a new IP", ok && after.VMCID != "" && after.VMCID != oldCID && newIP != "" && newIP != oldIP && after.AgentResponsive,
		"%s/%s: VM %s at %s (was %s at %s), agent responsive: %v", scenario.CellGroup, t.Instance.ID, after.VMCID, newIP, oldCID, oldIP, after.AgentResponsive)

	alive, referenced := false, false
	for _, vm := range w.Sim.IaaSVMs() {
		if vm.CID == oldCID {
			alive, referenced = true, vm.Referenced
		}
	}
	v.add("director: the old VM lives on, unreferenced", alive && !referenced,
		"VM %s in the IaaS: %v, referenced by the director: %v", oldCID, alive, referenced)

	w.Sim.ReloadResurrectionRules()
	paused := w.Sim.ResurrectionPaused()
	enabled := w.Sim.ResurrectionEnabled(scenario.Deployment, scenario.CellGroup)
	v.add("director: resurrection as it was", paused == w.PriorPaused && enabled == !w.PriorPaused,
		"globally paused %v (before %v), enabled for %s/%s %v", paused, w.PriorPaused, scenario.Deployment, scenario.CellGroup, enabled)

	var created []string
	for _, vm := range w.Sim.VMHistory() {
		if vm.CreatedAt.After(w.SetUpAt) {
			created = append(created, fmt.Sprintf("%s for %s/%s (%s)", vm.CID, vm.Group, vm.InstanceID, vm.Cause))
		}
	}
	v.add("director: exactly one VM created", len(created) == 1 && strings.Contains(created[0], t.Instance.ID),
		"created since setup: %v", created)

	var changed []string
	untouched := 0
	for _, in := range w.Sim.Instances(scenario.Deployment) {
		if in.ID == t.Instance.ID {
			continue
		}
		if b := w.Before[in.ID]; b.VMCID != in.VMCID {
			changed = append(changed, fmt.Sprintf("%s/%s %s -> %s", in.Group, in.ID, b.VMCID, in.VMCID))
		} else {
			untouched++
		}
	}
	v.add("director: no other instance's VM changed", len(changed) == 0, "%d other instance(s) on the same VM; changed: %v", untouched, changed)

	r, _, err := record.NewStore(w.Conn.Director, "", w.Logger).Get(scenario.Deployment, t.Instance.ID)
	var notDone []string
	for _, name := range director.Steps {
		if err == nil && !r.Done(name) {
			notDone = append(notDone, name)
		}
	}
	v.add("record: complete in the director's configs", err == nil && r.State == record.StateComplete && len(notDone) == 0 && r.NewIP == newIP,
		"record %s: state %s, new IP %s, steps not done %v%s", r.ID, r.State, r.NewIP, notDone, errSuffix(err))
}

// keptAsWritten says whether every comment of before survives in after
// and its lines keep their order (apart from the reserved entry the
// sequestration edits).
func keptAsWritten(before, after string) (comments, order bool) {
	comments = true
	for _, l := range strings.Split(before, "\n") {
		if i := strings.Index(l, "#"); i >= 0 && !strings.Contains(after, strings.TrimSpace(l[i:])) {
			comments = false
		}
	}
	// Key order: the lines without their comments, in the same order.
	bare := func(l string) string {
		if i := strings.Index(l, "#"); i >= 0 {
			l = l[:i]
		}
		return strings.TrimSpace(l)
	}
	var afterLines []string
	for _, l := range strings.Split(after, "\n") {
		afterLines = append(afterLines, bare(l))
	}
	j := 0
	order = true
	for _, l := range strings.Split(before, "\n") {
		l = bare(l)
		if l == "" || strings.HasPrefix(l, "reserved:") || strings.HasPrefix(l, "- ") && strings.Contains(l, " - ") {
			continue
		}
		for j < len(afterLines) && afterLines[j] != l {
			j++
		}
		if j == len(afterLines) {
			order = false
			break
		}
		j++
	}
	return comments, order
}

func errSuffix(err error) string {
	if err != nil {
		return " (" + err.Error() + ")"
	}
	return ""
}

func cellName(c *scenario.Cell) string {
	return fmt.Sprintf("%s/%s (%s)", scenario.CellGroup, c.Instance.ID, c.IP())
}

func short(handle string) string {
	if len(handle) > 8 {
		return handle[:8]
	}
	return handle
}

func shortList(hs []string) string {
	var out []string
	for _, h := range hs {
		out = append(out, short(h))
	}
	return "[" + strings.Join(out, ", ") + "]"
}

// VerifyUnchanged checks, after a refused sequestration, that nothing
// changed: the target still serves and registers routes, its rep, route
// emitter and BOSH agent run, every container is there, and the director
// holds no reservation, record or new VM.
func VerifyUnchanged(ctx context.Context, w *scenario.World) []Check {
	v := &verifier{w: w}
	t := w.Target()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for _, svc := range []struct{ name, pidFile string }{{"rep", t.Rig.RepPid}, {"route_emitter", t.Rig.EmitterPid}} {
		s, err := t.Rig.MonitClient.Service(ctx, svc.name)
		pid := monitd.PidFromFile(svc.pidFile)
		alive := pid > 0 && monitd.Alive(pid)
		v.add("monit: "+svc.name+" still runs on the target", err == nil && alive && s.Monitor == monit.Monitored,
			"%s %s, pid %d %s", svc.name, monitState(s, err), pid, aliveWord(alive))
	}
	before := w.Heartbeats(t.Instance.AgentID)
	time.Sleep(5 * scenario.HeartbeatInterval)
	after := w.Heartbeats(t.Instance.AgentID)
	v.add("runit: BOSH agent still up on the target", after > before, "heartbeats to the director in %s: %d", 5*scenario.HeartbeatInterval, after-before)

	list, err := RuncList(t)
	ok := err == nil && len(list) == len(t.Containers)
	for _, c := range t.Containers {
		ok = ok && list[c.Handle] != ""
	}
	v.add("runc: every container still on the target", ok, "%d of %d containers in runc list%s", len(list), len(t.Containers), errSuffix(err))

	now := time.Now()
	deadline := now.Add(2*scenario.EmitInterval + time.Second)
	fresh := func() int {
		n := 0
		for _, c := range t.Containers {
			if w.Routes.Count(c.Handle, now) > 0 {
				n++
			}
		}
		return n
	}
	for fresh() < len(t.Containers) && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
	}
	n := fresh()
	v.add("nats: the target still registers its routes", n == len(t.Containers), "%d of %d containers registered again within %s", n, len(t.Containers), time.Since(now).Round(10*time.Millisecond))

	cfg, err := w.Conn.Director.LatestConfig("cloud", scenario.CellsCloudConfigName)
	v.add("director: cloud config unchanged", err == nil && cfg.Content == w.CellsCloudConfigBefore, "cloud config %q as the operator wrote it: %v%s", scenario.CellsCloudConfigName, err == nil && cfg.Content == w.CellsCloudConfigBefore, errSuffix(err))
	var created []string
	for _, vm := range w.Sim.VMHistory() {
		if vm.CreatedAt.After(w.SetUpAt) {
			created = append(created, vm.CID)
		}
	}
	w.Sim.ReloadResurrectionRules()
	paused := w.Sim.ResurrectionPaused()
	enabled := w.Sim.ResurrectionEnabled(scenario.Deployment, scenario.CellGroup)
	v.add("director: no VM created, resurrection as it was", len(created) == 0 && paused == w.PriorPaused && enabled == !w.PriorPaused,
		"VMs created: %v; globally paused %v (before %v), enabled for %s %v", created, paused, w.PriorPaused, scenario.CellGroup, enabled)
	writes := w.Sim.RequestCount("POST", "/configs") + w.Sim.RequestCount("PUT", "/resurrection")
	v.add("director: no record, no config written", writes == 0, "%d writes to configs or resurrection", writes)
	return v.checks
}
