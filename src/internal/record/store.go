package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"code.cloudfoundry.org/lager/v3"
	boshdir "github.com/cloudfoundry/bosh-cli/v7/director"
)

// ConfigAPI is the part of bosh-cli's director.Director the store uses.
type ConfigAPI interface {
	ListConfigs(limit int, filter boshdir.ConfigsFilter) ([]boshdir.Config, error)
	UpdateConfig(configType, name, expectedLatestID string, content []byte) (boshdir.Config, error)
}

// ErrConflict is a 412 that outlived every retry.
var ErrConflict = errors.New("sequestration record changed concurrently on every attempt")

// ErrNotFound: no record for the instance.
var ErrNotFound = errors.New("no sequestration record")

// Store reads and writes records.
type Store struct {
	api    ConfigAPI
	typ    string
	logger lager.Logger
	// Attempts bounds the read-merge-write loop on 412.
	Attempts int
	now      func() time.Time

	// cache is the last version this store wrote or read per name: an
	// update starts from it and re-reads only on a 412, which halves the
	// requests of a run that saves the record at every step.
	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	id      string
	content []byte
}

func NewStore(api ConfigAPI, configType string, logger lager.Logger) *Store {
	if configType == "" {
		configType = DefaultType
	}
	return &Store{api: api, typ: configType, logger: logger.Session("record-store"), Attempts: 5, now: time.Now, cache: map[string]cached{}}
}

// Type is the config type the records are stored under; the run lock
// lives under the same type with "-lock" appended.
func (s *Store) Type() string { return s.typ }

// Name is the config name of an instance's record. Deployment names and
// instance ids carry no "/", so the name is unique and readable.
func Name(deployment, instanceID string) string { return deployment + "." + instanceID }

// Get returns the latest record of an instance and its config id.
func (s *Store) Get(deployment, instanceID string) (Record, string, error) {
	cfgs, err := s.api.ListConfigs(1, boshdir.ConfigsFilter{Type: s.typ, Name: Name(deployment, instanceID)})
	if err != nil {
		return Record{}, "", fmt.Errorf("read sequestration record %s: %w", Name(deployment, instanceID), err)
	}
	for _, c := range cfgs {
		if c.Name != Name(deployment, instanceID) {
			continue
		}
		var r Record
		if err := json.Unmarshal([]byte(c.Content), &r); err != nil {
			return Record{}, "", fmt.Errorf("parse sequestration record %s (config %s): %w", c.Name, c.ID, err)
		}
		s.remember(c.Name, c.ID, []byte(c.Content))
		return r, c.ID, nil
	}
	return Record{}, "", fmt.Errorf("%s: %w", Name(deployment, instanceID), ErrNotFound)
}

// List returns the latest version of every record, oldest first.
func (s *Store) List() ([]Record, error) {
	cfgs, err := s.api.ListConfigs(1, boshdir.ConfigsFilter{Type: s.typ})
	if err != nil {
		return nil, fmt.Errorf("list sequestration records: %w", err)
	}
	var out []Record
	seen := map[string]bool{}
	for _, c := range cfgs {
		if c.Type != "" && c.Type != s.typ || seen[c.Name] {
			continue
		}
		seen[c.Name] = true
		var r Record
		if err := json.Unmarshal([]byte(c.Content), &r); err != nil {
			return nil, fmt.Errorf("parse sequestration record %s (config %s): %w", c.Name, c.ID, err)
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, nil
}

// Create writes a new record. It fails with ErrConflict when another writer
// created one for the same instance in between.
func (s *Store) Create(r Record) (Record, error) {
	now := s.now().UTC()
	if r.ID == "" {
		r.ID = NewID()
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	r.UpdatedAt = now
	if r.State == "" {
		r.State = StateInProgress
	}
	_, _, err := s.Get(r.Deployment, r.InstanceID)
	if err == nil {
		return Record{}, fmt.Errorf("create %s: %w", Name(r.Deployment, r.InstanceID), ErrConflict)
	}
	if !errors.Is(err, ErrNotFound) {
		return Record{}, err
	}
	// "0" is the director's id of a config that does not exist yet: a
	// concurrent creator between the Get and this write gets a 412, not a
	// silent overwrite.
	if conflict, err := s.write(r, "0"); conflict {
		return Record{}, fmt.Errorf("create %s: %w (%v)", Name(r.Deployment, r.InstanceID), ErrConflict, err)
	} else if err != nil {
		return Record{}, err
	}
	s.logger.Info("record-created", lager.Data{"record_id": r.ID, "name": Name(r.Deployment, r.InstanceID)})
	return r, nil
}

// Update applies mutate to the latest record and writes it with
// expected_latest_id. On a 412 it re-reads and re-applies mutate to the
// newer record (mutate sets only the fields it owns, so the other writer's
// fields survive), at most Attempts times.
func (s *Store) Update(deployment, instanceID string, mutate func(*Record) error) (Record, error) {
	var lastErr error
	name := Name(deployment, instanceID)
	for attempt := 1; attempt <= s.Attempts; attempt++ {
		r, id, ok := s.recall(name)
		if !ok || attempt > 1 {
			var err error
			if r, id, err = s.Get(deployment, instanceID); err != nil {
				return Record{}, err
			}
		}
		if err := mutate(&r); err != nil {
			return Record{}, err
		}
		r.UpdatedAt = s.now().UTC()
		conflict, err := s.write(r, id)
		if err == nil {
			return r, nil
		}
		if !conflict {
			return Record{}, err
		}
		lastErr = err
		s.logger.Info("record-update-conflict", lager.Data{"record_id": r.ID, "attempt": attempt, "expected_latest_id": id})
	}
	return Record{}, fmt.Errorf("update %s: %w (last: %v)", Name(deployment, instanceID), ErrConflict, lastErr)
}

func (s *Store) remember(name, id string, content []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" {
		delete(s.cache, name)
		return
	}
	s.cache[name] = cached{id: id, content: content}
}

// recall returns a fresh copy of the cached record.
func (s *Store) recall(name string) (Record, string, bool) {
	s.mu.Lock()
	c, ok := s.cache[name]
	s.mu.Unlock()
	var r Record
	if !ok || json.Unmarshal(c.content, &r) != nil {
		return Record{}, "", false
	}
	return r, c.id, true
}

// IsConfigConflict reports a 412 on POST /configs: another writer updated
// the config since the expected_latest_id was read. bosh-cli turns the 412
// into this text and keeps no status code.
func IsConfigConflict(err error) bool {
	return err != nil && strings.Contains(err.Error(), "Config update rejected")
}

func (s *Store) write(r Record, expectedID string) (conflict bool, err error) {
	content, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return false, err
	}
	name := Name(r.Deployment, r.InstanceID)
	cfg, err := s.api.UpdateConfig(s.typ, name, expectedID, content)
	if err == nil {
		s.remember(name, cfg.ID, content)
	} else {
		s.remember(name, "", nil)
	}
	if err != nil {
		if IsConfigConflict(err) {
			return true, err
		}
		return false, fmt.Errorf("write sequestration record %s: %w", Name(r.Deployment, r.InstanceID), err)
	}
	return false, nil
}
