package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cloudfoundry-community/cell-sequestration/internal/chaos"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/rehearsal"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

func init() { register(newChaosCommand) }

func newChaosCommand() *cobra.Command {
	var (
		runs, cells, containers int
		seed                    int64
		asJSON                  bool
		dir                     string
	)
	cmd := &cobra.Command{
		Use:   "chaos",
		Short: "Seeded lab sequestrations with faults injected, re-run, and the safety invariants checked from the world",
		Long: `chaos runs the lab's sequestration (see 'sequester lab') --runs times, one
new lab each. Run i draws one or two faults from seed --seed+i (the errand
killed, the agent restarted mid-step, a pipeline deploy, the director
answering 500 in a burst, a director task that fails), each at a moment of
the run drawn from the seed; a failed run is re-run up to 3 times, as its
report tells the operator. The invariants are checked by reading the world
(runc, monit, NATS, TCP, the director simulator), never the report, during
and after the run, and after the lab's teardown.

Exit codes: 0 no invariant violated and every run converged or was refused
(a re-run refused after a faulted attempt is listed with its replay line),
1 otherwise (each violation names its seed and the line that replays it),
2 bad input or a part missing on this machine.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runs < 1 {
				return refusal.New(fmt.Errorf("--runs %d: run at least one", runs))
			}
			if cells < 2 || containers < 2 || cells*containers > 62 {
				return refusal.New(fmt.Errorf("--cells %d --containers %d: chaos needs at least 2 cells (one cell is refused as the last of its group) and 2 containers each, at most 62 in all", cells, containers))
			}
			if msg := rehearsal.Missing(); msg != "" {
				return refusal.New(errors.New(msg))
			}
			dir, logger, closeLog, err := labWorkspace(dir, "sequester-chaos-")
			if err != nil {
				return err
			}
			defer closeLog()
			ctx, cancel := signalContext()
			defer cancel()
			s := chaos.Suite(ctx, chaos.Options{
				Runs: runs, Seed: seed, Dir: dir, Cells: cells, Containers: containers,
				Logger: logger, Progress: cmd.ErrOrStderr(), Command: "scripts/chaos",
			})
			if asJSON {
				_ = writeJSON(cmd.OutOrStdout(), s)
			} else {
				s.WriteText(cmd.OutOrStdout())
				fmt.Fprintf(cmd.OutOrStdout(), "Logs and evidence: %s\n", dir)
			}
			if ctx.Err() != nil {
				return errors.New("chaos: interrupted")
			}
			if !s.OK() {
				return fmt.Errorf("chaos: %d invariant violation(s), %d run(s) not converged, %d lab setup(s) failed", s.Violations, s.NotConverged, s.SetupFailed)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&runs, "runs", 5, "runs, each on a new lab")
	fl.Int64Var(&seed, "seed", 1, "seed of the first run; run i uses seed+i")
	fl.IntVar(&cells, "cells", 2, "Diego cells per lab")
	fl.IntVar(&containers, "containers", 3, "app containers per cell")
	fl.BoolVar(&asJSON, "json", false, "print one JSON document: the table's figures and every run with its faults, attempts, checks and violations' evidence")
	fl.StringVar(&dir, "dir", "", "directory for the runs' logs and evidence (default: a new temporary one)")
	return cmd
}
