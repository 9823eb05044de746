package directorsim_test

import (
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	boshdir "github.com/cloudfoundry/bosh-cli/v7/director"

	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/directorsim"
)

func TestDirectorPackageReadsInfoInstancesVMsAndConfigs(t *testing.T) {
	sim := newSim(t, directorsim.Options{})
	dir := newDirector(t, sim)

	info, err := dir.Info()
	if err != nil {
		t.Fatal(err)
	}
	if info.Auth.Type != "basic" || info.User != "admin" {
		t.Fatalf("info: want basic auth and user admin, got %+v", info)
	}
	dep := cfDeployment(t, dir)
	insts, err := dep.Instances()
	if err != nil {
		t.Fatal(err)
	}
	if len(insts) != 4 {
		t.Fatalf("want 4 instances, got %d", len(insts))
	}
	for _, i := range insts {
		if !i.ExpectsVM || i.VMID == "" || len(i.IPs) != 1 || i.AgentID == "" {
			t.Fatalf("instance without VM details: %+v", i)
		}
	}
	router, _ := sim.Instance("cf", "router", "0")
	if router.IPs["cells"] != "127.0.24.200" {
		t.Fatalf("router should have its static IP, got %v", router.IPs)
	}
	vms, err := dep.VMInfos()
	if err != nil {
		t.Fatal(err)
	}
	if len(vms) != 4 || vms[0].ProcessState != "running" || vms[0].VMCreatedAt.IsZero() {
		t.Fatalf("vms: %+v", vms)
	}
	latest, err := dir.LatestConfig("cloud", "cells")
	if err != nil || latest.Content != cellsCloudConfig || !latest.Current {
		t.Fatalf("latest cells cloud config: %+v %v", latest, err)
	}
	cc, err := dir.LatestCloudConfig("cells")
	if err != nil || cc.Properties != cellsCloudConfig {
		t.Fatalf("legacy cloud config: %+v %v", cc, err)
	}
}

// holdLock starts something that holds the cf deployment lock until release
// is called.
type lockHolder struct {
	name  string
	start func(t *testing.T, sim *directorsim.Simulator, dir boshdir.Director) (release func())
}

var lockHolders = []lockHolder{
	{"an errand run", func(t *testing.T, sim *directorsim.Simulator, dir boshdir.Director) func() {
		sim.SetErrandDuration(time.Minute)
		done := make(chan error, 1)
		go func() {
			_, err := cfDeployment(t, dir).RunErrand("smoke-tests", false, false, nil)
			done <- err
		}()
		return func() {
			sim.ReleaseErrands()
			if err := <-done; err != nil {
				t.Errorf("errand: %v", err)
			}
		}
	}},
	{"a deploy", func(t *testing.T, sim *directorsim.Simulator, dir boshdir.Director) func() {
		sim.SetTaskDelay(2 * time.Second)
		done := make(chan error, 1)
		go func() {
			done <- cfDeployment(t, dir).Update([]byte(cfManifest), boshdir.UpdateOpts{})
		}()
		return func() {
			sim.SetTaskDelay(0)
			if err := <-done; err != nil {
				t.Errorf("holding deploy: %v", err)
			}
		}
	}},
}

