package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/agent"
	"github.com/cloudfoundry-community/cell-sequestration/internal/config"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

func init() { register(newStatusCommand) }

func newStatusCommand() *cobra.Command {
	a := &adminFlags{}
	cmd := &cobra.Command{
		Use:   "status -d DEPLOYMENT GROUP/ID",
		Short: "Show the record of a sequestration",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			adm, err := a.admin(false)
			if err != nil {
				return err
			}
			rep, err := adm.Status(a.deployment, args[0])
			if err != nil {
				return err
			}
			if a.json {
				return writeJSON(cmd.OutOrStdout(), rep)
			}
			rep.WriteText(cmd.OutOrStdout())
			return nil
		},
	}
	a.bind(cmd)
	addLocalStatus(cmd)
	return cmd
}

// addLocalStatus makes `status --local --config FILE` read the agent's
// state file on the cell, without the network.
func addLocalStatus(cmd *cobra.Command) {
	var local bool
	var file string
	cmd.Flags().BoolVar(&local, "local", false, "on a cell: read the agent's state file instead of asking the director (needs --config)")
	cmd.Flags().StringVar(&file, "config", "", "with --local: the agent's rendered agent.json")
	cmd.Example += "  # on a cell, without the network:\n  sequester status --local --config /var/vcap/jobs/sequester-agent/config/agent.json\n"
	args, run := cmd.Args, cmd.RunE
	cmd.Args = func(c *cobra.Command, a []string) error {
		if local {
			return cobra.NoArgs(c, a)
		}
		if args == nil {
			return nil
		}
		return args(c, a)
	}
	cmd.RunE = func(c *cobra.Command, a []string) error {
		if !local {
			if file != "" {
				return refusal.New(errors.New("--config goes with --local"))
			}
			return run(c, a)
		}
		if file == "" {
			return refusal.New(errors.New("--local needs --config FILE (the agent's agent.json)"))
		}
		var cfg config.Agent
		if err := config.Load(file, &cfg); err != nil {
			return refusal.New(err)
		}
		st, err := agent.LocalStatus(cfg.CellID, cfg.StateDir)
		if err != nil {
			return err
		}
		st.FirstResponder = agent.LocalFirstResponder(cfg)
		asJSON, _ := c.Flags().GetBool("json")
		if asJSON {
			return writeJSON(c.OutOrStdout(), st)
		}
		agent.WriteStatus(c.OutOrStdout(), st)
		return nil
	}
}
