package releasetests

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/realpart"
)

// The pre-start creates a real account on this machine, as it does on a
// cell; the test removes it again.
func TestPreStartConvergesTheInvestigatorAccount(t *testing.T) {
	if os.Geteuid() != 0 {
		realpart.Require(t, "pre-start creates accounts", errors.New("needs root"))
	}
	for _, c := range []string{"useradd", "usermod", "gpasswd", "groupadd"} {
		requireCommand(t, c)
	}
	user := fmt.Sprintf("sqinv%d", time.Now().UnixNano()%1_000_000)
	var createdGroups []string
	for _, g := range []string{"bosh_sshers", "bosh_sudoers"} {
		if exec.Command("getent", "group", g).Run() != nil {
			createdGroups = append(createdGroups, g)
		}
	}
	t.Cleanup(func() {
		_ = exec.Command("userdel", "-r", user).Run()
		for _, g := range createdGroups {
			_ = exec.Command("groupdel", g).Run()
		}
	})

	preStart := func(keys []string, sudo bool) string {
		out := mustRender(t, "sequester-agent", map[string]any{
			"sequester_agent": agentTLS(),
			"investigator":    map[string]any{"user": user, "public_keys": keys, "sudo": sudo},
		})
		return run(t, "", nil, "bash", writeTemp(t, out["bin/pre-start"]))
	}
	groups := func() string {
		out, err := exec.Command("id", "-nG", user).Output()
		if err != nil {
			t.Fatalf("id %s: %v", user, err)
		}
		return " " + strings.TrimSpace(string(out)) + " "
	}
	home := "/home/" + user

	keyA, keyB := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA a@jumpbox", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB b@jumpbox"
	out := preStart([]string{keyA, keyB}, true)
	if !strings.Contains(out, "created account "+user) {
		t.Errorf("first run did not say it created the account:\n%s", out)
	}
	if g := groups(); !strings.Contains(g, " bosh_sshers ") || !strings.Contains(g, " bosh_sudoers ") {
		t.Errorf("groups = %q, want bosh_sshers and bosh_sudoers", g)
	}
	keys, err := os.ReadFile(filepath.Join(home, ".ssh", "authorized_keys"))
	if err != nil {
		t.Fatal(err)
	}
	if string(keys) != keyA+"\n"+keyB+"\n" {
		t.Errorf("authorized_keys = %q", keys)
	}
	for path, mode := range map[string]os.FileMode{filepath.Join(home, ".ssh"): 0o700, filepath.Join(home, ".ssh", "authorized_keys"): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s mode = %o, want %o (sshd refuses looser)", path, fi.Mode().Perm(), mode)
		}
	}
	shadow := run(t, "", nil, "getent", "shadow", user)
	if strings.Split(shadow, ":")[1] != "*" {
		t.Errorf("password field = %q, want * (a ! would lock key logins without PAM)", strings.Split(shadow, ":")[1])
	}

	// A re-run with one key and no sudo converges instead of appending.
	out = preStart([]string{keyB}, false)
	if strings.Contains(out, "created account") {
		t.Errorf("second run created the account again:\n%s", out)
	}
	if g := groups(); strings.Contains(g, " bosh_sudoers ") || !strings.Contains(g, " bosh_sshers ") {
		t.Errorf("groups after revoking sudo = %q", g)
	}
	keys, _ = os.ReadFile(filepath.Join(home, ".ssh", "authorized_keys"))
	if string(keys) != keyB+"\n" {
		t.Errorf("authorized_keys after re-run = %q, want only the remaining key", keys)
	}
}
