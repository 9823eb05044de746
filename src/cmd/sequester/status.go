package main

import (
	"fmt"
	"os"
	"time"

	"code.cloudfoundry.org/lager/v3"
	"github.com/spf13/cobra"

	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
)

func init() {
	register(newStatusCommand)
	register(newListCommand)
	register(newReleaseCommand)
}

// adminFlags are what status, list and release share.
type adminFlags struct {
	deployment string
	dir        directorFlags
	agent      agentFlags
	json       bool
}

func (a *adminFlags) bind(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&a.deployment, "deployment", "d", os.Getenv("BOSH_DEPLOYMENT"), "deployment of the cell")
	cmd.Flags().BoolVar(&a.json, "json", false, "print one JSON document")
	a.dir.bind(cmd)
}

func (a *adminFlags) admin(withAgents bool) (*director.Admin, lager.Logger, error) {
	logger, err := newLogger(a.dir.logLevel)
	if err != nil {
		return nil, nil, err
	}
	var agents director.AgentDialer
	if withAgents && a.agent.ca != "" {
		if agents, err = a.agent.dialer(); err != nil {
			return nil, nil, err
		}
	}
	conn, err := a.dir.connect(logger)
	if err != nil {
		return nil, nil, err
	}
	return &director.Admin{
		Dir: conn.Director, Raw: conn.Raw, Agents: agents, Logger: logger, AgentTimeout: 5 * time.Second,
		Store: record.NewStore(conn.Director, a.dir.recordType, logger),
	}, logger, nil
}

func newStatusCommand() *cobra.Command {
	a := &adminFlags{}
	cmd := &cobra.Command{
		Use:   "status -d DEPLOYMENT GROUP/ID",
		Short: "Show the record of a sequestration",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			adm, _, err := a.admin(false)
			if err != nil {
				return err
			}
			rep, err := adm.Status(a.deployment, args[0])
			if err != nil {
				return asExit(err)
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

func newListCommand() *cobra.Command {
	a := &adminFlags{}
	cmd := &cobra.Command{
		Use:   "list [-d DEPLOYMENT]",
		Short: "List sequestrations with drift checks (reserved IP still there, old VM alive)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			adm, _, err := a.admin(true)
			if err != nil {
				return err
			}
			ctx, cancel := signalContext()
			defer cancel()
			entries, err := adm.List(ctx, a.deployment)
			if err != nil {
				return asExit(err)
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
