package evidence_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/evidence"
)

type tick struct{ now time.Time }

func (c *tick) Now() time.Time { return c.now }

// A real process stuck in D (a frozen freezer cgroup): the bundle holds
// its kernel stack and wait channel, the container as the backend lists
// it, its processes, and the memory and pressure figures.
func TestFirstResponderBundleHoldsTheMoment(t *testing.T) {
	stuck := frozenProcess(t)
	idx := 3
	fr := &evidence.FirstResponder{
		Dir:    filepath.Join(t.TempDir(), "first-responder"),
		Logger: lager.NewLogger("test"),
		Container: func(_ context.Context, h string) (agentapi.Container, error) {
			return agentapi.Container{Handle: h, AppGUID: "app-1", Index: &idx, Pids: []int{stuck},
				Properties: map[string]string{"network.app_id": "app-1"}}, nil
		},
	}
	rec, err := fr.Capture(context.Background(), "h-stuck", []agentapi.DProcess{{Pid: stuck, Comm: "sleep", Container: "h-stuck", Seconds: 151}})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Container != "h-stuck" || rec.AppGUID != "app-1" || rec.Index == nil || *rec.Index != 3 || rec.Bytes == 0 {
		t.Fatalf("bundle = %+v", rec)
	}
	files := readBundle(t, rec.Path)
	var threads []struct {
		Pid   int    `json:"pid"`
		Stack string `json:"stack"`
		Wchan string `json:"wchan"`
	}
	if err := json.Unmarshal(files["d-state-threads.json"], &threads); err != nil {
		t.Fatalf("d-state-threads.json: %v\n%s", err, files["d-state-threads.json"])
	}
	if len(threads) != 1 || threads[0].Pid != stuck || threads[0].Stack == "" || strings.HasPrefix(threads[0].Stack, "unreadable") || threads[0].Wchan == "" {
		t.Fatalf("threads = %+v", threads)
	}
	for _, name := range []string{"suspect.json", "container.json", "container-processes.txt", "vmstat.txt", "meminfo.txt", "loadavg.txt", evidence.ManifestName} {
		if len(files[name]) == 0 {
			t.Errorf("%s missing or empty; bundle has %v", name, keys(files))
		}
	}
	if !strings.Contains(string(files["container-processes.txt"]), fmt.Sprintf("%-8d %-8d D", stuck, stuck)) {
		t.Errorf("container-processes.txt does not show the stuck thread in D:\n%s", files["container-processes.txt"])
	}
	if got := fr.Bundles(); len(got) != 1 || got[0].Path != rec.Path {
		t.Fatalf("Bundles = %+v", got)
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestFirstResponderLimitsHold(t *testing.T) {
	noise := make([]byte, 300<<10)
	if _, err := rand.Read(noise); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		perHour   int
		total     int64
		perBundle int64
		// captures at these offsets from the start
		at   []time.Duration
		want []error
	}{
		{"at most N per hour, the hour slides", 2, 0, 0,
			[]time.Duration{0, time.Minute, 2 * time.Minute, 61 * time.Minute},
			[]error{nil, nil, evidence.ErrRateLimited, nil}},
		// Each bundle is cut to the room left under the cap (hex noise
		// compresses to about half), so the third still fits, smaller,
		// and the fourth finds less room than a bundle is worth.
		{"no bundle once the disk cap leaves no room", 100, 300 << 10, 200 << 10,
			[]time.Duration{0, time.Minute, 2 * time.Minute, 3 * time.Minute},
			[]error{nil, nil, nil, evidence.ErrDiskCap}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clk := &tick{now: time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)}
			start := clk.now
			dir := filepath.Join(t.TempDir(), "fr")
			fr := &evidence.FirstResponder{
				Dir: dir, MaxPerHour: c.perHour, MaxTotalBytes: c.total, MaxBundleBytes: c.perBundle,
				Logger: lager.NewLogger("test"), Now: clk.Now,
				// Incompressible properties fill each bundle to its cap.
				Container: func(_ context.Context, h string) (agentapi.Container, error) {
					return agentapi.Container{Handle: h, Properties: map[string]string{"noise": fmt.Sprintf("%x", noise)}}, nil
				},
			}
			for i, at := range c.at {
				clk.now = start.Add(at)
				_, err := fr.Capture(context.Background(), fmt.Sprintf("h-%d", i), nil)
				if !errors.Is(err, c.want[i]) {
					t.Fatalf("capture %d at +%s: err = %v, want %v", i, at, err, c.want[i])
				}
			}
			var used int64
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				info, _ := e.Info()
				used += info.Size()
			}
			if c.total > 0 && used > c.total {
				t.Fatalf("bundles use %d bytes, cap %d", used, c.total)
			}
			// A restarted agent reads the directory and keeps the limits.
			again := &evidence.FirstResponder{Dir: dir, MaxPerHour: c.perHour, MaxTotalBytes: c.total, MaxBundleBytes: c.perBundle, Logger: lager.NewLogger("test"), Now: clk.Now}
			if len(again.Bundles()) != len(fr.Bundles()) {
				t.Fatalf("after a restart %d bundles, before %d", len(again.Bundles()), len(fr.Bundles()))
			}
			if _, err := again.Capture(context.Background(), "h-after-restart", nil); !errors.Is(err, c.want[len(c.want)-1]) && c.want[len(c.want)-1] != nil {
				t.Fatalf("after a restart: %v, want %v", err, c.want[len(c.want)-1])
			}
		})
	}
}

// A sequestration's evidence names the first-responder bundles taken
// before it, so investigators find the moment the cell went wrong.
func TestSequestrationEvidenceReferencesFirstResponderBundles(t *testing.T) {
	fr := []agentapi.FirstResponderBundle{{Path: "/var/vcap/data/sequester-agent/first-responder/first-responder-h-1-20261130T080000.000Z.tar.gz", Container: "h-1", AppGUID: "app-1"}}
	c := evidence.Collector{Dir: t.TempDir(), Logger: lager.NewLogger("test"), FirstResponder: func() any { return fr }}
	b, err := c.Capture(context.Background(), "cell-1-op-1")
	if err != nil {
		t.Fatal(err)
	}
	var got []agentapi.FirstResponderBundle
	if err := json.Unmarshal(readBundle(t, b.Path)["first-responder.json"], &got); err != nil || len(got) != 1 || got[0].Path != fr[0].Path {
		t.Fatalf("first-responder.json = %+v, %v", got, err)
	}
}
