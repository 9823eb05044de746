package directorsim_test

import (
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/directorsim"
)

// Like the director's tasks controller, the default listing (verbose=1)
// hides cloud-check kinds; verbose=2 and GET /locks show the task that
// holds the deployment.
func TestACloudCheckHoldingTheLockIsHiddenFromTheDefaultTaskListing(t *testing.T) {
	sim := newSim(t, directorsim.Options{})
	id, release := sim.HoldLock(directorsim.KindScanAndFix, "scan and fix", "cf")
	t.Cleanup(release)
	body := func(path string) string {
		resp := doRequest(t, sim, "GET", path, "", "", nil, true)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	var tasks []map[string]any
	if err := json.Unmarshal([]byte(body("/tasks?state=queued,processing,cancelling&deployment=cf")), &tasks); err != nil || len(tasks) != 0 {
		t.Fatalf("default listing = %v, %v; want the scan-and-fix hidden", tasks, err)
	}
	if err := json.Unmarshal([]byte(body("/tasks?state=queued,processing,cancelling&deployment=cf&verbose=2")), &tasks); err != nil || len(tasks) != 1 || tasks[0]["description"] != "scan and fix" {
		t.Fatalf("verbose=2 listing = %v, %v; want the scan-and-fix", tasks, err)
	}
	if locks := body("/locks"); !strings.Contains(locks, `"task_id":"`+strconv.Itoa(id)+`"`) || !strings.Contains(locks, `"resource":["cf"]`) {
		t.Fatalf("locks = %s; want cf locked by task %d", locks, id)
	}
}
