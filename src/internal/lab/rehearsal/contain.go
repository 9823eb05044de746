package rehearsal

import (
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
)

// TimeToContain is the time from start (the lab command's start of the
// sequestration) to the moment the cell reported its contain phase done
// (BOSH agent stopped, routes withdrawn, rep dead, kept containers
// isolated), as the director's report records it; false when the cell
// never got there.
func TimeToContain(start time.Time, rep *director.Report) (time.Duration, bool) {
	if rep == nil || rep.ContainedAt == nil {
		return 0, false
	}
	return rep.ContainedAt.Sub(start), true
}
