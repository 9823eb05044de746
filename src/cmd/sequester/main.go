// Command sequester takes a misbehaving Diego cell out of the platform while
// keeping it alive for investigation. This package only wires flags to the
// library code under internal/: one file per command, the flag sets they
// share in flags.go, exit codes in exit.go.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
	"github.com/cloudfoundry-community/cell-sequestration/internal/version"
)

// subcommands is filled by each command's file, so commands live apart.
var subcommands []func() *cobra.Command

func register(f func() *cobra.Command) { subcommands = append(subcommands, f) }

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "sequester",
		Short: "Take a misbehaving Diego cell out of the platform, alive, for investigation",
		Long: `sequester withdraws a Diego cell's routes, stops its work, prunes every
container but the ones kept for investigation, and makes BOSH forget the VM
and give the instance a fresh one on a new IP, keeping investigator SSH open.

Exit codes: 0 done, 1 failed (state is safe and the record says where),
2 refused by preflight or bad input (nothing changed).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version.Version,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return refusal.New(err) })
	for _, f := range subcommands {
		root.AddCommand(f())
	}
	return root
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	return execute(newRootCommand(), args)
}

// execute runs the command line and maps its error to an exit code.
func execute(root *cobra.Command, args []string) int {
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(root.ErrOrStderr(), "Error:", err)
	return exitCode(root, args, err)
}
