package agent

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/evidence"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/journal"
	"github.com/cloudfoundry-community/cell-sequestration/internal/config"
)

// LocalStatus reads the journaled status from the state dir, without the
// network or a running agent; idle when nothing was ever journaled.
func LocalStatus(cellID, stateDir string) (agentapi.Status, error) {
	st, err := journal.Read(stateDir)
	if errors.Is(err, os.ErrNotExist) {
		return agentapi.Status{CellID: cellID, Phase: agentapi.PhaseIdle, Steps: []agentapi.Step{}, Kept: []string{}, Pruned: []string{}}, nil
	}
	if err != nil {
		return agentapi.Status{}, err
	}
	return st.Status, nil
}

// LocalFirstResponder lists the first-responder bundles on this cell from
// their directory, for a status read without the agent.
func LocalFirstResponder(cfg config.Agent) []agentapi.FirstResponderBundle {
	if !cfg.FirstResponder.Enabled {
		return nil
	}
	dir, err := firstResponderDir(cfg)
	if err != nil {
		return nil
	}
	return (&evidence.FirstResponder{Dir: dir}).Bundles()
}

// WriteStatus prints a status for people.
func WriteStatus(w io.Writer, st agentapi.Status) {
	fmt.Fprintf(w, "cell:       %s\n", st.CellID)
	if st.OperationID != "" {
		fmt.Fprintf(w, "operation:  %s\n", st.OperationID)
	}
	fmt.Fprintf(w, "phase:      %s\n", st.Phase)
	if st.Error != "" {
		fmt.Fprintf(w, "error:      %s\n", st.Error)
	}
	if !st.UpdatedAt.IsZero() {
		fmt.Fprintf(w, "updated:    %s\n", st.UpdatedAt.UTC().Format(time.RFC3339))
	}
	if len(st.Steps) > 0 {
		fmt.Fprintln(w, "\nsteps:")
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		for _, s := range st.Steps {
			took := ""
			if s.StartedAt != nil && s.FinishedAt != nil {
				took = s.FinishedAt.Sub(*s.StartedAt).Round(time.Millisecond).String()
			}
			note := s.Detail
			if s.Error != "" {
				note = "ERROR: " + s.Error
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", s.Name, s.State, took, note)
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "\nkept (%d):   %s\n", len(st.Kept), strings.Join(st.Kept, ", "))
	if len(st.FirstResponder) > 0 {
		fmt.Fprintf(w, "first-responder bundles (%d):\n", len(st.FirstResponder))
		for _, b := range st.FirstResponder {
			fmt.Fprintf(w, "  %s  %s  %s  %d bytes\n", b.CapturedAt.UTC().Format(time.RFC3339), b.Container, b.Path, b.Bytes)
		}
	}
	fmt.Fprintf(w, "pruned (%d): %s\n", len(st.Pruned), abbreviateList(st.Pruned, 10))
	writeHandleMap(w, "prune failures:", st.PruneFailures, func(v string) string { return v })
	writeHandleMap(w, "pruned, left behind (for garden or an operator to free):", st.PruneLeftovers, func(v []string) string { return strings.Join(v, "; ") })
	writeHandleMap(w, "NOT PRUNED, isolated instead (never left running unwatched):", st.Quarantined, func(v string) string { return v })
	if len(st.Suspects) > 0 {
		fmt.Fprintf(w, "suspects:   %s\n", strings.Join(st.Suspects, ", "))
	}
	if len(st.NoReplacement) > 0 {
		fmt.Fprintf(w, "no replacement elsewhere: %s\n", strings.Join(st.NoReplacement, ", "))
	}
	if st.Evidence != "" {
		fmt.Fprintf(w, "evidence:   %s (%d bytes)\n", st.Evidence, st.EvidenceBytes)
	}
	if st.SSH.User != "" {
		ssh := "ready"
		if !st.SSH.Ready {
			ssh = "NOT READY: " + st.SSH.Problem
		}
		fmt.Fprintf(w, "ssh:        %s (%s)\n", st.SSH.User, ssh)
	}
	if len(st.Durations) > 0 {
		names := make([]string, 0, len(st.Durations))
		for n := range st.Durations {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			d := st.Durations[n]
			fmt.Fprintf(w, "timing %s: count %d, total %.3fs, max %.3fs, p99 %.3fs\n", n, d.Count, d.TotalSeconds, d.MaxSeconds, d.P99Seconds)
		}
	}
}

func abbreviateList(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return strings.Join(s[:n], ", ") + fmt.Sprintf(", ... (%d more)", len(s)-n)
}

// writeHandleMap prints a title and one line per container, in handle order.
func writeHandleMap[V any](w io.Writer, title string, m map[string]V, show func(V) string) {
	if len(m) == 0 {
		return
	}
	fmt.Fprintln(w, title)
	hs := make([]string, 0, len(m))
	for h := range m {
		hs = append(hs, h)
	}
	sort.Strings(hs)
	for _, h := range hs {
		fmt.Fprintf(w, "  %s: %s\n", h, show(m[h]))
	}
}
