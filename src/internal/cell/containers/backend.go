// Package containers finds, freezes and destroys the containers on a cell,
// through Garden's API when it answers and through runc when it does not.
package containers

import (
	"context"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
)

// Backend is a way to reach the cell's containers. Garden is preferred:
// its Destroy also removes networking, the image and the containerd record,
// which a bare runc delete leaves behind.
type Backend interface {
	Name() string
	// List returns every container with handle, state, pids and properties.
	List(ctx context.Context) ([]agentapi.Container, error)
	// Destroy removes one container. leftovers names what it could not
	// clean (for the runc fallback); err means the container may still run.
	Destroy(ctx context.Context, handle string) (leftovers []string, err error)
	// Freeze pauses every process of the container (cgroup freezer).
	Freeze(ctx context.Context, handle string) error
}
