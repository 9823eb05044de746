package director

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	boshdir "github.com/cloudfoundry/bosh-cli/v7/director"
)

// deploymentBusy says what holds the deployment now: its tasks in flight,
// and whatever holds the director's lock on it. The default task listing
// (verbose=1) shows only deploys, deletes, errands and the like; a cloud
// check or the health monitor's scan-and-fix holds the same lock, hidden
// there, and would fail our scan or deploy half-way (bosh:
// tasks_controller.rb lists other types only at verbose 2; locks_controller.rb
// lists every lock). Listing every kind would also block on a `bosh vms`,
// which takes no lock.
func deploymentBusy(dir DirectorAPI, deployment string) (string, error) {
	tasks, err := dir.CurrentTasks(boshdir.TasksFilter{Deployment: deployment})
	if err != nil {
		return "", fmt.Errorf("list tasks of %q: %w", deployment, err)
	}
	var held []string
	seen := map[string]bool{}
	for _, tk := range tasks {
		id := fmt.Sprint(tk.ID())
		seen[id] = true
		held = append(held, fmt.Sprintf("task %s (%s, %s)", id, tk.Description(), tk.State()))
	}
	locks, err := dir.Locks()
	if err != nil {
		return "", fmt.Errorf("list the director's locks: %w", err)
	}
	for _, l := range locks {
		if l.Type != "deployment" || len(l.Resource) == 0 || l.Resource[0] != deployment || seen[l.TaskID] {
			continue
		}
		what := "task " + l.TaskID
		if id, err := strconv.Atoi(l.TaskID); err == nil {
			if tk, err := dir.FindTask(id); err == nil {
				what = fmt.Sprintf("task %s (%s, %s)", l.TaskID, tk.Description(), tk.State())
			}
		}
		held = append(held, fmt.Sprintf("%s holding the deployment lock until %s", what, l.ExpiresAt.UTC().Format("15:04:05 MST")))
	}
	sort.Strings(held)
	return strings.Join(held, ", "), nil
}
