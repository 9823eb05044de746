package evidence_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/evidence"
)

// A job that writes its own log directory can swap its log for a link to a
// secret, and anyone who can write the evidence directory can plant a link
// under the next bundle's name: the root agent must neither read the
// secret into a bundle investigators download nor write a bundle over the
// link's target.
func TestCaptureFollowsNoSymbolicLink(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "shadow")
	must(t, os.WriteFile(secret, []byte("root:$6$secret-hash"), 0o600))
	logs := t.TempDir()
	linkedLog := filepath.Join(logs, "route_emitter.stdout.log")
	must(t, os.Symlink(secret, linkedLog))
	realLog := filepath.Join(logs, "rep.stdout.log")
	must(t, os.WriteFile(realLog, []byte("rep log line"), 0o600))

	dir := filepath.Join(t.TempDir(), "evidence")
	must(t, os.MkdirAll(dir, 0o700))
	at := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	planted := filepath.Join(dir, "cell-1-op-1-20261130T080000Z.tar.gz")
	must(t, os.Symlink(secret, planted))

	c := evidence.Collector{Dir: dir, MaxBytes: 4 << 20, LogFiles: []string{linkedLog, realLog},
		Logger: lager.NewLogger("test"), Now: func() time.Time { return at }}
	b, err := c.Capture(context.Background(), "cell-1-op-1")
	if err != nil {
		t.Fatal(err)
	}
	if b.Path != planted {
		t.Fatalf("bundle at %s, want %s", b.Path, planted)
	}
	if got, _ := os.ReadFile(secret); string(got) != "root:$6$secret-hash" {
		t.Fatalf("the bundle was written through the planted link: the secret now reads %q", got)
	}
	if st, err := os.Lstat(planted); err != nil || !st.Mode().IsRegular() {
		t.Fatalf("the bundle did not replace the planted link: %v, %v", st, err)
	}
	files := readBundle(t, b.Path)
	for name, body := range files {
		if strings.Contains(string(body), "secret-hash") {
			t.Fatalf("bundle entry %s holds the link's target", name)
		}
	}
	if string(files["logs/"+strings.TrimPrefix(strings.ReplaceAll(realLog, "/", "_"), "_")]) != "rep log line" {
		t.Fatalf("the regular log was not captured: %v", b.Entries)
	}
	if notes := strings.Join(b.Notes, "\n"); !strings.Contains(notes, linkedLog+" is a symbolic link") {
		t.Fatalf("the bundle does not say why the linked log is missing: %q", notes)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
