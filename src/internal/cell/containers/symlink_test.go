package containers_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc/gardenrunctest"
)

// The runc backend removes a pruned container's depot entry. Garden's
// depot is not the agent's: an entry that is a link, or holds one, must
// lose the link and leave what it points to alone.
func TestRuncDestroyRemovesNothingThroughALinkInTheDepot(t *testing.T) {
	f := gardenrunctest.Start(t, gardenrunc.Options{})
	hs, err := f.Create(gardenrunc.Spec{AppGUID: "app-a"}, gardenrunc.Spec{AppGUID: "app-b"})
	if err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	canary := filepath.Join(outside, "canary")
	if err := os.WriteFile(canary, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	// hs[0]'s depot entry becomes a link to a directory outside.
	entry := filepath.Join(f.DepotPath(), hs[0])
	moved := filepath.Join(outside, "bundle-"+hs[0])
	if err := os.Rename(entry, moved); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(moved, entry); err != nil {
		t.Fatal(err)
	}
	// hs[1]'s depot entry holds a link to the outside directory.
	if err := os.Symlink(outside, filepath.Join(f.DepotPath(), hs[1], "rootfs-link")); err != nil {
		t.Fatal(err)
	}
	_, r := backends(t, f)
	for _, h := range hs {
		if _, err := r.Destroy(context.Background(), h); err != nil {
			t.Fatalf("destroy %s: %v", h, err)
		}
		if _, err := os.Lstat(filepath.Join(f.DepotPath(), h)); !os.IsNotExist(err) {
			t.Fatalf("depot entry %s remains: %v", h, err)
		}
	}
	if b, err := os.ReadFile(canary); err != nil || string(b) != "keep me" {
		t.Fatalf("a file behind a depot link was removed: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(moved, "config.json")); err != nil {
		t.Fatalf("the linked bundle directory was emptied: %v", err)
	}
}
