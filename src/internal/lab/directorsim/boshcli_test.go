package directorsim_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/directorsim"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/boshcli"
)

type boshCLI struct {
	t   *testing.T
	bin string
	env []string
	dir string
}

func newBoshCLI(t *testing.T, sim *directorsim.Simulator) *boshCLI {
	bin := boshcli.Binary(t)
	home := t.TempDir()
	env := append([]string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "BOSH_NON_INTERACTIVE=true"}, sim.BoshEnv()...)
	return &boshCLI{t: t, bin: bin, env: env, dir: home}
}

// run runs the CLI and returns its combined output and exit code.
func (b *boshCLI) run(args ...string) (string, int) {
	b.t.Helper()
	cmd := exec.Command(b.bin, append([]string{"--tty"}, args...)...)
	cmd.Env = b.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		b.t.Fatalf("running bosh: %v", err)
	}
	return out.String(), code
}

func (b *boshCLI) file(name, content string) string {
	p := filepath.Join(b.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		b.t.Fatal(err)
	}
	return p
}

func TestRealBoshCLIAgainstTheSimulator(t *testing.T) {
	sim := newSim(t, directorsim.Options{})
	cli := newBoshCLI(t, sim)
	target := cell(t, sim, "0")
	router, _ := sim.Instance("cf", "router", "0")
	resurrectionFile := cli.file("resurrection.yml", "rules:\n- enabled: false\n  include:\n    deployments: [cf]\n    instance_groups: [diego-cell]\n")
	manifestFile := cli.file("cf.yml", cfManifest)

	steps := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
		check    func(t *testing.T)
	}{
		{name: "env shows the director and the authenticated client", args: []string{"env"},
			want: []string{"directorsim", "282.0.0", "admin"}},
		{name: "deployments lists cf with its releases", args: []string{"deployments"},
			want: []string{"cf", "diego/1.0.0", "bosh-simulated-ubuntu-jammy-go_agent/1.0.0"}},
		{name: "instances lists every instance with its IP", args: []string{"-d", "cf", "instances"},
			want: []string{"diego-cell/" + target.ID, "running", target.IPs["cells"], "router/" + router.ID, "127.0.24.200", "4 instances"}},
		{name: "vms lists VM cids", args: []string{"-d", "cf", "vms"},
			want: []string{target.VMCID, "running", "default", "4 vms"}},
		{name: "vms --vitals shows vitals", args: []string{"-d", "cf", "vms", "--vitals"},
			want: []string{target.VMCID, "0.05, 0.10, 0.08"}},
		{name: "configs lists the cloud configs", args: []string{"configs"},
			want: []string{"cloud", "cells", "default", "2 configs"}},
		{name: "cloud-config prints the default cloud config", args: []string{"cloud-config"},
			want: []string{"compilation:", "127.0.25.0/24"}},
		{name: "cloud-config --name prints a named one", args: []string{"cloud-config", "--name", "cells"},
			want: []string{"127.0.24.1 - 127.0.24.9"}},
		{name: "update-config stores a resurrection config", args: []string{"update-config", "--type", "resurrection", "--name", "sequester", resurrectionFile},
			want: []string{"resurrection", "sequester", "Succeeded"},
			check: func(t *testing.T) {
				sim.ReloadResurrectionRules()
				if sim.ResurrectionEnabled("cf", "diego-cell") {
					t.Fatal("the rule should disable diego-cell")
				}
			}},
		{name: "update-cloud-config stores a named cloud config through the legacy endpoint",
			args: []string{"update-cloud-config", "--name", "extra", cli.file("extra.yml", "vm_extensions:\n- name: lb\n")},
			want: []string{"+ vm_extensions:", "Succeeded"},
			check: func(t *testing.T) {
				out, _ := cli.run("cloud-config", "--name", "extra")
				mustContain(t, "cloud-config --name extra", out, "- name: lb")
			}},
		{name: "cck --report finds nothing on a healthy deployment", args: []string{"-d", "cf", "cck", "--report"},
			want: []string{"0 problems", "Succeeded"}},
		{name: "update-resurrection off pauses resurrection", args: []string{"update-resurrection", "off"},
			want: []string{"Succeeded"},
			check: func(t *testing.T) {
				if !sim.ResurrectionPaused() {
					t.Fatal("want paused")
				}
			}},
		{name: "update-resurrection on resumes it", args: []string{"update-resurrection", "on"},
			want: []string{"Succeeded"},
			check: func(t *testing.T) {
				if sim.ResurrectionPaused() {
					t.Fatal("want resumed")
				}
			}},
		{name: "deploy with the unchanged manifest succeeds", args: []string{"-d", "cf", "deploy", manifestFile},
			want: []string{"Task", "done", "Succeeded"}},
		{name: "tasks --recent lists the deploy", args: []string{"tasks", "--recent"},
			want: []string{"create deployment", "done", "/deployments/cf"}},
		{name: "tasks shows no running task", args: []string{"tasks"},
			want: []string{"0 tasks"}},
		{name: "locks shows none", args: []string{"locks"},
			want: []string{"0 locks"}},
		{name: "events lists the VM creations", args: []string{"events", "-d", "cf"},
			want: []string{"create", "vm", target.VMCID}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			out, code := cli.run(st.args...)
			t.Log(out)
			if code != st.wantCode {
				t.Fatalf("bosh %s: exit %d, want %d:\n%s", strings.Join(st.args, " "), code, st.wantCode, out)
			}
			for _, w := range st.want {
				mustContain(t, "bosh "+strings.Join(st.args, " "), out, w)
			}
			if st.check != nil {
				st.check(t)
			}
		})
	}

	t.Run("flags work as well as the environment", func(t *testing.T) {
		caFile := cli.file("ca.pem", string(sim.CACertPEM()))
		client, secret := sim.ClientCredentials()
		flags := &boshCLI{t: t, bin: cli.bin, dir: cli.dir, env: []string{"HOME=" + cli.dir, "PATH=" + os.Getenv("PATH")}}
		out, code := flags.run("-e", sim.URL(), "--ca-cert", caFile, "--client", client, "--client-secret", secret, "-d", "cf", "instances")
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		mustContain(t, "instances", out, "4 instances")
		out, code = flags.run("-e", sim.URL(), "--ca-cert", caFile, "--client", client, "--client-secret", "wrong", "deployments")
		if code == 0 {
			t.Fatalf("a wrong secret must fail:\n%s", out)
		}
	})

	t.Run("task N replays a task's event log", func(t *testing.T) {
		id := lastTaskOfKind(sim, directorsim.KindUpdateDeployment)
		out, code := cli.run("task", strconv.Itoa(id))
		t.Log(out)
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		mustContain(t, "bosh task", out, "Task "+strconv.Itoa(id)+" done")
		mustContain(t, "bosh task", out, "Preparing deployment")
	})

	t.Run("cck --report names an unresponsive agent and exits 1", func(t *testing.T) {
		mustOK(t, sim.SetInstanceAgentResponsive("cf", "diego-cell", target.ID, false))
		defer func() { mustOK(t, sim.SetInstanceAgentResponsive("cf", "diego-cell", target.ID, true)) }()
		out, code := cli.run("-d", "cf", "cck", "--report")
		t.Log(out)
		if code != 1 {
			t.Fatalf("exit %d, want 1:\n%s", code, out)
		}
		mustContain(t, "cck", out, "unresponsive_agent")
		mustContain(t, "cck", out, "VM for 'diego-cell/"+target.ID+" (0)' with cloud ID '"+target.VMCID+"' is not responding.")
		mustContain(t, "cck", out, "1 problem(s) found")
		vms, _ := cli.run("-d", "cf", "vms")
		mustContain(t, "vms", vms, "unresponsive agent")
	})
}

