package agent

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/config"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/gardenrunc/gardenrunctest"
)

// With garden.socket empty on purpose runc is the backend by design: the
// inventory does not warn that garden does not answer, and the choice is
// logged at Info once, not on every request. A garden that stops
// answering still warns, and the fallback is logged when it happens.
func TestTheBackendChoiceIsLoggedOnceAndRuncByDesignIsNoWarning(t *testing.T) {
	f := gardenrunctest.Start(t, gardenrunc.Options{})
	if _, err := f.Create(gardenrunc.Spec{AppGUID: "app"}); err != nil {
		t.Fatal(err)
	}
	creds := filepath.Join(t.TempDir(), "monit.user")
	if err := os.WriteFile(creds, []byte("vcap:pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name        string
		socket      string
		wedge       bool
		wantWarning bool
		wantReason  string
	}{
		{"runc only, garden off on purpose", "", false, false, "no garden socket configured"},
		{"garden configured and wedged", f.Socket(), true, true, "garden did not answer ping"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.wedge {
				if err := f.Wedge(); err != nil {
					t.Fatal(err)
				}
				defer func() { _ = f.Unwedge() }()
			}
			var logs syncLog
			logger := lager.NewLogger("agent")
			logger.RegisterSink(lager.NewWriterSink(&logs, lager.INFO))
			cfg := config.Agent{
				CellID: "cell-1", StateDir: t.TempDir(),
				Monit:  config.Monit{CredentialsFile: creds, RouteEmitterService: "route_emitter", RepService: "rep"},
				Garden: config.Garden{Socket: tc.socket, DepotPath: f.DepotPath()},
				Runc:   config.Runc{Root: f.RuncRoot()},
			}
			w, err := FromConfig(logger, cfg)
			if err != nil {
				t.Fatal(err)
			}
			a, err := New(w.Deps)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			for i := 0; i < 2; i++ {
				inv, err := a.Inventory(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				warned := strings.Contains(strings.Join(inv.Warnings, "\n"), "garden does not answer")
				if warned != tc.wantWarning {
					t.Fatalf("inventory %d warnings = %q; want a garden warning: %v", i, inv.Warnings, tc.wantWarning)
				}
			}
			if n := strings.Count(logs.String(), `select-backend.backend-selected"`); n != 1 {
				t.Fatalf("backend-selected logged %d times at Info over 2 inventories, want once:\n%s", n, logs.String())
			}
			if !strings.Contains(logs.String(), tc.wantReason) {
				t.Fatalf("the choice's reason %q is not logged:\n%s", tc.wantReason, logs.String())
			}
		})
	}
}

type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncLog) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncLog) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
