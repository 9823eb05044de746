package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"code.cloudfoundry.org/lager/v3"
	"github.com/spf13/cobra"

	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/rehearsal"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/standins"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

func init() {
	// The lab's cells run their rep, route-emitter and BOSH-agent
	// stand-ins as this binary (standins.Command).
	standins.RunIfRequested()
	register(newLabCommand)
}

func newLabCommand() *cobra.Command {
	var (
		cells, containers int
		keep              keepFlags
		asJSON, running   bool
		setupOnly         bool
		dir               string
	)
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Rehearse a sequestration on this machine against a local director and real local cells",
		Long: `lab builds a platform on this machine (as root): a director simulator with
deployment cf, Diego cells with a real monit, runit, runc containers, NATS and
the real sequester agent, one container holding processes stuck in D state.
It then sequesters diego-cell/0 with the code 'sequester cell' runs, prints
the report with the time to contain, and verifies the outcome by reading the
world (monit, runc, NATS, TCP, the director), one line per check.

Exit codes: 0 every check passed, 1 the sequestration or a check failed,
2 bad input, a part missing on this machine (nothing was started), or the
sequestration refused by preflight (the lab then verifies that nothing
changed: a single cell is the last running instance of its group, which
sequester refuses to take away).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Refused before anything starts: with --json, still one
			// document on stdout.
			early := func(err error) error {
				if asJSON {
					_ = writeJSON(cmd.OutOrStdout(), map[string]any{"ok": false, "refused": true, "error": err.Error(), "verification": []any{}})
				}
				return err
			}
			if !keep.none && len(keep.handles) == 0 && len(keep.apps) == 0 {
				keep.suspects = true
			}
			k, err := keep.keep()
			if err != nil {
				return early(err)
			}
			if cells < 1 || containers < 1 || cells*containers > 62 {
				return early(refusal.New(fmt.Errorf("--cells %d --containers %d: the lab runs 1 to 62 app containers in all, at least one per cell", cells, containers)))
			}
			if msg := rehearsal.Missing(); msg != "" {
				return early(refusal.New(errors.New(msg)))
			}
			dir, logger, closeLog, err := labWorkspace(dir, "sequester-lab-")
			if err != nil {
				return err
			}
			defer closeLog()

			ctx, cancel := signalContext()
			defer cancel()
			requestedBy := os.Getenv("USER")
			if requestedBy == "" {
				requestedBy = "lab"
			}
			world, res, err := rehearsal.Run(ctx, rehearsal.Options{
				Dir: dir, Cells: cells, Containers: containers, Keep: k, RequestedBy: requestedBy,
				Logger: logger, Progress: cmd.ErrOrStderr(), SetupOnly: setupOnly,
			})
			if world != nil {
				defer func() {
					fmt.Fprintln(cmd.ErrOrStderr(), "lab: tearing down")
					if err := world.Close(); err != nil {
						fmt.Fprintf(cmd.ErrOrStderr(), "lab: teardown: %v\n", err)
					}
				}()
			}
			if err != nil {
				res.Error = err.Error()
			}
			if asJSON {
				_ = writeJSON(cmd.OutOrStdout(), res)
			} else {
				res.WriteText(cmd.OutOrStdout())
				fmt.Fprintf(cmd.OutOrStdout(), "Logs and evidence: %s\n", dir)
			}
			if (running || setupOnly) && world != nil {
				rehearsal.WriteExports(cmd.ErrOrStderr(), world)
				<-ctx.Done()
			}
			switch {
			case err != nil:
				return fmt.Errorf("lab: %w", err)
			case res.Refused && res.OK:
				return refusal.New(fmt.Errorf("lab: the sequestration was refused, and nothing changed: %s", res.Error))
			case !res.OK:
				return errors.New("lab: the sequestration or its verification failed (see above)")
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&cells, "cells", 3, "Diego cells")
	fl.IntVar(&containers, "containers", 4, "app containers per cell")
	fl.StringArrayVar(&keep.handles, "keep", nil, "container handle to keep, or N for the target's Nth container (repeatable)")
	fl.StringArrayVar(&keep.apps, "keep-app", nil, "app GUID whose containers to keep (repeatable)")
	fl.BoolVar(&keep.suspects, "keep-suspects", false, "keep containers with processes stuck in D state (the default)")
	fl.BoolVar(&keep.none, "keep-none", false, "keep no container (prune everything)")
	fl.BoolVar(&asJSON, "json", false, "print one JSON document: the report, the time to contain and the verification")
	fl.BoolVar(&running, "keep-running", false, "leave the lab up and print the environment for bosh and sequester; Ctrl-C tears it down")
	fl.BoolVar(&setupOnly, "setup-only", false, "set the platform up with its sick cell and leave it running without sequestering anything, to rehearse suspects, plan and cell by hand")
	fl.StringVar(&dir, "dir", "", "directory for the lab's files, logs and evidence (default: a new temporary one)")
	return cmd
}

// labWorkspace is the lab's (and chaos's) directory, kept afterwards for
// its logs and evidence: dir, or a new temporary one named prefix*, with
// the flow's Debug log in sequester.log there.
func labWorkspace(dir, prefix string) (string, lager.Logger, func(), error) {
	if dir == "" {
		d, err := os.MkdirTemp("", prefix)
		if err != nil {
			return "", nil, nil, err
		}
		dir = d
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, nil, refusal.New(fmt.Errorf("--dir %s: %w", dir, err))
	}
	logFile, err := os.OpenFile(filepath.Join(dir, "sequester.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return "", nil, nil, err
	}
	logger := lager.NewLogger("sequester")
	logger.RegisterSink(lager.NewWriterSink(logFile, lager.DEBUG))
	return dir, logger, func() { logFile.Close() }, nil
}
