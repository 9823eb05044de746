package stopper

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// Describe says, changing nothing, how the BOSH agent is supervised on this
// machine and whether stopping it would take monit down with it; an error
// means the stop would fail or do harm.
//
// Jammy runs the agent and monit as two runit services
// (bosh-linux-stemcell-builder: stemcell_builder/stages/bosh_go_agent/assets/runit/{agent,monit}/run):
// `sv down agent` leaves monit alone. Noble runs them as the systemd units
// bosh-agent.service and monit.service, neither of which names the other
// (no Requires, BindsTo or PartOf; bosh-linux-stemcell-builder:
// stages/bosh_go_agent/assets/bosh-agent.service,
// stages/bosh_monit/assets/monit.service), so stopping the agent leaves
// monit running. This checks the units actually installed, not that
// assumption.
func (b BoshAgent) Describe(ctx context.Context) (string, error) {
	sup, err := b.Detect()
	if err != nil {
		return "", err
	}
	if sup == SupervisorRunit {
		if b.RunitService == "" {
			return "", fmt.Errorf("runit service directory of the BOSH agent is not configured")
		}
		out, err := exec.CommandContext(ctx, b.sv(), "status", b.RunitService).CombinedOutput()
		status := strings.TrimSpace(string(out))
		if err != nil {
			return "", fmt.Errorf("runit: sv status %s: %v: %s", b.RunitService, err, status)
		}
		return fmt.Sprintf("runit supervises the BOSH agent (%s); monit is a runit service of its own and keeps running", status), nil
	}
	unit, monitUnit := b.unit(), b.monitUnit()
	state, _ := b.systemctl(ctx, "is-active", unit)
	if state == "" {
		return "", fmt.Errorf("systemd: systemctl is-active %s answered nothing", unit)
	}
	if err := b.checkMonitIndependent(ctx); err != nil {
		return "", err
	}
	return fmt.Sprintf("systemd runs the BOSH agent as %s (%s); %s does not depend on it and keeps running", unit, state, monitUnit), nil
}

// checkMonitIndependent refuses when stopping the agent's unit would stop
// monit's: monit requiring, bound to or part of it, or the agent's unit
// propagating its stop to monit's.
func (b BoshAgent) checkMonitIndependent(ctx context.Context) error {
	unit, monitUnit := b.unit(), b.monitUnit()
	names := map[string]bool{unit: true, strings.TrimSuffix(unit, ".service"): true}
	// The agent's unit may be known by its aliases too (agent.service).
	if aliases, err := b.systemctl(ctx, "show", "-p", "Names", "--value", unit); err == nil {
		for _, n := range strings.Fields(aliases) {
			names[n] = true
		}
	}
	deps, err := b.systemctl(ctx, "show", "-p", "Requires,Requisite,BindsTo,PartOf", monitUnit)
	if err != nil {
		return fmt.Errorf("systemd: read the dependencies of %s: %v: %s", monitUnit, err, deps)
	}
	prop, err := b.systemctl(ctx, "show", "-p", "PropagatesStopTo,ConsistsOf", unit)
	if err != nil {
		return fmt.Errorf("systemd: read what %s propagates to: %v: %s", unit, err, prop)
	}
	for _, line := range strings.Split(deps, "\n") {
		key, value, _ := strings.Cut(line, "=")
		for _, n := range strings.Fields(value) {
			if names[n] {
				return fmt.Errorf("stopping %s would stop %s too (%s has %s=%s): monit must keep running for the sequestered cell's jobs to stay as they are; stop the BOSH agent by hand another way or set bosh_agent.stop false", unit, monitUnit, monitUnit, key, n)
			}
		}
	}
	for _, line := range strings.Split(prop, "\n") {
		key, value, _ := strings.Cut(line, "=")
		for _, n := range strings.Fields(value) {
			if n == monitUnit {
				return fmt.Errorf("stopping %s would stop %s too (%s has %s=%s): monit must keep running for the sequestered cell's jobs to stay as they are; stop the BOSH agent by hand another way or set bosh_agent.stop false", unit, monitUnit, unit, key, n)
			}
		}
	}
	return nil
}

func (b BoshAgent) systemctl(ctx context.Context, args ...string) (string, error) {
	bin := b.Systemctl
	if bin == "" {
		bin = "systemctl"
	}
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func (b BoshAgent) sv() string {
	if b.SvBinary == "" {
		return "sv"
	}
	return b.SvBinary
}

func (b BoshAgent) unit() string {
	u := b.SystemdUnit
	if u == "" {
		u = "bosh-agent"
	}
	if !strings.Contains(u, ".") {
		u += ".service"
	}
	return u
}

func (b BoshAgent) monitUnit() string {
	if b.MonitUnit == "" {
		return "monit.service"
	}
	return b.MonitUnit
}
