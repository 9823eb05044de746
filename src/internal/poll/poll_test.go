package poll_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"code.cloudfoundry.org/clock/fakeclock"

	"github.com/cloudfoundry-community/cell-sequestration/internal/poll"
)

func TestUntilChecksEveryIntervalUntilDoneFailedTimedOutOrCancelled(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name string
		// doneAt and failAt are the check numbers (from 1) that are done
		// or fail; 0 never.
		doneAt, failAt int
		cancel         bool
		wantErr        error
		wantChecks     int
	}{
		{name: "done at once: no wait", doneAt: 1, wantChecks: 1},
		{name: "done on the third check", doneAt: 3, wantChecks: 3},
		{name: "a failing check ends the loop with its error", failAt: 2, wantErr: boom, wantChecks: 2},
		// every 1s for 3s: checks at 0, 1, 2, 3 and 4 s; the one at 4 s
		// is past the deadline.
		{name: "never done: timed out after a check past the deadline", wantErr: poll.ErrTimeout, wantChecks: 5},
		{name: "cancelled while waiting", cancel: true, wantErr: context.Canceled, wantChecks: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := fakeclock.NewFakeClock(time.Unix(0, 0))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			checks := 0
			result := make(chan error, 1)
			go func() {
				result <- poll.Until(ctx, clk, time.Second, 3*time.Second, func() (bool, error) {
					checks++
					switch checks {
					case tc.failAt:
						return false, boom
					case tc.doneAt:
						return true, nil
					}
					return false, nil
				})
			}()
			for {
				select {
				case err := <-result:
					if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
						t.Fatalf("err = %v, want %v", err, tc.wantErr)
					}
					if checks != tc.wantChecks {
						t.Fatalf("%d checks, want %d", checks, tc.wantChecks)
					}
					return
				case <-time.After(10 * time.Millisecond):
					if clk.WatcherCount() > 0 {
						if tc.cancel {
							cancel()
						} else {
							clk.Increment(time.Second)
						}
					}
				}
			}
		})
	}
}
