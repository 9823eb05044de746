package containers

import (
	"fmt"
	"strings"
)

// MaxHandleLength bounds a handle: garden handles are guids, and a longer
// name is more likely an attack on a path join than a container.
const MaxHandleLength = 256

// ValidateHandle accepts a plain container name only. Every package that
// joins a handle into a path (depot, cgroup, runc) calls it first, because a
// handle comes from the network and "../x" would escape the depot.
func ValidateHandle(handle string) error {
	switch {
	case handle == "":
		return fmt.Errorf("container handle is empty: name a container by its handle")
	case len(handle) > MaxHandleLength:
		return fmt.Errorf("container handle is %d characters long, more than the %d allowed: pass the handle exactly as the inventory lists it", len(handle), MaxHandleLength)
	case handle == "." || handle == "..":
		return fmt.Errorf("container handle %q is a path, not a name: pass the handle exactly as the inventory lists it", handle)
	case strings.ContainsAny(handle, "/\\"):
		return fmt.Errorf("container handle %q contains a slash: pass the handle exactly as the inventory lists it", handle)
	}
	for _, r := range handle {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("container handle %q contains a control character: pass the handle exactly as the inventory lists it", handle)
		}
	}
	return nil
}
