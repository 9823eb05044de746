package director

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/poll"
)

// failedTask reads the task number from bosh-cli's error for a task that
// did not succeed [bosh-cli: director/task_client_request.go].
var failedTask = regexp.MustCompile(`Expected task '(\d+)' to succeed but state is`)

// deploymentLocked: the director refused because another task (a
// pipeline's deploy, an errand) holds the deployment's lock. A scan fails
// at once, a deploy or resolution after waiting [bosh: lock.rb "Failed to
// acquire lock for"; jobs/cloud_check/scan.rb "Unable to get deployment
// lock, maybe a deployment is in progress"]. bosh-cli's error names only
// the task, so its result is read from the director.
func (f *Flow) deploymentLocked(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	if m := failedTask.FindStringSubmatch(msg); m != nil {
		if id, convErr := strconv.Atoi(m[1]); convErr == nil {
			if t, findErr := f.Dir.FindTask(id); findErr == nil {
				msg += " " + t.Result()
			}
		}
	}
	return strings.Contains(msg, "Failed to acquire lock for lock:deployment:") ||
		strings.Contains(msg, "Unable to get deployment lock")
}

// whileLocked runs a director-side step again while another task holds
// the deployment's lock, up to LockTimeout: CI pipelines deploy the cells'
// deployment many times a day, and one landing during the switch must not
// fail it. Each step checks what is already done, so running it again is
// safe.
func (f *Flow) whileLocked(fn func(context.Context, lager.Logger) error) func(context.Context, lager.Logger) error {
	return func(ctx context.Context, logger lager.Logger) error {
		var err error
		waited := poll.Until(ctx, f.Clock, f.Opts.PollInterval, f.Opts.LockTimeout, func() (bool, error) {
			err = fn(ctx, logger)
			if !f.deploymentLocked(err) {
				return true, nil
			}
			logger.Info("deployment-locked-retrying", lager.Data{"error": err.Error()})
			return false, nil
		})
		if errors.Is(waited, poll.ErrTimeout) {
			return fmt.Errorf("the deployment stayed locked by another task for %s; re-run the same command once it is done: %w", f.Opts.LockTimeout, err)
		}
		if waited != nil {
			return waited
		}
		return err
	}
}
