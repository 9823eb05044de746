package stopper

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"code.cloudfoundry.org/lager/v3"
)

// Supervisors of the BOSH agent.
const (
	SupervisorAuto    = "auto"
	SupervisorRunit   = "runit"
	SupervisorSystemd = "systemd"
)

// BoshAgent stops the BOSH agent so that it stays down, also across a
// reboot: Jammy stemcells run it under runit (/etc/sv/agent), Noble under
// systemd (bosh-agent.service). Monit is a separate service and keeps
// running.
type BoshAgent struct {
	// Supervisor is auto, runit or systemd.
	Supervisor   string
	RunitService string
	SvBinary     string
	SystemdUnit  string
	// MonitUnit is monit's systemd unit on Noble (default monit.service);
	// it must keep running when the agent's unit stops.
	MonitUnit string
	// Systemctl is the systemctl binary (default "systemctl").
	Systemctl string
	// SystemdRunDir tells auto detection systemd is PID 1 (default
	// /run/systemd/system).
	SystemdRunDir string
	Logger        lager.Logger
	// Timeout bounds the wait for the agent to be down (default 60 s).
	Timeout time.Duration
}

// Detect resolves "auto" to the supervisor this machine uses.
func (b BoshAgent) Detect() (string, error) {
	switch b.Supervisor {
	case SupervisorRunit, SupervisorSystemd:
		return b.Supervisor, nil
	case "", SupervisorAuto:
	default:
		return "", fmt.Errorf("unknown bosh agent supervisor %q", b.Supervisor)
	}
	if b.RunitService != "" {
		if _, err := os.Stat(filepath.Join(b.RunitService, "run")); err == nil {
			return SupervisorRunit, nil
		}
	}
	runDir := b.SystemdRunDir
	if runDir == "" {
		runDir = "/run/systemd/system"
	}
	if _, err := os.Stat(runDir); err == nil {
		return SupervisorSystemd, nil
	}
	return "", errors.New("cannot tell how the BOSH agent is supervised: no runit service and no systemd")
}

func (b BoshAgent) Stop(ctx context.Context) (string, error) {
	sup, err := b.Detect()
	if err != nil {
		return "", err
	}
	logger := b.Logger.Session("stop-bosh-agent", lager.Data{"supervisor": sup})
	logger.Info("starting")
	defer logger.Info("finished")
	var detail string
	if sup == SupervisorRunit {
		detail, err = b.stopRunit(ctx, logger)
	} else {
		detail, err = b.stopSystemd(ctx, logger)
	}
	if err != nil {
		logger.Error("failed", err)
	}
	return detail, err
}

func (b BoshAgent) stopRunit(ctx context.Context, logger lager.Logger) (string, error) {
	if b.RunitService == "" {
		return "", errors.New("runit service directory of the BOSH agent is not configured")
	}
	sv := b.sv()
	// The down file first: should anything restart runsv (or the VM
	// reboot) between here and `sv down`, the agent still stays down.
	down := filepath.Join(b.RunitService, "down")
	if err := os.WriteFile(down, nil, 0o644); err != nil {
		return "", fmt.Errorf("write %s: %w", down, err)
	}
	status := func() string {
		out, _ := exec.CommandContext(ctx, sv, "status", b.RunitService).CombinedOutput()
		return strings.TrimSpace(string(out))
	}
	if strings.HasPrefix(status(), "down:") {
		return fmt.Sprintf("already down (%s); down file present", status()), nil
	}
	if out, err := exec.CommandContext(ctx, sv, "down", b.RunitService).CombinedOutput(); err != nil {
		return "", fmt.Errorf("sv down %s: %w: %s", b.RunitService, err, bytes.TrimSpace(out))
	}
	var last string
	ok := waitUntil(ctx, orDefault(b.Timeout, 60*time.Second), 100*time.Millisecond, func() bool {
		last = status()
		logger.Debug("polled-sv-status", lager.Data{"status": last})
		return strings.HasPrefix(last, "down:")
	})
	if !ok {
		return "", fmt.Errorf("BOSH agent not down after sv down: %s", last)
	}
	return fmt.Sprintf("sv down %s (%s); down file keeps it down across reboots", b.RunitService, last), nil
}

func (b BoshAgent) stopSystemd(ctx context.Context, logger lager.Logger) (string, error) {
	unit := b.unit()
	run := func(args ...string) (string, error) { return b.systemctl(ctx, args...) }
	if err := b.checkMonitIndependent(ctx); err != nil {
		return "", err
	}
	// Disable first, for the same reason as runit's down file.
	if out, err := run("disable", unit); err != nil {
		return "", fmt.Errorf("systemctl disable %s: %w: %s", unit, err, out)
	}
	if out, err := run("stop", unit); err != nil {
		return "", fmt.Errorf("systemctl stop %s: %w: %s", unit, err, out)
	}
	var last string
	ok := waitUntil(ctx, orDefault(b.Timeout, 60*time.Second), 200*time.Millisecond, func() bool {
		// is-active exits non-zero when the unit is not active; read its word.
		last, _ = run("is-active", unit)
		logger.Debug("polled-systemd-unit", lager.Data{"unit": unit, "state": last})
		return last == "inactive" || last == "failed"
	})
	if !ok {
		return "", fmt.Errorf("%s still %q after systemctl stop", unit, last)
	}
	detail := fmt.Sprintf("systemctl disable and stop %s (%s)", unit, last)
	// Checked, not assumed: the units say monit is independent, and its
	// state after the stop shows it.
	if monitState, _ := run("is-active", b.monitUnit()); monitState != "active" {
		logger.Error("monit-not-active-after-agent-stop", fmt.Errorf("%s is %q", b.monitUnit(), monitState))
		return detail + fmt.Sprintf("; WARNING %s is %q afterwards: the cell's jobs are no longer supervised", b.monitUnit(), monitState), nil
	}
	return detail + fmt.Sprintf("; %s still active", b.monitUnit()), nil
}
