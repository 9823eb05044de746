package main

import (
	"errors"
	"strings"

	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
)

// Exit codes: 0 done; 1 failed (the state is safe and the record says
// where); 2 refused by preflight or bad input (nothing changed).
const (
	exitOK      = 0
	exitFailed  = 1
	exitRefused = 2
)

// refusal marks an error as "refused, nothing changed" (exit 2).
type refusal struct{ err error }

func (r refusal) Error() string { return r.err.Error() }
func (r refusal) Unwrap() error { return r.err }

func refused(err error) error { return refusal{err} }

// exitCode is the exit code of a command's error.
func exitCode(err error) int {
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

// asExit maps library errors to the contract's exit codes: a refusal is 2.
func asExit(err error) error {
	if err == nil {
		return nil
	}
	var r refusal
	if errors.As(err, &r) {
		return err
	}
	if director.IsRefusal(err) {
		return refused(err)
	}
	return err
}
