package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/isolation"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/monit"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/stopper"
	"github.com/cloudfoundry-community/cell-sequestration/internal/config"
)

// preflight checks each cell part the sequence will need, the way it will
// use it, so a broken part refuses the request instead of failing it
// half-way, and the plan shows how each was reached.
func preflight(logger lager.Logger, mc *monit.Client, cfg config.Agent, boshAgent stopper.BoshAgent, backend func(context.Context) (containers.Backend, error)) []Check {
	checks := []Check{
		{Name: "monit", Run: func(ctx context.Context) (string, error) { return monitPart(ctx, logger, mc, cfg) }},
		{Name: "containers", Run: func(ctx context.Context) (string, error) { return containersPart(ctx, cfg, backend) }},
		{Name: "runc root", Advisory: true, Run: func(context.Context) (string, error) { return runcPart(cfg) }},
	}
	if cfg.BoshAgent.Stop {
		checks = append(checks, Check{Name: "BOSH agent supervisor", Run: boshAgent.Describe})
	}
	checks = append(checks, Check{
		Name: "investigator sources (ssh.source_cidrs)",
		Run: func(context.Context) (string, error) {
			if _, err := isolation.New(logger, nil, isolation.Options{AllowCIDRs: cfg.SSH.SourceCIDRs}); err != nil {
				return "", err
			}
			if len(cfg.SSH.SourceCIDRs) == 0 {
				return "no source may reach kept containers once they are isolated", nil
			}
			return "may still reach kept containers: " + strings.Join(cfg.SSH.SourceCIDRs, ", "), nil
		},
	})
	return checks
}

// monitPart: monit answers through the stemcell's firewall and knows the
// services the sequence stops. An unreachable monit is one sentence saying
// whether the firewall, a dead or a stuck monit is to blame, and the fix.
// A monit that is down or stuck (monit in D state is a known failure of a
// sick cell) is a Warning when every job's pid file follows bpm's layout:
// the sequence then stops the jobs without monit, checking each process's
// cgroup against bpm's for the job, and holds them down with bpm's locks.
func monitPart(ctx context.Context, logger lager.Logger, mc *monit.Client, cfg config.Agent) (string, error) {
	deadline := time.Duration(cfg.Monit.TimeoutSeconds) * time.Second
	if deadline <= 0 {
		deadline = stopper.DefaultMonitDeadline
	}
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	jobs := []struct{ svc, pidFile string }{
		{orDefault(cfg.Monit.RouteEmitterService, "route_emitter"), cfg.Monit.RouteEmitterPidFile},
		{orDefault(cfg.Monit.RepService, "rep"), cfg.Monit.RepPidFile},
	}
	r := mc.Probe(ctx)
	kind, explanation := r.Kind, r.Explanation
	services := make([]string, 0, len(jobs))
	if r.OK() {
		for _, job := range jobs {
			_, err := mc.Service(ctx, job.svc)
			if err == nil {
				services = append(services, job.svc)
				continue
			}
			if ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) {
				return "", fmt.Errorf("monit %s at %s answers but: %w", r.Version, r.Address, err)
			}
			// It answered the probe, then stopped answering: as stuck as
			// one that never answers.
			kind = monit.Stuck
			explanation = fmt.Sprintf("monit %s at %s answered, then did not answer within %s (%v): it is stuck, often in D state on a sick disk", r.Version, r.Address, deadline, err)
			break
		}
	}
	if kind != monit.Reachable {
		if kind != monit.Down && kind != monit.Stuck {
			return "", errors.New(explanation)
		}
		var cannot []string
		for _, job := range jobs {
			if _, err := stopper.ParseBPMPidFile(job.pidFile); err != nil {
				cannot = append(cannot, fmt.Sprintf("%s cannot be stopped without monit: %v", job.svc, err))
			}
		}
		if len(cannot) > 0 {
			return "", fmt.Errorf("%s; %s", explanation, strings.Join(cannot, "; "))
		}
		logger.Info("monit-not-answering-will-stop-without-it", lager.Data{"kind": kind, "address": r.Address})
		return "", Warning{Text: explanation + "; the route emitter and the rep will be stopped without monit, by their bpm pid files checked against bpm's cgroups, and held down with bpm's locks"}
	}
	return fmt.Sprintf("monit %s answers at %s (through the stemcell's monit firewall) and watches %s", r.Version, r.Address, strings.Join(services, " and ")), nil
}

// containersPart: the backend the sequence will list, isolate and prune
// through.
func containersPart(ctx context.Context, cfg config.Agent, backend func(context.Context) (containers.Backend, error)) (string, error) {
	b, err := backend(ctx)
	if err != nil {
		return "", err
	}
	if b.Name() == containers.BackendGarden {
		return "garden answers on " + cfg.Garden.Socket, nil
	}
	return fmt.Sprintf("garden does not answer on %q: runc under %s lists and prunes the containers instead, which leaves networking, images and garden's records behind", cfg.Garden.Socket, cfg.Runc.Root), nil
}

// runcPart: the runc root and binary, the fallback for a wedged garden and
// the way kept containers are frozen. Advisory: garden does the rest.
func runcPart(cfg config.Agent) (string, error) {
	if cfg.Runc.Root == "" {
		return "", errors.New("runc.root is not set: no fallback when garden hangs, and kept containers cannot be frozen")
	}
	entries, err := os.ReadDir(cfg.Runc.Root)
	if err != nil {
		return "", fmt.Errorf("runc root %s cannot be read (%v): check runc.root (containerd mode /run/containerd/runc/garden, plain runc mode /run/runc)", cfg.Runc.Root, err)
	}
	bin := orDefault(cfg.Runc.Binary, "runc")
	if _, err := exec.LookPath(bin); err != nil {
		return "", fmt.Errorf("runc binary %s not found: check runc.binary", bin)
	}
	return fmt.Sprintf("runc root %s holds %d container state(s); runc is %s", cfg.Runc.Root, len(entries), bin), nil
}
