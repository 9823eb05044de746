package main

import "github.com/spf13/cobra"

func init() { register(newPlanCommand) }

func newPlanCommand() *cobra.Command {
	s := &sequestration{}
	cmd := &cobra.Command{
		Use:   "plan -d DEPLOYMENT GROUP/ID",
		Short: "Run the preflight checks and print what `cell` would do; changes nothing",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := s.flow(args[0])
			if err != nil {
				return err
			}
			ctx, cancel := signalContext()
			defer cancel()
			p, err := f.Plan(ctx)
			if p != nil {
				if s.json {
					_ = writeJSON(cmd.OutOrStdout(), p)
				} else {
					p.WriteText(cmd.OutOrStdout())
				}
			}
			return err
		},
	}
	s.bind(cmd, false)
	return cmd
}
