package agent

import "github.com/cloudfoundry-community/cell-sequestration/internal/cell/prune"

// pruneAccount splits a prune's result for the status: failures are
// containers that may still exist and take work; leftovers are what the
// backend could not free around a container that is gone. A pruned
// container is never listed as a failure.
func pruneAccount(res prune.Result) (failures map[string]string, leftovers map[string][]string) {
	for h, why := range res.Failures {
		if failures == nil {
			failures = map[string]string{}
		}
		failures[h] = why
	}
	for _, h := range res.Pruned {
		if left := res.Leftovers[h]; len(left) > 0 {
			if leftovers == nil {
				leftovers = map[string][]string{}
			}
			leftovers[h] = left
		}
	}
	return failures, leftovers
}
