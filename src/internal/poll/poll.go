// Package poll is the one polling loop: check now, then every interval,
// until the check is done, fails, the time is up or the context ends. It
// runs on code.cloudfoundry.org/clock so tests drive it with fakeclock.
package poll

import (
	"context"
	"errors"
	"time"

	"code.cloudfoundry.org/clock"
)

// ErrTimeout: the time was up before the check was done. The caller says
// what was still missing.
var ErrTimeout = errors.New("timed out")

// Until calls check at once and then every interval. It returns nil when
// check reports done, check's error, ctx's error when ctx ends while
// waiting, or ErrTimeout when a check that is not done ran after timeout
// had passed since the start (so the last check always sees the end).
func Until(ctx context.Context, clk clock.Clock, every, timeout time.Duration, check func() (done bool, err error)) error {
	deadline := clk.Now().Add(timeout)
	for {
		done, err := check()
		if err != nil || done {
			return err
		}
		if clk.Now().After(deadline) {
			return ErrTimeout
		}
		t := clk.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C():
		}
	}
}
