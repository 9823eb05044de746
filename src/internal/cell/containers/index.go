package containers

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
)

// Index remembers the containers (app guid, index, properties,
// pids) as the backend last listed them, so metrics labels and the
// health figures name apps without listing containers on every scrape;
// listing asks garden and reads /proc, either of which can hang on a
// sick cell, so every refresh has a deadline.
type Index struct {
	Backend func(ctx context.Context) (Backend, error)
	Timeout time.Duration
	Logger  lager.Logger

	mu         sync.Mutex
	byHandle   map[string]agentapi.Container
	refreshing chan struct{}
	lastErr    error
	lastTry    time.Time
}

// minRefreshGap keeps an unknown handle (a host cgroup that merely looks
// like a container) from making every scrape list the containers.
const minRefreshGap = 30 * time.Second

// Lookup answers from memory, never blocking.
func (x *Index) Lookup(handle string) (agentapi.Container, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	c, ok := x.byHandle[handle]
	if !ok && time.Since(x.lastTry) > minRefreshGap {
		x.startLocked()
	}
	return c, ok
}

// AppOf is Lookup's app guid.
func (x *Index) AppOf(handle string) string {
	c, _ := x.Lookup(handle)
	return c.AppGUID
}

// Refresh starts a refresh in the background unless one is under way.
func (x *Index) Refresh() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.startLocked()
}

// Get returns handle's container, listing the containers once more
// (bounded) if it is unknown or was listed without its app: garden
// leaves out the properties of a container whose info failed.
func (x *Index) Get(ctx context.Context, handle string) (agentapi.Container, error) {
	x.mu.Lock()
	if c, ok := x.byHandle[handle]; ok && c.AppGUID != "" {
		x.mu.Unlock()
		return c, nil
	}
	done := x.startLocked()
	x.mu.Unlock()
	t := time.NewTimer(x.timeout())
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		return agentapi.Container{}, fmt.Errorf("listing containers took longer than %s", x.timeout())
	case <-ctx.Done():
		return agentapi.Container{}, ctx.Err()
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if c, ok := x.byHandle[handle]; ok {
		return c, nil
	}
	if x.lastErr != nil {
		return agentapi.Container{}, fmt.Errorf("list containers: %w", x.lastErr)
	}
	return agentapi.Container{}, fmt.Errorf("container %s: %w", handle, ErrNotListed)
}

// ErrNotListed: the backend listed its containers and this one is not
// among them (a cgroup under garden/ that this cell's garden does not
// run).
var ErrNotListed = errors.New("not listed by the backend")

func (x *Index) timeout() time.Duration {
	if x.Timeout > 0 {
		return x.Timeout
	}
	return 10 * time.Second
}

// startLocked starts one refresh; a refresh stuck in garden or /proc
// stays the only one, and callers wait on it with their own deadline.
func (x *Index) startLocked() chan struct{} {
	if x.refreshing != nil {
		return x.refreshing
	}
	done := make(chan struct{})
	x.refreshing = done
	x.lastTry = time.Now()
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(context.Background(), x.timeout())
		defer cancel()
		var cs []agentapi.Container
		b, err := x.Backend(ctx)
		if err == nil {
			cs, err = b.List(ctx)
		}
		x.mu.Lock()
		defer x.mu.Unlock()
		x.refreshing = nil
		x.lastErr = err
		if err != nil {
			if x.Logger != nil {
				x.Logger.Debug("container-index-refresh-failed", lager.Data{"error": err.Error()})
			}
			return
		}
		next := make(map[string]agentapi.Container, len(cs))
		for _, c := range cs {
			next[c.Handle] = c
		}
		x.byHandle = next
	}()
	return done
}
