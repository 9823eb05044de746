package director

import (
	"fmt"
	"sort"
	"strings"

	boshdir "github.com/cloudfoundry/bosh-cli/v7/director"

	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
)

// pendingChangesRefusal says why the deployment's pending changes block a
// sequestration, or nil when none does. A pending change to the reserved
// entry of a recorded sequestration is named for what it is: reverting it,
// the usual advice, would drop the reservation that keeps the old VM's IP
// from being handed to another VM.
func (f *Flow) pendingChangesRefusal(deployment string, diff boshdir.DeploymentDiff) error {
	blocking := pendingChangesBlocking(diff)
	if len(blocking) == 0 {
		return nil
	}
	added := netAddedReserved(diff)
	var ours []string
	if len(added) > 0 {
		all, err := f.Store.List()
		if err != nil {
			return err
		}
		for _, r := range all {
			if !r.Active() || r.OldIP == "" || !added[r.OldIP] {
				continue
			}
			delete(added, r.OldIP)
			if r.State == record.StateComplete {
				ours = append(ours, fmt.Sprintf("the cloud config reserves %s of the sequestered VM of %s:%s (record %s) in a form not deployed since; it keeps that VM's IP from being handed out: do not revert it, see `sequester list -d %s`",
					r.OldIP, r.Deployment, r.Instance(), r.ID, r.Deployment))
				continue
			}
			ours = append(ours, fmt.Sprintf("the cloud config reserves %s for the unfinished sequestration of %s:%s (record %s, %s), not deployed yet: re-run `sequester cell -d %s %s` to finish it first; do not revert that entry, it keeps the old VM's IP from being handed out",
				r.OldIP, r.Deployment, r.Instance(), r.ID, r.State, r.Deployment, r.Instance()))
		}
	}
	if len(ours) == 0 {
		return fmt.Errorf("deployment %q has pending changes (%d changed lines: %s); deploy or revert them first",
			deployment, len(blocking), strings.Join(firstN(blocking, 3), " | "))
	}
	sort.Strings(ours)
	// What is left once the sequestrations' entries are accounted for.
	var rest []string
	for _, c := range diffChanges(diff) {
		if c.reserved && (c.state == "removed" || !anyIn(entriesOf(c.text), added)) {
			continue
		}
		rest = append(rest, c.String())
	}
	msg := fmt.Sprintf("deployment %q has pending changes: %s", deployment, strings.Join(ours, "; "))
	if len(rest) > 0 {
		msg += fmt.Sprintf("; other pending changes (%d changed lines: %s) need a deploy or a revert", len(rest), strings.Join(firstN(rest, 3), " | "))
	}
	return fmt.Errorf("%s", msg)
}
