package main

import (
	"github.com/spf13/cobra"

	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

// Exit codes: 0 done; 1 failed (the state is safe and the record says
// where); 2 refused by preflight or bad input (nothing changed).
const (
	exitOK      = 0
	exitFailed  = 1
	exitRefused = 2
)

// exitCode is the exit code of the error running args gave: a refusal,
// or a command line cobra itself rejects, is 2.
func exitCode(root *cobra.Command, args []string, err error) int {
	if refusal.Is(err) || badCommandLine(root, args) {
		return exitRefused
	}
	return exitFailed
}

// badCommandLine: cobra reports an unknown command, wrong arguments and a
// missing required flag as plain errors (flag parse errors come through
// the root's FlagErrorFunc as refusals). Its own validators, asked again
// on the same command line, tell them from a command's failure.
func badCommandLine(root *cobra.Command, args []string) bool {
	cmd, _, err := root.Find(args)
	if err != nil {
		return true
	}
	if !cmd.Flags().Parsed() {
		return false
	}
	return cmd.ValidateArgs(cmd.Flags().Args()) != nil || cmd.ValidateRequiredFlags() != nil
}