func waitLocked(t *testing.T, sim *directorsim.Simulator) int {
	t.Helper()
	for i := 0; i < 500; i++ {
		if id, ok := sim.LockHolder("cf"); ok {
			return id
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("cf never got locked")
	return 0
}

func TestDeploymentLockFailsScansAtOnceAndDeploysAfterTheWait(t *testing.T) {
	for _, holder := range lockHolders {
		t.Run("while "+holder.name+" runs", func(t *testing.T) {
			sim := newSim(t, directorsim.Options{})
			dir := newDirector(t, sim)
			release := holder.start(t, sim, dir)
			holderTask := waitLocked(t, sim)

			locks, err := dir.Locks()
			if err != nil || len(locks) != 1 || locks[0].TaskID != strconv.Itoa(holderTask) || locks[0].Resource[0] != "cf" {
				t.Errorf("locks: %+v %v", locks, err)
			}

			_, err = cfDeployment(t, dir).ScanForProblems()
			if err == nil {
				t.Error("scan should fail while locked")
			} else if tasks := sim.Tasks(); tasks[len(tasks)-1].Result != "Unable to get deployment lock, maybe a deployment is in progress. Try again later." {
				t.Errorf("scan task result: %q", tasks[len(tasks)-1].Result)
			}

			// the deploy's own task waits LockWait then fails with the
			// director's lock text naming the holder
			sim.SetTaskDelay(0)
			err = cfDeployment(t, dir).Update([]byte(cfManifest), boshdir.UpdateOpts{})
			if err == nil {
				t.Error("deploy should fail while locked")
			}
			var deployTask directorsim.TaskInfo
			for _, tk := range sim.Tasks() {
				if tk.Kind == directorsim.KindUpdateDeployment && tk.State == "error" {
					deployTask = tk
				}
			}
			mustContain(t, "deploy task result", deployTask.Result, "Failed to acquire lock for lock:deployment:cf uid: ")
			task, _ := dir.FindTask(deployTask.ID)
			_ = task
			release()
		})
	}
}

func TestDeleteVMReferenceIsRefusedWhileTheAgentAnswers(t *testing.T) {
	sim := newSim(t, directorsim.Options{})
	dir := newDirector(t, sim)
	dep := cfDeployment(t, dir)
	target := cell(t, sim, "1")
	mustOK(t, sim.SetInstanceAgentResponsive("cf", "diego-cell", "1", false))

	probs, err := dep.ScanForProblems()
	if err != nil || len(probs) != 1 {
		t.Fatalf("scan: %+v %v", probs, err)
	}
	// the agent comes back before the resolution runs
	mustOK(t, sim.SetInstanceAgentResponsive("cf", "diego-cell", "1", true))
	err = dep.ResolveProblems([]boshdir.ProblemAnswer{{ProblemID: probs[0].ID, Resolution: resolution("delete_vm_reference")}}, nil)
	if err == nil {
		t.Fatal("resolution should fail while the agent answers")
	}
	last := lastTask(sim)
	mustContain(t, "resolve task", last.Result, "Error resolving problem '"+strconv.Itoa(probs[0].ID)+"': Agent is responding now, skipping resolution")
	if now := cell(t, sim, "1"); now.VMCID != target.VMCID {
		t.Fatalf("the VM reference must stay, was %s now %q", target.VMCID, now.VMCID)
	}
}

func resolution(name string) boshdir.ProblemResolution {
	return boshdir.ProblemResolution{Name: &name}
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func lastTask(sim *directorsim.Simulator) directorsim.TaskInfo {
	tasks := sim.Tasks()
	return tasks[len(tasks)-1]
}

func TestScanReportsUnresponsiveAgentsThenMissingVMsAndResolvesOnlyListedProblems(t *testing.T) {
	sim := newSim(t, directorsim.Options{})
	dir := newDirector(t, sim)
	dep := cfDeployment(t, dir)
	target, other := cell(t, sim, "0"), cell(t, sim, "2")
	mustOK(t, sim.SetInstanceAgentResponsive("cf", "diego-cell", "0", false))
	mustOK(t, sim.SetInstanceAgentResponsive("cf", "diego-cell", "2", false))

	probs, err := dep.ScanForProblems()
	if err != nil || len(probs) != 2 {
		t.Fatalf("scan: %+v %v", probs, err)
	}
	var mine boshdir.Problem
	for _, p := range probs {
		if strings.Contains(p.Description, target.ID) {
			mine = p
		}
	}
	wantDesc := "VM for 'diego-cell/" + target.ID + " (0)' with cloud ID '" + target.VMCID + "' is not responding."
	if mine.Type != "unresponsive_agent" || mine.Description != wantDesc || mine.InstanceGroup != "diego-cell" {
		t.Fatalf("problem: %+v, want description %q", mine, wantDesc)
	}
	if m, ok := mine.Data.(map[string]any); !ok || len(m) != 0 {
		t.Fatalf("problem data should be empty, got %#v", mine.Data)
	}
	var names []string
	for _, r := range mine.Resolutions {
		names = append(names, *r.Name)
	}
	if strings.Join(names, ",") != "ignore,reboot_vm,recreate_vm_without_wait,recreate_vm,delete_vm,delete_vm_reference" {
		t.Fatalf("resolutions: %v", names)
	}

	err = dep.ResolveProblems([]boshdir.ProblemAnswer{{ProblemID: mine.ID, Resolution: resolution("delete_vm_reference")}}, nil)
	mustOK(t, err)
	if got := cell(t, sim, "0"); got.VMCID != "" || got.IPs["cells"] != target.IPs["cells"] {
		t.Fatalf("target after delete_vm_reference: %+v", got)
	}
	if got := cell(t, sim, "2"); got.VMCID != other.VMCID {
		t.Fatalf("the other instance must keep its VM: %+v", got)
	}
	alive := false
	for _, vm := range sim.IaaSVMs() {
		if vm.CID == target.VMCID {
			alive = !vm.Referenced
		}
	}
	if !alive {
		t.Fatal("the forgotten VM must keep running in the IaaS")
	}

	probs, err = dep.ScanForProblems()
	if err != nil || len(probs) != 2 {
		t.Fatalf("rescan: %+v %v", probs, err)
	}
	found := false
	for _, p := range probs {
		if p.Type == "missing_vm" {
			found = true
			want := "VM for 'diego-cell/" + target.ID + " (0)' missing."
			if p.Description != want {
				t.Fatalf("missing_vm description %q, want %q", p.Description, want)
			}
		}
	}
	if !found {
		t.Fatalf("want a missing_vm problem, got %+v", probs)
	}
}

func TestResurrection(t *testing.T) {
	rulesOff := `
rules:
- enabled: false
  include:
    deployments: [cf]
    instance_groups: [diego-cell]
`
	cases := []struct {
		name          string
		paused        bool
		rules         string
		deleteRef     bool
		wantRecreated bool
	}{
		{name: "an unresponsive VM is destroyed and recreated while resurrection is on", wantRecreated: true},
		{name: "a VM-less instance is recreated on its old IP while resurrection is on", deleteRef: true, wantRecreated: true},
		{name: "nothing happens while resurrection is paused globally", paused: true},
		{name: "nothing happens while a resurrection rule disables the instance group", rules: rulesOff, deleteRef: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim := newSim(t, directorsim.Options{})
			dir := newDirector(t, sim)
			dep := cfDeployment(t, dir)
			target := cell(t, sim, "0")
			sim.SetResurrectionPaused(tc.paused)
			if tc.rules != "" {
				_, err := dir.UpdateConfig("resurrection", "sequester", "", []byte(tc.rules))
				mustOK(t, err)
			}
			mustOK(t, sim.SetInstanceAgentResponsive("cf", "diego-cell", "0", false))
			if tc.deleteRef {
				probs, err := dep.ScanForProblems()
				mustOK(t, err)
				mustOK(t, dep.ResolveProblems([]boshdir.ProblemAnswer{{ProblemID: probs[0].ID, Resolution: resolution("delete_vm_reference")}}, nil))
			}
			ids := sim.Tick()
			now := cell(t, sim, "0")
			oldAlive := false
			for _, vm := range sim.IaaSVMs() {
				oldAlive = oldAlive || vm.CID == target.VMCID
			}
			if !tc.wantRecreated {
				if len(ids) != 0 {
					t.Fatalf("no resurrection expected, got tasks %v", ids)
				}
				if !oldAlive {
					t.Fatal("the old VM must live")
				}
				return
			}
			if len(ids) != 1 || sim.WaitTask(ids[0]).State != "done" {
				t.Fatalf("resurrection tasks %v: %+v", ids, sim.Tasks())
			}
			if now.VMCID == "" || now.VMCID == target.VMCID || !now.AgentResponsive {
				t.Fatalf("instance should have a new responsive VM: %+v", now)
			}
			if now.IPs["cells"] != target.IPs["cells"] {
				t.Fatalf("resurrection recreates on the old IP %s, got %s", target.IPs["cells"], now.IPs["cells"])
			}
			if !tc.deleteRef && oldAlive {
				t.Fatal("resurrecting an unresponsive VM destroys it")
			}
			if tc.deleteRef && !oldAlive {
				t.Fatal("a forgotten VM is not the director's to delete")
			}
		})
	}
}

func TestResurrectionRulesAreReadOnlyAfterTheInterval(t *testing.T) {
	sim := newSim(t, directorsim.Options{ResurrectionRulesInterval: time.Hour})
	dir := newDirector(t, sim)
	sim.Tick() // the HM reads the (empty) rules now
	_, err := dir.UpdateConfig("resurrection", "sequester", "", []byte("rules:\n- enabled: false\n  include:\n    instance_groups: [diego-cell]\n"))
	mustOK(t, err)
	if !sim.ResurrectionEnabled("cf", "diego-cell") {
		t.Fatal("the HM must still use the rules it read before")
	}
	sim.ReloadResurrectionRules()
	if sim.ResurrectionEnabled("cf", "diego-cell") || !sim.ResurrectionEnabled("cf", "router") {
		t.Fatal("after the re-read the rule disables diego-cell only")
	}
}

func TestFullDeployGivesAReservedIPsInstanceANewVMOnANewIP(t *testing.T) {
	sim := newSim(t, directorsim.Options{})
	dir := newDirector(t, sim)
	dep := cfDeployment(t, dir)
	target := cell(t, sim, "1")
	others := map[string]string{}
	for _, i := range sim.Instances("cf") {
		if i.ID != target.ID {
			others[i.ID] = i.VMCID
		}
	}
	oldIP := target.IPs["cells"]

	mustOK(t, sim.SetInstanceAgentResponsive("cf", "diego-cell", "1", false))
	probs, err := dep.ScanForProblems()
	mustOK(t, err)
	mustOK(t, dep.ResolveProblems([]boshdir.ProblemAnswer{{ProblemID: probs[0].ID, Resolution: resolution("delete_vm_reference")}}, nil))
	_, err = dir.UpdateConfig("cloud", "cells", "", []byte(withReserved(oldIP)))
	mustOK(t, err)

	diff, err := dep.Diff([]byte(cfManifest), false)
	mustOK(t, err)
	mustOK(t, dep.Update([]byte(cfManifest), boshdir.UpdateOpts{Diff: diff}))

	now := cell(t, sim, "1")
	if now.VMCID == "" || now.IPs["cells"] == oldIP {
		t.Fatalf("want a new VM on a new IP, got %+v (old IP %s)", now, oldIP)
	}
	if _, pinned, ok := sim.Manifest("cf"); !ok || strings.Join(pinned, ",") != "1,3" {
		t.Fatalf("the deploy pins the latest cloud configs, got %v", pinned)
	}
	if ip := now.IPs["cells"]; ip >= "127.0.24.1" && ip <= "127.0.24.9" && len(ip) == 10 {
		t.Fatalf("allocated a restricted IP %s", ip)
	}
	for _, i := range sim.Instances("cf") {
		if prev, ok := others[i.ID]; ok && prev != i.VMCID {
			t.Fatalf("instance %s/%s changed VM %s -> %s", i.Group, i.ID, prev, i.VMCID)
		}
	}
	if vms := sim.InstanceVMs("cf", target.ID); len(vms) != 2 || vms[1].Cause != "deploy" {
		t.Fatalf("want exactly one new VM for the target: %+v", vms)
	}
}

func TestIPAllocationSkipsReservedStaticAndDatabaseIPsButHandsOutForgottenVMsIPs(t *testing.T) {
	sim := newSim(t, directorsim.Options{})
	dir := newDirector(t, sim)
	dep := cfDeployment(t, dir)
	used := map[string]bool{}
	for _, i := range sim.Instances("cf") {
		used[i.IPs["cells"]] = true
	}
	// 127.0.24.10.. are the first dynamic addresses after gateway and reserved
	for _, ip := range []string{"127.0.24.10", "127.0.24.11", "127.0.24.12", "127.0.24.200"} {
		if !used[ip] {
			t.Fatalf("want %s allocated, have %v", ip, used)
		}
	}

	// forget diego-cell/0's VM, move the instance off its IP by reserving
	// it, then drop the reservation: the director no longer knows the IP
	target := cell(t, sim, "0")
	oldIP := target.IPs["cells"]
	mustOK(t, sim.SetInstanceAgentResponsive("cf", "diego-cell", "0", false))
	probs, err := dep.ScanForProblems()
	mustOK(t, err)
	mustOK(t, dep.ResolveProblems([]boshdir.ProblemAnswer{{ProblemID: probs[0].ID, Resolution: resolution("delete_vm_reference")}}, nil))
	mustSetCloudConfig(t, sim, "cells", withReserved(oldIP))
	mustOK(t, dep.Update([]byte(cfManifest), boshdir.UpdateOpts{}))
	mustSetCloudConfig(t, sim, "cells", cellsCloudConfig)

	scaled := strings.Replace(cfManifest, "instances: 3", "instances: 4", 1)
	mustOK(t, dep.Update([]byte(scaled), boshdir.UpdateOpts{}))
	fresh := cell(t, sim, "3")
	if fresh.IPs["cells"] != oldIP {
		t.Fatalf("the real director hands a forgotten VM's IP %s to the next VM; got %s", oldIP, fresh.IPs["cells"])
	}
	clash := 0
	for _, vm := range sim.IaaSVMs() {
		for _, ip := range vm.IPs {
			if ip == oldIP {
				clash++
			}
		}
	}
	if clash != 2 {
		t.Fatalf("want the forgotten VM and the new VM both on %s, got %d VMs", oldIP, clash)
	}
}

func TestEmptyBodyStateChangeHandsBackTheOldIP(t *testing.T) {
	for _, action := range []string{"recreate", "start", "recreate --no-converge", "start --no-converge"} {
		t.Run(action, func(t *testing.T) {
			sim := newSim(t, directorsim.Options{})
			dir := newDirector(t, sim)
			dep := cfDeployment(t, dir)
			target := cell(t, sim, "2")
			oldIP := target.IPs["cells"]
			mustOK(t, sim.SetInstanceAgentResponsive("cf", "diego-cell", "2", false))
			probs, err := dep.ScanForProblems()
			mustOK(t, err)
			mustOK(t, dep.ResolveProblems([]boshdir.ProblemAnswer{{ProblemID: probs[0].ID, Resolution: resolution("delete_vm_reference")}}, nil))
			mustSetCloudConfig(t, sim, "cells", withReserved(oldIP))

			slug := boshdir.NewAllOrInstanceGroupOrInstanceSlug("diego-cell", target.ID)
			switch action {
			case "recreate":
				err = dep.Recreate(slug, boshdir.RecreateOpts{Converge: true})
			case "start":
				err = dep.Start(slug, boshdir.StartOpts{Converge: true})
			case "recreate --no-converge":
				err = dep.Recreate(slug, boshdir.RecreateOpts{Converge: false})
			case "start --no-converge":
				err = dep.Start(slug, boshdir.StartOpts{Converge: false})
			}
			mustOK(t, err)
			now := cell(t, sim, "2")
			if now.VMCID == "" || now.IPs["cells"] != oldIP {
				t.Fatalf("an empty-body state change plans with the pinned configs: want old IP %s, got %+v", oldIP, now)
			}
			var onOld []string
			for _, vm := range sim.IaaSVMs() {
				if len(vm.IPs) > 0 && vm.IPs[0] == oldIP {
					onOld = append(onOld, vm.CID)
				}
			}
			if len(onOld) != 2 {
				t.Fatalf("want the sequestered VM and the new one clashing on %s, got %v", oldIP, onOld)
			}
			assigned := 0
			for _, ev := range sim.IPHistory() {
				if ev.IP == oldIP && ev.Action == "assigned" && ev.InstanceID == target.ID {
					assigned++
				}
			}
			if assigned != 2 {
				t.Fatalf("the IP history shows the old IP assigned to both VMs, got %d assignments", assigned)
			}
		})
	}
}

func TestDiffShowsPendingCloudConfigChangesAndTheConfigsToPin(t *testing.T) {
	sim := newSim(t, directorsim.Options{})
	dir := newDirector(t, sim)
	dep := cfDeployment(t, dir)

	diff, err := dep.Diff([]byte(cfManifest), false)
	mustOK(t, err)
	if len(diff.Diff) != 0 {
		t.Fatalf("a freshly deployed manifest has no pending changes, got %v", diff.Diff)
	}
	ip := cell(t, sim, "0").IPs["cells"]
	newID := mustSetCloudConfig(t, sim, "cells", withReserved(ip))
	diff, err = dep.Diff([]byte(cfManifest), false)
	mustOK(t, err)
	var lines []string
	for _, l := range diff.Diff {
		status, _ := l[1].(string)
		lines = append(lines, l[0].(string)+"|"+status)
	}
	want := []string{
		"networks:|",
		"- name: cells|",
		"  subnets:|",
		"  - range: 127.0.24.0/24|",
		"    reserved:|",
		"    - " + ip + "|added",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("diff lines:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}

	// a property change is a pending change too, redacted in the output
	changed := strings.Replace(cfManifest, "  - name: gorouter\n    release: routing\n", "  - name: gorouter\n    release: routing\n    properties: {secret: x}\n", 1)
	diff, err = dep.Diff([]byte(changed), false)
	mustOK(t, err)
	joined := ""
	for _, l := range diff.Diff {
		joined += l[0].(string) + "\n"
	}
	mustContain(t, "property diff", joined, "properties:")
	mustContain(t, "property diff", joined, "<redacted>")

	// the diff's context pins the latest configs for the deploy
	cloudIDs := diffContextIDs(t, sim, newID)
	_ = cloudIDs
}

// diffContextIDs checks, over plain HTTP, that the diff context names the
// latest cloud config ids.
func diffContextIDs(t *testing.T, sim *directorsim.Simulator, latestCellsID string) []any {
	t.Helper()
	body := rawRequest(t, sim, "POST", "/deployments/cf/diff?redact=true", "text/yaml", cfManifest, 200)
	mustContain(t, "diff context", body, `"cloud_config_ids":[1,`+latestCellsID+`]`)
	mustContain(t, "diff context", body, `"runtime_config_ids":[]`)
	return nil
}

func TestDeployFailsBindingAnotherUnresponsiveAgentUnlessFixed(t *testing.T) {
	sim := newSim(t, directorsim.Options{})
	dir := newDirector(t, sim)
	dep := cfDeployment(t, dir)
	other := cell(t, sim, "2")
	mustOK(t, sim.SetInstanceAgentResponsive("cf", "diego-cell", "2", false))

	err := dep.Update([]byte(cfManifest), boshdir.UpdateOpts{})
	if err == nil {
		t.Fatal("deploy must fail binding the unresponsive agent")
	}
	want := "Timed out sending 'get_state' to instance: 'diego-cell/" + other.ID + "', agent-id: '" + other.AgentID + "' after 45 seconds"
	if got := lastTask(sim).Result; !strings.HasPrefix(want, strings.TrimSuffix(got, "...")) {
		t.Fatalf("task result %q, want %q", got, want)
	}
	events := taskEvents(t, sim, lastTask(sim).ID)
	mustContain(t, "event log", events, want)

	mustOK(t, dep.Update([]byte(cfManifest), boshdir.UpdateOpts{Fix: true}))
	if now := cell(t, sim, "2"); now.VMCID == other.VMCID || !now.AgentResponsive {
		t.Fatalf("--fix recreates the unresponsive instance: %+v", now)
	}
}

func TestConfigsRejectAStaleExpectedLatestID(t *testing.T) {
	sim := newSim(t, directorsim.Options{})
	dir := newDirector(t, sim)
	first, err := dir.UpdateConfig("sequestration", "cf.diego-cell", "0", []byte("state: started\n"))
	mustOK(t, err)
	second, err := dir.UpdateConfig("sequestration", "cf.diego-cell", first.ID, []byte("state: done\n"))
	mustOK(t, err)
	_, err = dir.UpdateConfig("sequestration", "cf.diego-cell", first.ID, []byte("state: lost-update\n"))
	if err == nil {
		t.Fatal("a stale expected_latest_id must be refused")
	}
	mustContain(t, "412", err.Error(), "The expected latest ID '"+first.ID+"' doesn't match the latest ID '"+second.ID+"'")
	same, err := dir.UpdateConfig("sequestration", "cf.diego-cell", second.ID, []byte("state: done\n"))
	if err != nil || same.ID != second.ID {
		t.Fatalf("unchanged content keeps the id: %+v %v", same, err)
	}
	byID, err := dir.LatestConfigByID(second.ID)
	if err != nil || byID.Content != "state: done\n" {
		t.Fatalf("by id: %+v %v", byID, err)
	}
	list, err := dir.ListConfigs(1, boshdir.ConfigsFilter{Type: "sequestration"})
	if err != nil || len(list) != 1 || list[0].ID != second.ID {
		t.Fatalf("list: %+v %v", list, err)
	}
	deleted, err := dir.DeleteConfig("sequestration", "cf.diego-cell")
	if err != nil || !deleted {
		t.Fatalf("delete: %v %v", deleted, err)
	}
	if _, err := dir.LatestConfig("sequestration", "cf.diego-cell"); err == nil {
		t.Fatal("a deleted config is gone")
	}
}

func TestPerInstanceResurrectionEndpointIsGone(t *testing.T) {
	sim := newSim(t, directorsim.Options{})
	dep := cfDeployment(t, newDirector(t, sim))
	err := dep.EnableResurrection(boshdir.NewInstanceSlug("diego-cell", cell(t, sim, "0").ID), false)
	if err == nil {
		t.Fatal("want 410")
	}
	mustContain(t, "error", err.Error(), "'410'")
}

func TestGlobalResurrectionFlag(t *testing.T) {
	sim := newSim(t, directorsim.Options{})
	dir := newDirector(t, sim)
	mustOK(t, dir.EnableResurrection(false))
	if !sim.ResurrectionPaused() {
		t.Fatal("want paused")
	}
	body := rawRequest(t, sim, "GET", "/resurrection", "", "", 200)
	mustContain(t, "GET /resurrection", body, `{"resurrection":false}`)
	mustOK(t, dir.EnableResurrection(true))
	if sim.ResurrectionPaused() {
		t.Fatal("want resumed")
	}
}

func TestDeleteVMDestroysAForgottenVM(t *testing.T) {
	sim := newSim(t, directorsim.Options{})
	dir := newDirector(t, sim)
	dep := cfDeployment(t, dir)
	target := cell(t, sim, "0")
	mustOK(t, sim.SetInstanceAgentResponsive("cf", "diego-cell", "0", false))
	probs, err := dep.ScanForProblems()
	mustOK(t, err)
	mustOK(t, dep.ResolveProblems([]boshdir.ProblemAnswer{{ProblemID: probs[0].ID, Resolution: resolution("delete_vm_reference")}}, nil))
	mustOK(t, dep.DeleteVM(target.VMCID))
	for _, vm := range sim.IaaSVMs() {
		if vm.CID == target.VMCID {
			t.Fatal("the VM must be gone from the IaaS")
		}
	}
	if lastTask(sim).Result != "vm "+target.VMCID+" deleted" {
		t.Fatalf("task: %+v", lastTask(sim))
	}
}

func TestInjectedFaults(t *testing.T) {
	sim := newSim(t, directorsim.Options{})
	dir := newDirector(t, sim)
	dep := cfDeployment(t, dir)

	sim.FailRequest("PUT", "/deployments/*/problems", 1)
	mustOK(t, sim.SetInstanceAgentResponsive("cf", "diego-cell", "0", false))
	probs, err := dep.ScanForProblems()
	mustOK(t, err)
	answer := []boshdir.ProblemAnswer{{ProblemID: probs[0].ID, Resolution: resolution("delete_vm_reference")}}
	if err := dep.ResolveProblems(answer, nil); err == nil || !strings.Contains(err.Error(), "'500'") {
		t.Fatalf("first resolve should get a 500, got %v", err)
	}
	if cell(t, sim, "0").VMCID == "" {
		t.Fatal("a refused request changes nothing")
	}
	mustOK(t, dep.ResolveProblems(answer, nil))

	sim.FailNextTask(directorsim.KindUpdateDeployment, "simulated CPI failure")
	if err := dep.Update([]byte(cfManifest), boshdir.UpdateOpts{}); err == nil {
		t.Fatal("want the deploy task to fail")
	}
	if got := lastTask(sim); got.State != "error" || got.Result != "simulated CPI failure" {
		t.Fatalf("failed task: %+v", got)
	}
	if n := sim.RequestCount("PUT", "/deployments/*/problems"); n != 2 {
		t.Fatalf("request log counts 2 resolves, got %d", n)
	}
	if sim.TaskCounts()[directorsim.KindScan] != 1 {
		t.Fatalf("task counts: %v", sim.TaskCounts())
	}
}

func TestHeartbeatModeMarksAgentsUnresponsiveWhenHeartbeatsStop(t *testing.T) {
	sim := newSim(t, directorsim.Options{HeartbeatTimeout: 300 * time.Millisecond})
	target := cell(t, sim, "0")
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
				rawRequestNoAuth(t, sim, "POST", "/_sim/heartbeat/"+target.AgentID, 200)
			}
		}
	}()
	// other agents never heartbeat and go unresponsive; ours stays up
	waitFor(t, "other agents to time out", func() bool { return !cell(t, sim, "1").AgentResponsive })
	if !cell(t, sim, "0").AgentResponsive {
		t.Fatal("a heartbeating agent is responsive")
	}
	close(stop)
	<-done
	waitFor(t, "our agent to time out", func() bool { return !cell(t, sim, "0").AgentResponsive })
	vms, err := cfDeployment(t, newDirector(t, sim)).VMInfos()
	mustOK(t, err)
	for _, vm := range vms {
		if vm.ID == target.ID && vm.ProcessState != "unresponsive agent" {
			t.Fatalf("vms job_state %q", vm.ProcessState)
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestDeployPinnedToADiffContextPlansWithThoseConfigs(t *testing.T) {
	cases := []struct {
		name      string
		pinBefore bool
		wantOldIP bool
	}{
		{name: "pinned to the configs seen before the reservation the VM comes back on the old IP", pinBefore: true, wantOldIP: true},
		{name: "pinned to the configs with the reservation the VM gets a new IP", pinBefore: false, wantOldIP: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim := newSim(t, directorsim.Options{})
			dep := cfDeployment(t, newDirector(t, sim))
			target := cell(t, sim, "1")
			oldIP := target.IPs["cells"]
			before, err := dep.Diff([]byte(cfManifest), false)
			mustOK(t, err)
			mustOK(t, sim.SetInstanceAgentResponsive("cf", "diego-cell", "1", false))
			probs, err := dep.ScanForProblems()
			mustOK(t, err)
			mustOK(t, dep.ResolveProblems([]boshdir.ProblemAnswer{{ProblemID: probs[0].ID, Resolution: resolution("delete_vm_reference")}}, nil))
			mustSetCloudConfig(t, sim, "cells", withReserved(oldIP))
			after, err := dep.Diff([]byte(cfManifest), false)
			mustOK(t, err)
			pin := after
			if tc.pinBefore {
				pin = before
			}
			mustOK(t, dep.Update([]byte(cfManifest), boshdir.UpdateOpts{Diff: pin}))
			now := cell(t, sim, "1")
			if got := now.IPs["cells"] == oldIP; got != tc.wantOldIP || now.VMCID == "" {
				t.Fatalf("want old IP %v (old %s), got %+v", tc.wantOldIP, oldIP, now)
			}
			deploys := sim.RequestCount("POST", "/deployments")
			if deploys != 1 {
				t.Fatalf("want one POST /deployments, got %d", deploys)
			}
			mustContain(t, "deploy query", lastRequest(sim, "POST", "/deployments").Query, "context=")
		})
	}
}

func lastRequest(sim *directorsim.Simulator, method, path string) directorsim.Request {
	var out directorsim.Request
	for _, r := range sim.Requests() {
		if r.Method == method && r.Path == path {
			out = r
		}
	}
	return out
}

const sequesterManifest = `
name: sequester
releases:
- name: cell-sequestration
  version: latest
stemcells:
- alias: default
  os: ubuntu-jammy
  version: latest
update: {canaries: 1, max_in_flight: 1, canary_watch_time: 1000, update_watch_time: 1000}
instance_groups:
- name: sequester-cell
  lifecycle: errand
  instances: 1
  azs: [z1]
  vm_type: default
  stemcell: default
  networks:
  - name: default
  jobs:
  - name: sequester-cell
    release: cell-sequestration
`

func TestAnErrandLocksOnlyItsOwnDeployment(t *testing.T) {
	sim := newSim(t, directorsim.Options{})
	_, err := sim.Deploy(sequesterManifest)
	mustOK(t, err)
	dir := newDirector(t, sim)
	seq, err := dir.FindDeployment("sequester")
	mustOK(t, err)
	errands, err := seq.Errands()
	if err != nil || len(errands) != 1 || errands[0].Name != "sequester-cell" {
		t.Fatalf("errands: %+v %v", errands, err)
	}
	sim.SetErrandDuration(time.Minute)
	done := make(chan error, 1)
	go func() {
		res, err := seq.RunErrand("sequester-cell", false, false, nil)
		if err == nil && (len(res) != 1 || res[0].ExitCode != 0) {
			t.Errorf("errand result: %+v", res)
		}
		done <- err
	}()
	waitFor(t, "the errand to lock sequester", func() bool { _, ok := sim.LockHolder("sequester"); return ok })
	if _, ok := sim.LockHolder("cf"); ok {
		t.Fatal("cf must not be locked by sequester's errand")
	}
	if _, err := cfDeployment(t, dir).ScanForProblems(); err != nil {
		t.Fatalf("scanning cf while sequester's errand runs: %v", err)
	}
	if ids := sim.Tick(); len(ids) != 0 {
		t.Fatalf("nothing to resurrect: %v", ids)
	}
	sim.ReleaseErrands()
	mustOK(t, <-done)
}

func TestHealthMonitorSkipsALockedDeployment(t *testing.T) {
	sim := newSim(t, directorsim.Options{})
	dir := newDirector(t, sim)
	release := lockHolders[0].start(t, sim, dir)
	waitLocked(t, sim)
	mustOK(t, sim.SetInstanceAgentResponsive("cf", "diego-cell", "0", false))
	if ids := sim.Tick(); len(ids) != 0 {
		t.Fatalf("a locked deployment is skipped, got tasks %v", ids)
	}
	release()
	if ids := sim.Tick(); len(ids) != 1 {
		t.Fatalf("once unlocked the instance is resurrected, got %v", ids)
	}
}

func TestHeartbeatsDriveResurrectionOnTheHealthMonitorsOwnTicks(t *testing.T) {
	var current atomic.Pointer[directorsim.Simulator]
	created := make(chan directorsim.VM, 64)
	sim := newSim(t, directorsim.Options{
		HMInterval:       50 * time.Millisecond,
		HeartbeatTimeout: 200 * time.Millisecond,
		OnVMCreated: func(vm directorsim.VM) {
			// the lab starts a stand-in agent here; this one is pinned up
			if s := current.Load(); s != nil {
				s.SetAgentResponsive(vm.AgentID, true)
			}
			created <- vm
		},
	})
	current.Store(sim)
	target := cell(t, sim, "0")
	for _, i := range sim.Instances("cf") {
		if i.ID != target.ID {
			sim.SetAgentResponsive(i.AgentID, true)
		}
	}
	var vm directorsim.VM
	for vm.InstanceID != target.ID || vm.CID == target.VMCID {
		select {
		case vm = <-created:
		case <-time.After(10 * time.Second):
			t.Fatal("the silent agent's VM was never resurrected")
		}
	}
	if vm.IPs[0] != target.IPs["cells"] {
		t.Fatalf("resurrected on %v, want the old IP %s", vm.IPs, target.IPs["cells"])
	}
	for _, v := range sim.IaaSVMs() {
		if v.CID == target.VMCID {
			t.Fatal("the resurrector destroys the unresponsive VM")
		}
	}
}

func TestAFullDeployAppliesEveryPendingChangeToEveryInstance(t *testing.T) {
	biggerVMs := strings.Replace(defaultCloudConfig, "cloud_properties: {cpu: 2}", "cloud_properties: {cpu: 4}", 1)
	cases := []struct {
		name        string
		opts        boshdir.UpdateOpts
		wantChanged bool
	}{
		{"a pending vm_type change recreates every instance's VM", boshdir.UpdateOpts{}, true},
		{"a dry run changes nothing", boshdir.UpdateOpts{DryRun: true}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim := newSim(t, directorsim.Options{})
			dir := newDirector(t, sim)
			before := map[string]string{}
			for _, i := range sim.Instances("cf") {
				before[i.ID] = i.VMCID
			}
			mustSetCloudConfig(t, sim, "default", biggerVMs)
			diff, err := cfDeployment(t, dir).Diff([]byte(cfManifest), false)
			mustOK(t, err)
			if len(diff.Diff) == 0 {
				t.Fatal("the vm_type change is a pending change")
			}
			mustOK(t, cfDeployment(t, dir).Update([]byte(cfManifest), tc.opts))
			for _, i := range sim.Instances("cf") {
				if changed := before[i.ID] != i.VMCID; changed != tc.wantChanged {
					t.Errorf("%s/%s VM changed = %v, want %v", i.Group, i.ID, changed, tc.wantChanged)
				}
			}
			events, err := dir.Events(boshdir.EventsFilter{Deployment: "cf", Action: "update", ObjectType: "instance"})
			mustOK(t, err)
			if want := map[bool]int{true: 4, false: 0}[tc.wantChanged]; len(events) != want {
				t.Errorf("want %d instance update events, got %d", want, len(events))
			}
		})
	}
}

// The director reads the global switch on every scan-and-fix request while
// the health monitor reads resurrection rules only on its interval [bosh:
// api/controllers/deployments_controller.rb deployment_has_instance_to_resurrect?;
// bosh-monitor: resurrection_manager.rb]: a global pause bridges the time
// until a new rule is read, and only if it lasts that long.
func TestAGlobalPauseBridgesTheHealthMonitorsReReadOfANewRule(t *testing.T) {
	const interval = 400 * time.Millisecond
	for _, tc := range []struct {
		name          string
		endBridge     time.Duration
		wantResurrect bool
	}{
		{"a bridge ended before the re-read lets the health monitor destroy the VM", 0, true},
		{"a bridge ended after the re-read leaves the rule in force", interval + 50*time.Millisecond, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := newSim(t, directorsim.Options{ResurrectionRulesInterval: interval})
			dir := newDirector(t, sim)
			cfDeployment(t, dir)
			target := cell(t, sim, "0")
			sim.Tick() // the health monitor reads the (empty) rules now
			paused := time.Now()
			_, err := dir.UpdateConfig("resurrection", "sequester", "", []byte("rules:\n- enabled: false\n  include:\n    deployments: [cf]\n    instance_groups: [diego-cell]\n"))
			mustOK(t, err)
			mustOK(t, dir.EnableResurrection(false))
			mustOK(t, sim.SetInstanceAgentResponsive("cf", "diego-cell", "0", false))
			if ids := sim.Tick(); len(ids) != 0 {
				t.Fatalf("the global pause did not take effect at once: tasks %v", ids)
			}
			if sim.ResurrectionEnabled("cf", "diego-cell") {
				t.Fatal("resurrection enabled during the bridge")
			}
			time.Sleep(time.Until(paused.Add(tc.endBridge)))
			mustOK(t, dir.EnableResurrection(true))
			ids := sim.Tick()
			if got := len(ids) > 0; got != tc.wantResurrect {
				t.Fatalf("resurrected = %v (tasks %v); want %v", got, ids, tc.wantResurrect)
			}
			alive := false
			for _, vm := range sim.IaaSVMs() {
				alive = alive || vm.CID == target.VMCID
			}
			if alive == tc.wantResurrect {
				t.Fatalf("old VM alive = %v", alive)
			}
		})
	}
}

// A deploy that changes an instance sends its agent `apply` and `start`
// (the agent then starts every monit job); one that changes nothing, or
// only another instance group, does not. The agent hears the count in its
// heartbeat's answer.
func TestADeployThatChangesAnInstanceAppliesToItsAgent(t *testing.T) {
	sim := newSim(t, directorsim.Options{})
	dir := newDirector(t, sim)
	dep := cfDeployment(t, dir)
	c0 := cell(t, sim, "0")
	router, _ := sim.Instance("cf", "router", "0")
	before := sim.Applies(c0.AgentID)
	mustOK(t, dep.Update([]byte(cfManifest), boshdir.UpdateOpts{}))
	if n := sim.Applies(c0.AgentID); n != before {
		t.Fatalf("an unchanged deploy applied to the cell (%d -> %d)", before, n)
	}
	changed := strings.Replace(cfManifest, "  - name: rep\n    release: diego\n", "  - name: rep\n    release: diego\n    properties: {generation: 2}\n", 1)
	mustOK(t, dep.Update([]byte(changed), boshdir.UpdateOpts{}))
	if n := sim.Applies(c0.AgentID); n != before+1 {
		t.Fatalf("a deploy changing the cells applied %d times; want once", n-before)
	}
	if n := sim.Applies(router.AgentID); n != 1 {
		t.Fatalf("the router's agent got %d applies; want only its first deploy's", n)
	}
	body := rawRequest(t, sim, "POST", "/_sim/heartbeat/"+c0.AgentID, "application/json", "{}", 200)
	mustContain(t, "heartbeat answer", body, `{"applies":`+strconv.Itoa(before+1)+`}`)
}
