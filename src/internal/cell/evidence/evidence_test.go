package evidence_test

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/evidence"
	"github.com/cloudfoundry-community/cell-sequestration/internal/testsupport/realpart"
)

func readBundle(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = b
	}
}

// frozenProcess puts a sleep in a cgroup v1 freezer cgroup of its own and
// freezes it: its task then shows state D, a real stuck process.
func frozenProcess(t *testing.T) int {
	t.Helper()
	root := "/sys/fs/cgroup/freezer"
	if _, err := os.Stat(filepath.Join(root, "cgroup.procs")); err != nil {
		realpart.Require(t, "a frozen process", errors.New("no cgroup v1 freezer here"))
	}
	cg := filepath.Join(root, fmt.Sprintf("evidence-test-%d", os.Getpid()))
	if err := os.Mkdir(cg, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = os.WriteFile(filepath.Join(cg, "freezer.state"), []byte("THAWED"), 0o644)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		for i := 0; i < 50 && os.Remove(cg) != nil; i++ {
			time.Sleep(50 * time.Millisecond)
		}
	})
	if err := os.WriteFile(filepath.Join(cg, "cgroup.procs"), []byte(fmt.Sprint(cmd.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cg, "freezer.state"), []byte("FROZEN"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		b, _ := os.ReadFile(filepath.Join(cg, "freezer.state"))
		if strings.TrimSpace(string(b)) == "FROZEN" {
			return cmd.Process.Pid
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("cgroup did not freeze")
	return 0
}

func TestBundleHoldsProcessesDStateMountsContainersLRPsAndLogTails(t *testing.T) {
	stuck := frozenProcess(t)
	dir := t.TempDir()
	logFile := filepath.Join(dir, "rep.stdout.log")
	var lines []string
	for i := 0; i < 2000; i++ {
		lines = append(lines, fmt.Sprintf("rep log line %04d", i))
	}
	if err := os.WriteFile(logFile, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := evidence.Collector{
		Dir:       filepath.Join(dir, "evidence"),
		LogFiles:  []string{logFile, filepath.Join(dir, "missing.log")},
		TailBytes: 1000,
		Containers: func(context.Context) (any, error) {
			return []map[string]string{{"handle": "keep-me", "log_config": `{"guid":"app-1"}`}}, nil
		},
		ActualLRPs: func(context.Context) (any, error) { return nil, errors.New("bbs not configured") },
		Logger:     lager.NewLogger("test"),
	}
	b, err := c.Capture(context.Background(), "cell-1-op-1")
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(b.Path)
	if err != nil || st.Size() != b.Bytes || !strings.HasPrefix(filepath.Base(b.Path), "cell-1-op-1-") {
		t.Fatalf("bundle %+v on disk: %v %v", b, st, err)
	}
	files := readBundle(t, b.Path)
	if !strings.Contains(string(files["processes.txt"]), fmt.Sprintf("\n%-8d", os.Getpid())) {
		t.Fatalf("process table lacks the test's own pid:\n%.500s", files["processes.txt"])
	}
	var ds []evidence.DProcess
	if err := json.Unmarshal(files["d-state.json"], &ds); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range ds {
		if d.Pid == stuck {
			found = d.Comm == "sleep" && d.Stack != "" && strings.Contains(d.Cgroup, "freezer:/evidence-test-")
		}
	}
	if !found {
		t.Fatalf("frozen pid %d missing or incomplete in d-state.json: %s", stuck, files["d-state.json"])
	}
	if !strings.Contains(string(files["mounts.txt"]), " / ") {
		t.Fatalf("mounts.txt = %.200s", files["mounts.txt"])
	}
	if !strings.Contains(string(files["containers.json"]), "keep-me") {
		t.Fatalf("containers.json = %s", files["containers.json"])
	}
	var tail []byte
	for name, content := range files {
		if strings.HasPrefix(name, "logs/") && strings.HasSuffix(name, "rep.stdout.log") {
			tail = content
		}
	}
	if len(tail) != 1000 || !strings.HasSuffix(string(tail), "rep log line 1999\n") || strings.Contains(string(tail), "line 0000") {
		t.Fatalf("log tail (%d bytes) is not the last 1000 bytes: %q", len(tail), tail)
	}
	var manifest evidence.Bundle
	if err := json.Unmarshal(files[evidence.ManifestName], &manifest); err != nil {
		t.Fatal(err)
	}
	notes := strings.Join(manifest.Notes, "\n")
	for _, want := range []string{"actual-lrps.json: bbs not configured", "missing.log", "d-state-poller.json"} {
		if !strings.Contains(notes, want) {
			t.Fatalf("manifest notes lack %q:\n%s", want, notes)
		}
	}
}

func TestTheSizeCapCutsLogsAndSaysSo(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "garden.stdout.log")
	noise := make([]byte, 2<<20) // random bytes do not compress
	if _, err := rand.Read(noise); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, noise, 0o644); err != nil {
		t.Fatal(err)
	}
	const maxBytes = 256 << 10
	c := evidence.Collector{Dir: dir, MaxBytes: maxBytes, LogFiles: []string{big, big}, TailBytes: 2 << 20, Logger: lager.NewLogger("test")}
	b, err := c.Capture(context.Background(), "capped")
	if err != nil {
		t.Fatal(err)
	}
	if b.Bytes > maxBytes {
		t.Fatalf("bundle is %d bytes, cap %d", b.Bytes, maxBytes)
	}
	if len(b.Truncated) == 0 || !strings.Contains(strings.Join(b.Truncated, "\n"), "garden.stdout.log") {
		t.Fatalf("truncation not reported: %+v", b)
	}
	files := readBundle(t, b.Path)
	if _, ok := files[evidence.ManifestName]; !ok {
		t.Fatal("capped bundle lacks its manifest")
	}
	if _, ok := files["processes.txt"]; !ok {
		t.Fatal("the cap dropped the process table before the logs")
	}
}
