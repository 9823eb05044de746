// Package refusal is the one "refused, nothing changed" error: a request
// that is bad input, unsafe or impossible, answered before anything
// changes. Commands exit 2 on it and the agent's API answers 422; every
// package that refuses wraps its sentence here, and every caller asks Is.
package refusal

import (
	"errors"
	"fmt"
)

// Error is a refusal; its text is the sentence saying what is wrong and
// what to do.
type Error struct{ Err error }

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// New marks err as a refusal; nil stays nil.
func New(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Err: err}
}

// Errorf is New(fmt.Errorf(format, args...)).
func Errorf(format string, args ...any) error {
	return &Error{Err: fmt.Errorf(format, args...)}
}

// Is reports whether err or anything it wraps is a refusal.
func Is(err error) bool {
	var r *Error
	return errors.As(err, &r)
}
