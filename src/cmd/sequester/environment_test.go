package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi/agentapitest"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/boshcli"
)

// An operator aliases the director and logs in once with the real bosh
// CLI; sequester then finds the director, its CA and the credentials by the
// alias alone, as `bosh -e ALIAS` does, and flags still win.
func TestListReachesTheDirectorByTheAliasBoshLogInStored(t *testing.T) {
	l := newCLILab(t)
	bosh := boshcli.Binary(t)
	home := t.TempDir()
	client, secret := l.sim.ClientCredentials()
	boshRun := func(env []string, args ...string) {
		t.Helper()
		cmd := exec.Command(bosh, args...)
		cmd.Env = append([]string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "BOSH_NON_INTERACTIVE=true"}, env...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("bosh %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
	}
	boshRun(nil, "alias-env", "sim", "-e", l.sim.URL(), "--ca-cert", os.Getenv("BOSH_CA_CERT"))
	boshRun([]string{"BOSH_CLIENT=" + client, "BOSH_CLIENT_SECRET=" + secret}, "-e", "sim", "log-in")

	// Only the alias and the config reach sequester.
	for _, k := range []string{"BOSH_ENVIRONMENT", "BOSH_CLIENT", "BOSH_CLIENT_SECRET", "BOSH_CA_CERT"} {
		t.Setenv(k, "")
	}
	t.Setenv("BOSH_CONFIG", filepath.Join(home, ".bosh", "config"))

	otherCA, _ := agentapitest.NewCA(t, "not-the-director")
	cases := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"the alias gives the URL, the CA and the logged-in credentials", []string{"list", "-e", "sim"}, exitOK, "No sequestrations."},
		{"the URL finds the same entry", []string{"list", "-e", l.sim.URL()}, exitOK, "No sequestrations."},
		{"a client flag wins over the stored one", []string{"list", "-e", "sim", "--client", client, "--client-secret", "wrong"}, exitRefused, "not authenticated"},
		{"a CA flag wins over the alias's", []string{"list", "-e", "sim", "--ca-cert", string(otherCA.CertPEM)}, exitRefused, "unreachable"},
		{"an unknown alias is a host name, as for the bosh CLI", []string{"list", "-e", "nosuchalias"}, exitRefused, "nosuchalias"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, "", tc.args...)
			if code != tc.wantCode || !strings.Contains(out+errOut, tc.want) {
				t.Fatalf("exit %d (want %d), output lacks %q:\n%s%s", code, tc.wantCode, tc.want, out, errOut)
			}
		})
	}
}
