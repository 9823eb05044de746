package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

func init() {
	register(newCellCommand)
}

func newCellCommand() *cobra.Command {
	s := &sequestration{}
	cmd := &cobra.Command{
		Use:   "cell -d DEPLOYMENT GROUP/ID",
		Short: "Sequester a cell: take it out of the platform alive and give the instance a new VM",
		Long: `cell runs the preflight checks, records the sequestration in the director,
reserves the cell's IP, pauses resurrection, has the cell's sequester-agent
withdraw routes, stop the rep, prune all but the kept containers and stop the
BOSH agent, makes the director forget the VM, redeploys so the instance gets a
new VM on a new IP, restores resurrection and verifies. Re-running after a
failure resumes where it stopped.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := s.flow(args[0])
			if err != nil {
				return err
			}
			ctx, cancel := signalContext()
			defer cancel()
			if !s.nonInteractive {
				p, err := f.Plan(ctx)
				if p != nil && !s.json {
					p.WriteText(cmd.ErrOrStderr())
				}
				if err != nil {
					return err
				}
				if err := confirm(cmd, fmt.Sprintf("Sequester %s of deployment %s?", args[0], s.deployment)); err != nil {
					return err
				}
			}
			return runAndReport(cmd, f, s.json)
		},
	}
	s.bind(cmd, true)
	return cmd
}

// runAndReport runs the flow and prints its report, also on failure.
func runAndReport(cmd *cobra.Command, f *director.Flow, asJSON bool) error {
	ctx, cancel := signalContext()
	defer cancel()
	rep, err := f.Run(ctx)
	switch {
	case rep != nil && asJSON:
		_ = writeJSON(cmd.OutOrStdout(), rep)
	case rep != nil:
		rep.WriteText(cmd.OutOrStdout())
	case asJSON && err != nil:
		// Refused before a record existed: still one JSON document.
		state := "failed"
		if refusal.Is(err) {
			state = "refused"
		}
		_ = writeJSON(cmd.OutOrStdout(), map[string]string{
			"state": state, "deployment": f.Opts.Deployment, "instance": f.Opts.Instance, "error": err.Error(),
		})
	}
	return err
}
