package containers

import (
	"math"
	"sort"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
)

// SummarizeDurations reduces many timings to count, total, max and p99.
// p99 is the nearest-rank percentile: the smallest sample with at least 99%
// of the samples at or below it, so with fewer than 100 samples it is the
// maximum, which is the honest answer for a small set.
func SummarizeDurations(ds []time.Duration) agentapi.DurationStats {
	if len(ds) == 0 {
		return agentapi.DurationStats{}
	}
	sorted := append([]time.Duration(nil), ds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	var total time.Duration
	for _, d := range sorted {
		total += d
	}
	rank := int(math.Ceil(0.99 * float64(len(sorted))))
	if rank < 1 {
		rank = 1
	}
	return agentapi.DurationStats{
		Count:        len(sorted),
		TotalSeconds: total.Seconds(),
		MaxSeconds:   sorted[len(sorted)-1].Seconds(),
		P99Seconds:   sorted[rank-1].Seconds(),
	}
}
