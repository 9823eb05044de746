package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// On the cell without the network, the status lists the first-responder
// bundles too: they are the evidence of the moment the cell went wrong.
func TestStatusLocalListsFirstResponderBundles(t *testing.T) {
	state := t.TempDir()
	frDir := filepath.Join(t.TempDir(), "first-responder")
	if err := os.MkdirAll(frDir, 0o700); err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(frDir, "first-responder-2f3c1d2e-aaaa-4bbb-8ccc-123456789abc-20261130T080000.000Z.tar.gz")
	if err := os.WriteFile(bundle, []byte("bundle"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "agent.json")
	b, _ := json.Marshal(map[string]any{"cell_id": "cell-9", "state_dir": state, "first_responder": map[string]any{"enabled": true, "dir": frDir}})
	if err := os.WriteFile(cfg, b, 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	root := newRootCommand()
	root.SetOut(&out)
	root.SetErr(&out)
	if code := execute(root, []string{"status", "--local", "--config", cfg}); code != exitOK {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	if !strings.Contains(out.String(), "first-responder bundles (1):") || !strings.Contains(out.String(), "2f3c1d2e-aaaa-4bbb-8ccc-123456789abc  "+bundle) {
		t.Fatalf("output does not list the bundle:\n%s", out.String())
	}
}
