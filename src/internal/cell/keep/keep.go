// Package keep decides which containers survive a sequestration. It turns
// an operator's agentapi.Keep (handles, app guids, pids, suspects) into a
// keep set and a prune set over the real inventory, and refuses anything
// ambiguous: a selector that matches nothing is most likely a typo, and
// acting on it would prune the very container the operator meant to keep.
package keep

import (
	"sort"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

// Selection is the outcome: every inventory container is in exactly one
// of Keep and Prune.
type Selection struct {
	Keep  []agentapi.Container
	Prune []agentapi.Container
}

// KeepHandles and PruneHandles are the handles of each set, sorted.
func (s Selection) KeepHandles() []string  { return Handles(s.Keep) }
func (s Selection) PruneHandles() []string { return Handles(s.Prune) }

// Handles returns the containers' handles, sorted.
func Handles(cs []agentapi.Container) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.Handle)
	}
	sort.Strings(out)
	return out
}

// refuse: every error of Resolve is a refusal (422, exit 2).
func refuse(format string, args ...any) error {
	return refusal.Errorf(format, args...)
}

// Resolve applies k to the inventory. Each error is one sentence saying
// what is wrong and what to do.
func Resolve(k agentapi.Keep, inventory []agentapi.Container) (Selection, error) {
	empty := len(k.Handles) == 0 && len(k.AppGUIDs) == 0 && len(k.Pids) == 0 && !k.Suspects
	if k.None && !empty {
		return Selection{}, refuse("keep none was combined with containers to keep: pass either none or the containers to keep, not both")
	}
	if !k.None && empty {
		return Selection{}, refuse("nothing is selected to keep, which would prune every container: name containers with --keep, --keep-app, --keep-pid or --keep-suspects, or say none explicitly to prune them all")
	}
	byHandle := map[string]agentapi.Container{}
	for _, c := range inventory {
		byHandle[c.Handle] = c
	}
	kept := map[string]bool{}
	add := func(h string) { kept[h] = true }

	for _, h := range k.Handles {
		if err := containers.ValidateHandle(h); err != nil {
			return Selection{}, refuse("keep handle is invalid: %v", err)
		}
		if _, ok := byHandle[h]; !ok {
			return Selection{}, refuse("no container with handle %q runs on this cell: check the handle against the inventory (sequester plan lists it)", h)
		}
		add(h)
	}
	for _, app := range k.AppGUIDs {
		if app == "" {
			return Selection{}, refuse("an empty app guid was given to keep: pass the app's guid as `cf app NAME --guid` prints it")
		}
		n := 0
		for _, c := range inventory {
			if c.AppGUID == app {
				add(c.Handle)
				n++
			}
		}
		if n == 0 {
			return Selection{}, refuse("no container of app %s runs on this cell: check the guid against the inventory (sequester plan lists it)", app)
		}
	}
	for _, pid := range k.Pids {
		if pid <= 0 {
			return Selection{}, refuse("pid %d cannot be kept, it is not a process id: pass the host pid of a process inside a container", pid)
		}
		found := false
		for _, c := range inventory {
			for _, p := range c.Pids {
				if p == pid {
					add(c.Handle)
					found = true
				}
			}
		}
		if !found {
			return Selection{}, refuse("pid %d is in no container on this cell: pass the host pid of a process inside a container, or its handle", pid)
		}
	}
	if k.Suspects {
		n := 0
		for _, c := range inventory {
			if c.Suspect {
				add(c.Handle)
				n++
			}
		}
		if n == 0 {
			return Selection{}, refuse("no container is a suspect (no process has been in D state past the threshold): keep containers by handle or app instead, or wait for the scan to flag one")
		}
	}

	var sel Selection
	for _, c := range inventory {
		if kept[c.Handle] {
			sel.Keep = append(sel.Keep, c)
		} else {
			sel.Prune = append(sel.Prune, c)
		}
	}
	return sel, nil
}
