package sshaccess_test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/sshaccess"
)

const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ1investigatorkey investigator@jumpbox"

type account struct {
	groups   string // group file content
	keys     string // authorized_keys content; "-" means no file
	listen   bool
	sudo     bool
	wantKeys []string
}

func setup(t *testing.T, a account) sshaccess.Checker {
	dir := t.TempDir()
	home := filepath.Join(dir, "home", "investigator")
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "passwd"), "root:x:0:0:root:/root:/bin/bash\ninvestigator:x:1001:1001::"+home+":/bin/bash\n")
	write(filepath.Join(dir, "group"), a.groups)
	if a.keys != "-" {
		write(filepath.Join(home, ".ssh", "authorized_keys"), a.keys)
	}
	c := sshaccess.Checker{User: "investigator", Sudo: a.sudo, PublicKeys: a.wantKeys,
		PasswdFile: filepath.Join(dir, "passwd"), GroupFile: filepath.Join(dir, "group")}
	// A real listener on loopback, found through the real /proc/net.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.Port = l.Addr().(*net.TCPAddr).Port
	if !a.listen {
		l.Close()
	} else {
		t.Cleanup(func() { l.Close() })
	}
	return c
}

const okGroups = "investigator:x:1001:\nbosh_sshers:x:1002:vcap,investigator\nbosh_sudoers:x:1003:investigator\n"

func TestCheck(t *testing.T) {
	cases := []struct {
		name        string
		account     account
		wantReady   bool
		wantProblem string
	}{
		{"member with a key and sshd listening is ready", account{groups: okGroups, keys: key + "\n", listen: true, sudo: true}, true, ""},
		{"options before the key type still count", account{groups: okGroups, keys: `from="10.0.0.0/8" ` + key + "\n", listen: true}, true, ""},
		{"primary group bosh_sshers counts", account{groups: "bosh_sshers:x:1001:\n", keys: key, listen: true}, true, ""},
		{"not in bosh_sshers", account{groups: "bosh_sshers:x:1002:vcap\n", keys: key, listen: true}, false, "not in group bosh_sshers"},
		{"may sudo but not in bosh_sudoers", account{groups: "bosh_sshers:x:1002:investigator\n", keys: key, listen: true, sudo: true}, false, "not in group bosh_sudoers"},
		{"no authorized_keys file", account{groups: okGroups, keys: "-", listen: true}, false, "no keys"},
		{"only comments in authorized_keys", account{groups: okGroups, keys: "# nobody\n\n", listen: true}, false, "no keys"},
		{"configured key missing", account{groups: okGroups, keys: key, listen: true, wantKeys: []string{"ssh-rsa AAAAB3otherkey x"}}, false, "missing from"},
		{"configured key present", account{groups: okGroups, keys: key, listen: true, wantKeys: []string{key}}, true, ""},
		{"sshd not listening", account{groups: okGroups, keys: key, listen: false}, false, "nothing listens"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := setup(t, tc.account).Check()
			if st.Ready != tc.wantReady || !strings.Contains(st.Problem, tc.wantProblem) {
				t.Fatalf("Check = %+v", st)
			}
			if tc.wantReady && (st.Problem != "" || !st.InSSHers || st.Keys < 1 || !st.Listening) {
				t.Fatalf("ready status incomplete: %+v", st)
			}
		})
	}
}

func TestMissingUserIsNotReady(t *testing.T) {
	c := setup(t, account{groups: okGroups, keys: key, listen: true})
	c.User = "nobody-here"
	if st := c.Check(); st.Ready || !strings.Contains(st.Problem, "does not exist") {
		t.Fatalf("Check = %+v", st)
	}
	c.User = ""
	if st := c.Check(); st.Ready || st.Problem == "" {
		t.Fatalf("Check with no user = %+v", st)
	}
}

func TestListeningIsReadFromProcNetIncludingIPv6(t *testing.T) {
	dir := t.TempDir()
	tcp6 := "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
		fmt.Sprintf("   0: 00000000000000000000000000000000:%04X 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0\n", 2222) +
		fmt.Sprintf("   1: 00000000000000000000000000000000:%04X 00000000000000000000000000000000:0000 01 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0\n", 2223)
	if err := os.WriteFile(filepath.Join(dir, "tcp6"), []byte(tcp6), 0o644); err != nil {
		t.Fatal(err)
	}
	c := setup(t, account{groups: okGroups, keys: key})
	c.ProcNetDir = dir
	c.Port = 2222
	if st := c.Check(); !st.Listening || !st.Ready {
		t.Fatalf("listening socket on tcp6 not found: %+v", st)
	}
	c.Port = 2223 // established, not listening
	if st := c.Check(); st.Listening {
		t.Fatalf("an established socket counted as listening: %+v", st)
	}
}
