package agent

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/monit"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/stopper"
	"github.com/cloudfoundry-community/cell-sequestration/internal/config"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/standins"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/monitd"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/runitd"
)

func TestFromConfigRefusesTheRepAsTheRouteEmitter(t *testing.T) {
	for _, m := range []config.Monit{
		{RouteEmitterService: "rep", RepService: "rep"},
		{RouteEmitterService: "rep"},
		{RouteEmitterService: "route_emitter", RepService: "route_emitter"},
	} {
		_, err := FromConfig(lager.NewLogger("test"), config.Agent{CellID: "cell-1", StateDir: t.TempDir(), Monit: m})
		if err == nil || !strings.Contains(err.Error(), "deletes every container") {
			t.Fatalf("FromConfig with monit %+v = %v; want a refusal", m, err)
		}
	}
}

func TestPreflightNamesWhatTheSequenceWouldTripOver(t *testing.T) {
	monitd.ForEachVersion(t, preflightNamesWhatTheSequenceWouldTripOver)
}

func preflightNamesWhatTheSequenceWouldTripOver(t *testing.T, v monitd.Version) {
	dir := t.TempDir()
	pid := filepath.Join(dir, "re.pid")
	d := monitd.StartVersion(t, v, monitd.Service{
		Name: "route_emitter", PidFile: pid,
		Start: monitd.Background(standins.Command("route-emitter"), pid, filepath.Join(dir, "re.log")),
		Stop:  monitd.KillTERM(pid),
	})
	logger := lager.NewLogger("test")
	newMonit := func(address string) *monit.Client {
		mc, err := monit.NewClient(logger, address, d.CredentialsFile)
		if err != nil {
			t.Fatal(err)
		}
		return mc
	}
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	runcRoot := filepath.Join(dir, "runc-root")
	if err := os.Mkdir(runcRoot, 0o700); err != nil {
		t.Fatal(err)
	}
	good := config.Agent{
		Monit:     config.Monit{RouteEmitterService: "route_emitter", RepService: "route_emitter"},
		Runc:      config.Runc{Binary: "sh", Root: runcRoot},
		BoshAgent: config.BoshAgent{Stop: true, Supervisor: "runit"},
		SSH:       config.SSH{SourceCIDRs: []string{"10.0.0.0/8"}},
	}
	runit := runitd.Start(t, "agent", "exec sleep 600")
	cases := []struct {
		name     string
		edit     func(*config.Agent)
		monit    string
		agent    stopper.BoshAgent
		want     string
		warnings string
	}{
		{"everything in place", func(*config.Agent) {}, d.Address, stopper.BoshAgent{Supervisor: "runit", RunitService: runit.ServiceDir}, "", ""},
		{"monit not running", func(*config.Agent) {}, closedAddr, stopper.BoshAgent{Supervisor: "runit", RunitService: runit.ServiceDir}, "monit: nothing listens on monit's address", ""},
		{"an investigator source that lets everyone in", func(c *config.Agent) { c.SSH.SourceCIDRs = []string{"0.0.0.0/0"} }, d.Address, stopper.BoshAgent{Supervisor: "runit", RunitService: runit.ServiceDir}, "investigator sources", ""},
		{"a rep service monit does not know", func(c *config.Agent) { c.Monit.RepService = "rep" }, d.Address, stopper.BoshAgent{Supervisor: "runit", RunitService: runit.ServiceDir}, "monit: monit " + d.Version + " at " + d.Address + " answers but: monit has no such service: \"rep\"", ""},
		{"a BOSH agent supervised by neither runit nor systemd", func(*config.Agent) {}, d.Address, stopper.BoshAgent{Supervisor: "auto", RunitService: filepath.Join(dir, "none"), SystemdRunDir: filepath.Join(dir, "none")}, "BOSH agent supervisor", ""},
		{"no BOSH agent check when it is left running", func(c *config.Agent) { c.BoshAgent.Stop = false }, d.Address, stopper.BoshAgent{Supervisor: "auto", SystemdRunDir: filepath.Join(dir, "none")}, "", ""},
		{"a missing runc root only warns", func(c *config.Agent) { c.Runc.Root = filepath.Join(dir, "none") }, d.Address, stopper.BoshAgent{Supervisor: "runit", RunitService: runit.ServiceDir}, "", "runc root"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.edit(&cfg)
			_, backend, err := backendSelector(logger, cfg)
			if err != nil {
				t.Fatal(err)
			}
			a := &Agent{d: Deps{Preflight: preflight(logger, newMonit(tc.monit), cfg, tc.agent, backend)}}
			parts, warnings, err := a.checkParts(context.Background())
			got := ""
			if err != nil {
				got = err.Error()
			}
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Fatalf("refusal = %q, want %q\nparts: %+v", got, tc.want, parts)
			}
			if w := strings.Join(warnings, "; "); (tc.warnings == "") != (w == "") || !strings.Contains(w, tc.warnings) {
				t.Fatalf("warnings = %q, want %q", w, tc.warnings)
			}
			if len(parts) != len(a.d.Preflight) {
				t.Fatalf("%d parts for %d checks: every part is reported, ready or not", len(parts), len(a.d.Preflight))
			}
			if tc.want == "" && !strings.Contains(parts[0].Detail, "monit "+d.Version+" answers at "+d.Address) {
				t.Fatalf("monit part = %+v", parts[0])
			}
		})
	}
}