func lastTaskOfKind(sim *directorsim.Simulator, kind string) int {
	id := 0
	for _, t := range sim.Tasks() {
		if t.Kind == kind {
			id = t.ID
		}
	}
	return id
}

func TestRealBoshCLIReproducesTheOldIPHazards(t *testing.T) {
	cases := []struct {
		name      string
		args      func(manifest, id string) []string
		wantOldIP bool
	}{
		{"recreate brings the VM back on the old IP", func(_, id string) []string { return []string{"-d", "cf", "recreate", "diego-cell/" + id} }, true},
		{"recreate --no-converge brings it back on the old IP", func(_, id string) []string {
			return []string{"-d", "cf", "recreate", "diego-cell/" + id, "--no-converge"}
		}, true},
		{"start brings it back on the old IP", func(_, id string) []string { return []string{"-d", "cf", "start", "diego-cell/" + id} }, true},
		{"deploy gives it a new IP", func(manifest, _ string) []string { return []string{"-d", "cf", "deploy", manifest} }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim := newSim(t, directorsim.Options{})
			cli := newBoshCLI(t, sim)
			target := cell(t, sim, "1")
			oldIP := target.IPs["cells"]
			mustOK(t, sim.SetInstanceAgentResponsive("cf", "diego-cell", target.ID, false))

			out, code := cli.run("-d", "cf", "cck", "--resolution", "delete_vm_reference")
			if code != 0 {
				t.Fatalf("cck --resolution delete_vm_reference: exit %d\n%s", code, out)
			}
			if cell(t, sim, "1").VMCID != "" {
				t.Fatal("the VM reference should be gone")
			}
			out, code = cli.run("update-config", "--type", "cloud", "--name", "cells", cli.file("cells.yml", withReserved(oldIP)))
			if code != 0 {
				t.Fatalf("update-config: exit %d\n%s", code, out)
			}
			mustContain(t, "update-config diff", out, "+     - "+oldIP)

			out, code = cli.run(tc.args(cli.file("cf.yml", cfManifest), target.ID)...)
			t.Log(out)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, out)
			}
			now := cell(t, sim, "1")
			if now.VMCID == "" || (now.IPs["cells"] == oldIP) != tc.wantOldIP {
				t.Fatalf("old IP %s, want it reused %v; instance now %+v", oldIP, tc.wantOldIP, now)
			}

			// releasing: the forgotten VM is deleted by cid
			out, code = cli.run("-d", "cf", "delete-vm", target.VMCID)
			if code != 0 {
				t.Fatalf("delete-vm: exit %d\n%s", code, out)
			}
			for _, vm := range sim.IaaSVMs() {
				if vm.CID == target.VMCID {
					t.Fatal("delete-vm leaves the forgotten VM running")
				}
			}
		})
	}
}

func TestRealBoshCLIScanFailsWhileAnErrandHoldsTheLock(t *testing.T) {
	sim := newSim(t, directorsim.Options{ErrandDuration: time.Minute})
	cli := newBoshCLI(t, sim)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if out, code := cli.run("-d", "cf", "run-errand", "smoke-tests"); code != 0 {
			t.Errorf("run-errand: exit %d\n%s", code, out)
		}
	}()
	waitFor(t, "the errand to take the lock", func() bool { _, ok := sim.LockHolder("cf"); return ok })
	out, code := cli.run("-d", "cf", "cck", "--report")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	mustContain(t, "cck", out, "Unable to get deployment lock, maybe a deployment is in progress. Try again later.")
	locks, _ := cli.run("locks")
	mustContain(t, "locks", locks, "deployment")
	sim.ReleaseErrands()
	<-done
}
