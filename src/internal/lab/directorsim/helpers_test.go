package directorsim_test

import (
	"strings"
	"testing"
	"time"

	boshdir "github.com/cloudfoundry/bosh-cli/v7/director"
	boshlog "github.com/cloudfoundry/bosh-utils/logger"

	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/directorsim"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/scenario"
)

// The platform's cloud configs (the cells' network in a named config of
// its own, next to a default one, as operators split them) and the cf
// deployment: the lab's (package scenario).
const (
	defaultCloudConfig = scenario.DefaultCloudConfig
	cellsCloudConfig   = scenario.CellsCloudConfig
)

var cfManifest = scenario.Manifest(3)

// newSim starts a simulator with the cf deployment deployed and short lock
// waits, closed at the end of the test.
func newSim(t *testing.T, opts directorsim.Options) *directorsim.Simulator {
	t.Helper()
	if opts.LockWait == 0 {
		opts.LockWait = 300 * time.Millisecond
	}
	sim, err := directorsim.New(opts)
	if err != nil {
		t.Fatalf("starting simulator: %v", err)
	}
	t.Cleanup(sim.Close)
	mustSetCloudConfig(t, sim, "default", defaultCloudConfig)
	mustSetCloudConfig(t, sim, "cells", cellsCloudConfig)
	if _, err := sim.Deploy(cfManifest); err != nil {
		t.Fatalf("deploying cf: %v", err)
	}
	return sim
}

func mustSetCloudConfig(t *testing.T, sim *directorsim.Simulator, name, content string) string {
	t.Helper()
	id, err := sim.SetCloudConfig(name, content)
	if err != nil {
		t.Fatalf("setting cloud config %s: %v", name, err)
	}
	return id
}

// newDirector builds a client the way the bosh CLI does (bosh-cli:
// cmd/session.go, SessionImpl.Director).
func newDirector(t *testing.T, sim *directorsim.Simulator) boshdir.Director {
	t.Helper()
	cfg, err := boshdir.NewConfigFromURL(sim.URL())
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	cfg.CACert = string(sim.CACertPEM())
	cfg.Client, cfg.ClientSecret = sim.ClientCredentials()
	logger := boshlog.NewLogger(boshlog.LevelNone)
	dir, err := boshdir.NewFactory(logger).New(cfg, boshdir.NewNoopTaskReporter(), boshdir.NewNoopFileReporter())
	if err != nil {
		t.Fatalf("director: %v", err)
	}
	return dir
}

func cfDeployment(t *testing.T, dir boshdir.Director) boshdir.Deployment {
	t.Helper()
	dep, err := dir.FindDeployment("cf")
	if err != nil {
		t.Fatalf("finding cf: %v", err)
	}
	return dep
}

func cell(t *testing.T, sim *directorsim.Simulator, index string) directorsim.Instance {
	t.Helper()
	inst, ok := sim.Instance("cf", "diego-cell", index)
	if !ok {
		t.Fatalf("no diego-cell/%s", index)
	}
	return inst
}

func mustContain(t *testing.T, what, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Fatalf("%s: want it to contain %q, got:\n%s", what, want, got)
	}
}

// withReserved returns the cells cloud config with ip added to reserved.
func withReserved(ip string) string {
	return strings.Replace(cellsCloudConfig, "reserved: [127.0.24.1 - 127.0.24.9]", "reserved: [127.0.24.1 - 127.0.24.9, "+ip+"]", 1)
}
