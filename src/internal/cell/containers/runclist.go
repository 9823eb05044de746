package containers

import (
	"context"
	"strings"
)

// RuncListAttempts bounds how often a raced `runc list` is repeated; each
// attempt is one directory read, and deletes that keep winning the race
// for this long mean something else is wrong.
const RuncListAttempts = 5

// RuncListRaced tells a `runc list` that failed only because a container
// was deleted while it listed. runc reads its root, then stats each
// container's directory; a runc without the "Possible race with runc
// delete" skip in its list.go (runc 1.1, as Debian 12 ships it) fails the
// whole list when a directory is gone by then. Listing again sees the root
// without it. A prune deletes containers while operators ask for the
// status and the plan, so this race is common, not rare.
func RuncListRaced(err error) bool {
	return err != nil && strings.Contains(err.Error(), "no such file or directory")
}

// listRetrying runs `runc list` until it does not lose the race with a
// delete, at most RuncListAttempts times.
func (r *Runc) listRetrying(ctx context.Context) ([]byte, error) {
	var (
		out []byte
		err error
	)
	for i := 0; i < RuncListAttempts; i++ {
		out, err = r.run(ctx, "list", "--format", "json")
		if !RuncListRaced(err) || ctx.Err() != nil {
			return out, err
		}
	}
	return out, err
}
