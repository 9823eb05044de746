package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
)

func init() { register(newListCommand) }

func newListCommand() *cobra.Command {
	a := &adminFlags{}
	cmd := &cobra.Command{
		Use:   "list [-d DEPLOYMENT]",
		Short: "List sequestrations with drift checks (reserved IP still there, old VM alive)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			adm, err := a.admin(true)
			if err != nil {
				return err
			}
			ctx, cancel := signalContext()
			defer cancel()
			entries, err := adm.List(ctx, a.deployment)
			if err != nil {
				return err
			}
			if a.json {
				if entries == nil {
					entries = []director.ListEntry{}
				}
				return writeJSON(cmd.OutOrStdout(), entries)
			}
			w := cmd.OutOrStdout()
			if len(entries) == 0 {
				fmt.Fprintln(w, "No sequestrations.")
			}
			for _, e := range entries {
				fmt.Fprintf(w, "%-22s %-11s %s %s old %s (vm %s, %s) new %s case %q\n",
					e.RecordID, e.State, e.Deployment, e.Instance, e.OldIP, e.VMCID, e.OldVM, e.NewIP, e.CaseID)
				for _, d := range e.Drift {
					fmt.Fprintf(w, "    DRIFT: %s\n", d)
				}
			}
			return nil
		},
	}
	a.bind(cmd)
	a.agent.bind(cmd)
	return cmd
}
