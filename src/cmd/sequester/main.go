// Command sequester takes a misbehaving Diego cell out of the platform while
// keeping it alive for investigation. This package only wires flags to the
// library code under internal/.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cloudfoundry-community/cell-sequestration/internal/version"
)

// Exit codes of the contract in DESIGN.md.
const (
	exitOK      = 0
	exitFailed  = 1
	exitRefused = 2
)

// subcommands is filled by each command's file, so commands live apart.
var subcommands []func() *cobra.Command

func register(f func() *cobra.Command) { subcommands = append(subcommands, f) }

// refusal marks an error as "refused, nothing changed" (exit 2).
type refusal struct{ err error }

func (r refusal) Error() string { return r.err.Error() }
func (r refusal) Unwrap() error { return r.err }

func refused(err error) error { return refusal{err} }

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
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), version.Version)
		},
	})
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return refused(err) })
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

func execute(root *cobra.Command, args []string) int {
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(root.ErrOrStderr(), "Error:", err)
	var r refusal
	if errors.As(err, &r) || isUsageError(err) {
		return exitRefused
	}
	return exitFailed
}

// isUsageError: cobra reports an unknown command or bad arguments as plain
// errors; they are bad input all the same.
func isUsageError(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "unknown command") ||
		strings.HasPrefix(msg, "accepts ") ||
		strings.HasPrefix(msg, "requires ") ||
		strings.HasPrefix(msg, "unknown flag") ||
		strings.HasPrefix(msg, "required flag")
}
