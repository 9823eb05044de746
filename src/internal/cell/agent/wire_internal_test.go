package agent

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/monit"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/stopper"
	"github.com/cloudfoundry-community/cell-sequestration/internal/config"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/standins"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/monitd"
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
	dir := t.TempDir()
	pid := filepath.Join(dir, "re.pid")
	d := monitd.Start(t, monitd.Service{
		Name: "route_emitter", PidFile: pid,
		Start: monitd.Background(standins.Command("route-emitter"), pid, filepath.Join(dir, "re.log")),
		Stop:  monitd.KillTERM(pid),
	})
	logger := lager.NewLogger("test")
	mc, err := monit.NewClient(logger, d.Address, d.CredentialsFile)
	if err != nil {
		t.Fatal(err)
	}
	good := config.Agent{
		Monit:     config.Monit{RouteEmitterService: "route_emitter", RepService: "route_emitter"},
		BoshAgent: config.BoshAgent{Stop: true, Supervisor: "systemd"},
		SSH:       config.SSH{SourceCIDRs: []string{"10.0.0.0/8"}},
	}
	cases := []struct {
		name  string
		edit  func(*config.Agent)
		agent stopper.BoshAgent
		want  string
	}{
		{"everything in place", func(*config.Agent) {}, stopper.BoshAgent{Supervisor: "systemd"}, ""},
		{"an investigator source that lets everyone in", func(c *config.Agent) { c.SSH.SourceCIDRs = []string{"0.0.0.0/0"} }, stopper.BoshAgent{Supervisor: "systemd"}, "investigator sources"},
		{"a rep service monit does not know", func(c *config.Agent) { c.Monit.RepService = "rep" }, stopper.BoshAgent{Supervisor: "systemd"}, "monit service rep"},
		{"a BOSH agent supervised by neither runit nor systemd", func(*config.Agent) {}, stopper.BoshAgent{Supervisor: "auto", RunitService: filepath.Join(dir, "none"), SystemdRunDir: filepath.Join(dir, "none")}, "BOSH agent supervisor"},
		{"no BOSH agent check when it is left running", func(c *config.Agent) { c.BoshAgent.Stop = false }, stopper.BoshAgent{Supervisor: "auto", SystemdRunDir: filepath.Join(dir, "none")}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.edit(&cfg)
			var problems []string
			for _, c := range preflight(logger, mc, cfg, tc.agent) {
				if err := c.Run(context.Background()); err != nil {
					problems = append(problems, c.Name+": "+err.Error())
				}
			}
			got := strings.Join(problems, "; ")
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Fatalf("problems = %q, want %q", got, tc.want)
			}
		})
	}
}
