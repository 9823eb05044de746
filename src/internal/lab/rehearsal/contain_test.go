package rehearsal_test

import (
	"testing"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/rehearsal"
)

func TestTimeToContainRunsFromTheCommandsStartToTheCellsContainment(t *testing.T) {
	start := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	at := start.Add(6500 * time.Millisecond)
	for _, c := range []struct {
		name string
		rep  *director.Report
		want time.Duration
		ok   bool
	}{
		{"contained", &director.Report{ContainedAt: &at}, 6500 * time.Millisecond, true},
		{"never contained", &director.Report{}, 0, false},
		{"no report", nil, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := rehearsal.TimeToContain(start, c.rep)
			if got != c.want || ok != c.ok {
				t.Fatalf("TimeToContain = %v, %v; want %v, %v", got, ok, c.want, c.ok)
			}
		})
	}
}
