package main

import "github.com/spf13/cobra"

func init() { register(newReleaseCommand) }

func newReleaseCommand() *cobra.Command {
	a := &adminFlags{}
	cmd := &cobra.Command{
		Use:   "release -d DEPLOYMENT IP|GROUP/ID",
		Short: "Delete the sequestered VM, un-reserve its IP and close the record",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			adm, err := a.admin(false)
			if err != nil {
				return err
			}
			ctx, cancel := signalContext()
			defer cancel()
			rep, err := adm.Release(ctx, a.deployment, args[0])
			if rep != nil {
				if a.json {
					_ = writeJSON(cmd.OutOrStdout(), rep)
				} else {
					rep.WriteText(cmd.OutOrStdout())
				}
			}
			return err
		},
	}
	a.bind(cmd)
	return cmd
}
