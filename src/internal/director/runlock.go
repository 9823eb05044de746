package director

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"code.cloudfoundry.org/lager/v3"
	boshdir "github.com/cloudfoundry/bosh-cli/v7/director"

	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

// RunLockName is the one name of the run lock: every run on a director,
// whatever the deployment, takes the same lock, since max_sequestered
// counts every deployment's records.
const RunLockName = "sequester"

// DefaultRunLockTTL bounds a lock whose run died without removing it. The
// lock spans preflight and the record's creation only: afterwards the
// record itself counts against max_sequestered.
const DefaultRunLockTTL = 10 * time.Minute

// runLock is the content of the lock config.
type runLock struct {
	Token       string    `json:"token"`
	Deployment  string    `json:"deployment"`
	Instance    string    `json:"instance"`
	RequestedBy string    `json:"requested_by,omitempty"`
	AcquiredAt  time.Time `json:"acquired_at"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// lockLimits takes the run lock and checks the limits again under it,
// with the records as they are now: preflight's check ran unlocked, and
// another run may have created its record since. A resumed run adds no
// record and takes no lock. The returned function releases the lock.
func (f *Flow) lockLimits(logger lager.Logger, t *target) (func(), error) {
	if t.resumeOnly {
		return func() {}, nil
	}
	unlock, err := f.acquireRunLock(logger)
	if err != nil {
		return nil, err
	}
	all, err := f.Store.List()
	if err == nil {
		err = f.limitsProblem(all, f.Opts.Deployment, t.id)
		if err != nil {
			err = refusal.New(err)
		}
	}
	if err != nil {
		unlock()
		return nil, err
	}
	return unlock, nil
}

// acquireRunLock takes the director-kept lock that makes preflight and the
// record's creation one step across operators: two runs checking
// max_sequestered at the same instant would each see room for one more.
// The lock is a config created with expected_latest_id "0", which the
// director refuses with 412 when the config exists (bosh:
// configs_controller.rb). An expired lock (its run died) is taken over
// with the id it was read at, so two runs cannot both take it over. The
// returned function removes the lock if it is still ours; it is safe to
// call more than once.
func (f *Flow) acquireRunLock(logger lager.Logger) (func(), error) {
	typ := f.Store.Type() + "-lock"
	ttl := f.Opts.RunLockTTL
	if ttl <= 0 {
		ttl = DefaultRunLockTTL
	}
	now := f.now()
	mine := runLock{
		Token: record.NewID(), Deployment: f.Opts.Deployment, Instance: f.Opts.Instance,
		RequestedBy: f.Opts.RequestedBy, AcquiredAt: now, ExpiresAt: now.Add(ttl),
	}
	content, err := json.Marshal(mine)
	if err != nil {
		return nil, err
	}
	_, err = f.Dir.UpdateConfig(typ, RunLockName, "0", content)
	if record.IsConfigConflict(err) {
		err = f.takeOverLock(typ, content)
	}
	if err != nil {
		if refusal.Is(err) {
			return nil, err
		}
		// The lock is how the record is created: a failure here is the
		// record step's, and nothing has changed.
		return nil, fmt.Errorf("create the sequestration record: take the sequester run lock: %w", err)
	}
	logger.Info("run-lock-acquired", lager.Data{"config_type": typ, "expires_at": mine.ExpiresAt})
	released := false
	return func() {
		if released {
			return
		}
		released = true
		f.releaseRunLock(logger, typ, mine.Token)
	}, nil
}

// takeOverLock takes a lock that has expired, or that a run of this same
// instance left behind (killed before its record existed: the re-run is
// that run; two runs of one instance at once still meet at the record,
// which only one can create).
func (f *Flow) takeOverLock(typ string, content []byte) error {
	cur, err := f.latestLock(typ)
	if err != nil {
		return err
	}
	var held runLock
	if cur.ID != "" {
		if err := json.Unmarshal([]byte(cur.Content), &held); err != nil {
			return fmt.Errorf("read the sequester run lock (config %s/%s): %w", typ, RunLockName, err)
		}
		same := held.Deployment == f.Opts.Deployment && held.Instance == f.Opts.Instance
		if !same && f.now().Before(held.ExpiresAt) {
			return refusal.New(fmt.Errorf("another sequestration is starting: %s:%s (requested by %q at %s) holds the sequester run lock until %s; run again when it has started, or after %s if its run died (`bosh delete-config --type %s --name %s` removes a lock you know is stale)",
				held.Deployment, held.Instance, held.RequestedBy, held.AcquiredAt.Format(time.RFC3339), held.ExpiresAt.Format(time.RFC3339),
				held.ExpiresAt.Format(time.RFC3339), typ, RunLockName))
		}
	}
	expected := cur.ID
	if expected == "" {
		expected = "0" // removed between our create and our read
	}
	if _, err := f.Dir.UpdateConfig(typ, RunLockName, expected, content); err != nil {
		if record.IsConfigConflict(err) {
			return refusal.New(errors.New("another sequestration took the sequester run lock at the same instant; run again in a moment"))
		}
		return fmt.Errorf("take over the expired sequester run lock of %s:%s: %w", held.Deployment, held.Instance, err)
	}
	return nil
}

func (f *Flow) latestLock(typ string) (boshdir.Config, error) {
	cfgs, err := f.Dir.ListConfigs(1, boshdir.ConfigsFilter{Type: typ, Name: RunLockName})
	if err != nil {
		return boshdir.Config{}, fmt.Errorf("read the sequester run lock: %w", err)
	}
	if len(cfgs) == 0 {
		return boshdir.Config{}, nil
	}
	return cfgs[0], nil
}

// releaseRunLock deletes the lock if it still holds our token. A failure
// only delays the next run until the lock expires, so it is logged, not
// returned.
func (f *Flow) releaseRunLock(logger lager.Logger, typ, token string) {
	cur, err := f.latestLock(typ)
	if err != nil {
		logger.Error("run-lock-release-failed", err)
		return
	}
	var held runLock
	if cur.ID == "" || json.Unmarshal([]byte(cur.Content), &held) != nil || held.Token != token {
		logger.Info("run-lock-not-ours", lager.Data{"config_type": typ})
		return
	}
	// One retry: a lock left behind holds other runs off until it expires.
	if _, err := f.Dir.DeleteConfig(typ, RunLockName); err != nil {
		if _, err = f.Dir.DeleteConfig(typ, RunLockName); err != nil {
			logger.Error("run-lock-release-failed", err, lager.Data{"expires_in": "the lock expires on its own"})
			return
		}
	}
	logger.Info("run-lock-released", lager.Data{"config_type": typ})
}
