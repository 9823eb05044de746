package director_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	boshdir "github.com/cloudfoundry/bosh-cli/v7/director"

	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
)

// killedAfterCloudWrite stands for the errand killed right after its
// cloud-config write: every later write fails, the record's included.
type killedAfterCloudWrite struct {
	boshdir.Director
	mu   *sync.Mutex
	dead *bool
}

func (k *killedAfterCloudWrite) UpdateConfig(typ, name, id string, c []byte) (boshdir.Config, error) {
	k.mu.Lock()
	dead := *k.dead
	k.mu.Unlock()
	if dead {
		return boshdir.Config{}, errKilled
	}
	cfg, err := k.Director.UpdateConfig(typ, name, id, c)
	if err == nil && typ == "cloud" {
		k.mu.Lock()
		*k.dead = true
		k.mu.Unlock()
	}
	return cfg, err
}

func (k *killedAfterCloudWrite) DeleteConfig(typ, name string) (bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if *k.dead {
		return false, errKilled
	}
	return k.Director.DeleteConfig(typ, name)
}

func (k *killedAfterCloudWrite) WithContext(id string) boshdir.Director {
	return &killedAfterCloudWrite{Director: k.Director.WithContext(id), mu: k.mu, dead: k.dead}
}

// Release gives the operator's cloud config back as it was written: no
// `reserved: []` where there was no key, even when the run that reserved
// the IP was killed before it could record that it created the key; a
// single string stays a string. And a released record no longer reads as
// a kept VM and a reserved IP.
func TestReleaseGivesTheOperatorsCloudConfigBackAsWritten(t *testing.T) {
	noKey := strings.Replace(cellsCloudConfig, "    reserved: [127.0.24.1 - 127.0.24.9]\n", "", 1)
	asString := strings.Replace(cellsCloudConfig, "reserved: [127.0.24.1 - 127.0.24.9]", "reserved: 127.0.24.1 - 127.0.24.9 # gateway and friends", 1)
	for _, tc := range []struct {
		name   string
		config string
		killed bool
	}{
		{"no reserved key, the run killed after its cloud config write", noKey, true},
		{"no reserved key", noKey, false},
		{"a single string, the run killed after its cloud config write", asString, true},
		{"a single string", asString, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.config == cellsCloudConfig {
				t.Fatal("the test's cloud config edit matched nothing")
			}
			l := newLab(t, 30*time.Millisecond)
			if _, err := l.sim.SetCloudConfig(cellsConfigName, tc.config); err != nil {
				t.Fatal(err)
			}
			if _, err := l.sim.Deploy(cfManifest); err != nil {
				t.Fatal(err)
			}
			l.snapshot()
			tgt := l.target()
			if tc.killed {
				var mu sync.Mutex
				dead := false
				l.dirWrap = func(d boshdir.Director) boshdir.Director {
					return &killedAfterCloudWrite{Director: d, mu: &mu, dead: &dead}
				}
				if _, err := l.flow("diego-cell/"+tgt.ID, keepSuspects()).Run(withDeadline(t)); err == nil {
					t.Fatal("the killed run succeeded")
				}
				if !dead {
					t.Fatal("the run was never killed after a cloud config write")
				}
			}
			l.rerunCompletes(tgt.ID)
			adm := &director.Admin{Dir: l.conn.Director, Raw: l.conn.Raw, Store: record.NewStore(l.conn.Director, "", l.logger), Logger: l.logger}
			if _, err := adm.Release(context.Background(), "cf", "diego-cell/"+tgt.ID); err != nil {
				t.Fatalf("release: %v", err)
			}
			cfg, err := l.conn.Director.LatestConfig("cloud", cellsConfigName)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Content != tc.config {
				t.Fatalf("cloud config after release\n--- got\n%s\n--- want\n%s", cfg.Content, tc.config)
			}
			rep, err := adm.Status("cf", "diego-cell/"+tgt.ID)
			if err != nil {
				t.Fatal(err)
			}
			var text bytes.Buffer
			rep.WriteText(&text)
			for _, stale := range []string{"kept alive", "reserved in cloud config"} {
				if strings.Contains(text.String(), stale) {
					t.Fatalf("the released record's status says %q:\n%s", stale, text.String())
				}
			}
			if !strings.Contains(text.String(), "deleted on release") {
				t.Fatalf("the released record's status does not say the VM was deleted:\n%s", text.String())
			}
		})
	}
}
