package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
	"github.com/cloudfoundry-community/cell-sequestration/internal/suspects"
)

func init() { register(newSuspectsCommand) }

// suspectsDialer reaches each cell's agent; tests swap it for agents on
// loopback ports.
var suspectsDialer = func(port int, cfg *tls.Config) suspects.Dialer {
	return func(ip string) suspects.HealthAgent {
		return agentapi.NewClient("https://"+net.JoinHostPort(ip, strconv.Itoa(port)), cfg)
	}
}

func newSuspectsCommand() *cobra.Command {
	var (
		dirFlags    directorFlags
		agent       agentFlags
		deployment  string
		groups      []string
		asJSON      bool
		concurrency int
		cellTimeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "suspects -d DEPLOYMENT",
		Short: "Ask every cell of a deployment for processes stuck in D state; worst cell first, with the plan command to take it out",
		Long: `suspects asks the sequester-agent on every cell of the deployment (instance IPs
from the director, the agents over mTLS) for its D-state figures: threads in D
now, the oldest, suspect containers and their apps, the kernel's hung-task
reports and first-responder bundles. It prints one table, worst cell first,
with the exact 'sequester plan' command to take each sick cell out. A cell
whose agent does not answer within --cell-timeout is listed as unreachable.
Cells are the instance groups running Diego's rep, unless --instance-group
names them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if deployment == "" {
				return refusal.New(errors.New("no deployment given: -d DEPLOYMENT"))
			}
			if concurrency < 1 || cellTimeout <= 0 {
				return refusal.New(errors.New("--concurrency must be at least 1 and --cell-timeout positive"))
			}
			tlsCfg, err := agent.tlsConfig()
			if err != nil {
				return err
			}
			logger, err := operatorLogger(dirFlags.logLevel)
			if err != nil {
				return err
			}
			conn, err := dirFlags.connect(logger)
			if err != nil {
				return err
			}
			deps, err := conn.Director.ListDeployments()
			if err != nil {
				return fmt.Errorf("list deployments: %w", err)
			}
			found := false
			for _, d := range deps {
				found = found || d.Name == deployment
			}
			if !found {
				return refusal.New(fmt.Errorf("deployment %q not found on the director", deployment))
			}
			dep, err := conn.Director.FindDeployment(deployment)
			if err != nil {
				return fmt.Errorf("deployment %q: %w", deployment, err)
			}
			if len(groups) == 0 {
				manifest, err := dep.Manifest()
				if err != nil {
					return fmt.Errorf("deployment %q manifest: %w", deployment, err)
				}
				if groups, err = suspects.CellGroups(manifest); err != nil {
					return err
				}
				if len(groups) == 0 {
					return refusal.New(fmt.Errorf("deployment %q has no instance group running rep: name the cells with --instance-group", deployment))
				}
			}
			insts, err := dep.Instances()
			if err != nil {
				return fmt.Errorf("list instances of %q: %w", deployment, err)
			}
			want := map[string]bool{}
			for _, g := range groups {
				want[g] = true
			}
			var cells []suspects.Instance
			for _, in := range insts {
				if want[in.Group] {
					cells = append(cells, suspects.Instance{Group: in.Group, ID: in.ID, AZ: in.AZ, IPs: in.IPs, HasVM: in.VMID != ""})
				}
			}
			ctx, cancel := signalContext()
			defer cancel()
			rep := suspects.Collect(ctx, deployment, cells, suspectsDialer(agent.port, tlsCfg), suspects.Options{
				Concurrency: concurrency, CellTimeout: cellTimeout, PlanArgs: agent.planArgs(),
			})
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), rep)
			}
			rep.WriteText(cmd.OutOrStdout())
			return nil
		},
	}
	dirFlags.bind(cmd)
	agent.bind(cmd)
	fl := cmd.Flags()
	fl.StringVarP(&deployment, "deployment", "d", os.Getenv("BOSH_DEPLOYMENT"), "the cells' deployment")
	fl.StringArrayVar(&groups, "instance-group", nil, "instance group of cells (repeatable; default: every group running rep)")
	fl.BoolVar(&asJSON, "json", false, "print one JSON document")
	fl.IntVar(&concurrency, "concurrency", suspects.DefaultConcurrency, "cells asked at once")
	fl.DurationVar(&cellTimeout, "cell-timeout", suspects.DefaultCellTimeout, "how long each cell's agent may take to answer")
	return cmd
}

// planArgs are the agent flags a printed plan command must repeat: the
// ones that differ from their defaults (the environment carries the rest).
func (f *agentFlags) planArgs() []string {
	var args []string
	if f.port != 8899 {
		args = append(args, "--agent-port", strconv.Itoa(f.port))
	}
	if f.serverName != "" {
		args = append(args, "--agent-server-name", shellQuote(f.serverName))
	}
	return args
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._/:=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}
