package containers

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
)

// Default deadlines of the calls a prune makes per container. Garden
// hanging on a delete (garden-runc-release#121) and runc hanging on a
// freezer stuck in FREEZING (#99) are known failures of a sick cell.
const (
	DefaultGardenDestroyDeadline = 30 * time.Second
	DefaultRuncDeadline          = 30 * time.Second
)

// Fallbacks is what a backend that falls back tells about the containers
// it handled another way than asked, by handle, in a sentence each.
type Fallbacks interface {
	Fallbacks() map[string]string
}

// GardenWithRuncFallback lists and destroys through garden; a container
// whose destroy garden does not finish within its deadline (or fails) is
// destroyed through runc instead, itself within a deadline. Its Name is
// garden's: the runc fallback is per container, and Fallbacks names them.
type GardenWithRuncFallback struct {
	garden *Garden
	runc   *BoundedRunc
	logger lager.Logger
	// GardenDeadline bounds garden's destroy of one container.
	GardenDeadline time.Duration

	mu        sync.Mutex
	fallbacks map[string]string
	// throughRunc are the handles runc destroyed: garden still lists its
	// record of them, so only runc's list tells whether they are gone.
	throughRunc map[string]bool
}

var (
	_ Backend   = (*GardenWithRuncFallback)(nil)
	_ Fallbacks = (*GardenWithRuncFallback)(nil)
)

// NewGardenWithRuncFallback joins the two backends; zero deadlines take
// the defaults.
func NewGardenWithRuncFallback(logger lager.Logger, g *Garden, r *Runc, gardenDeadline, runcDeadline time.Duration) *GardenWithRuncFallback {
	if gardenDeadline <= 0 {
		gardenDeadline = DefaultGardenDestroyDeadline
	}
	return &GardenWithRuncFallback{
		garden: g, runc: NewBoundedRunc(r, runcDeadline), GardenDeadline: gardenDeadline,
		logger: logger.Session("garden-with-runc-fallback"), fallbacks: map[string]string{}, throughRunc: map[string]bool{},
	}
}

func (f *GardenWithRuncFallback) Name() string { return BackendGarden }

// List asks garden within GardenDeadline and, when garden does not answer
// or fails, lists through runc: a prune must see what is left even while
// garden hangs.
func (f *GardenWithRuncFallback) List(ctx context.Context) ([]agentapi.Container, error) {
	gctx, cancel := context.WithTimeout(ctx, f.GardenDeadline)
	cs, err := f.garden.List(gctx)
	cancel()
	if err == nil {
		return f.withoutRuncDestroyed(ctx, cs), nil
	}
	if ctx.Err() != nil {
		return cs, err
	}
	f.logger.Info("listing-through-runc", lager.Data{"reason": err.Error()})
	out, rerr := f.runc.List(ctx)
	if rerr != nil {
		return nil, fmt.Errorf("%w; runc fallback: %v", err, rerr)
	}
	return out, nil
}

// Freeze goes through garden's freezer, runc, within runc's deadline.
func (f *GardenWithRuncFallback) Freeze(ctx context.Context, handle string) error {
	return f.runc.Freeze(ctx, handle)
}

// Destroy asks garden first; garden answering with an error or not at all
// within GardenDeadline hands the container to runc, which leaves behind
// what only garden frees (the leftovers say what).
func (f *GardenWithRuncFallback) Destroy(ctx context.Context, handle string) ([]string, error) {
	gctx, cancel := context.WithTimeout(ctx, f.GardenDeadline)
	left, err := f.garden.Destroy(gctx, handle)
	timedOut := gctx.Err() != nil
	cancel()
	if err == nil {
		return left, nil
	}
	if ctx.Err() != nil {
		return nil, err
	}
	why := fmt.Sprintf("garden failed to destroy it (%v)", err)
	if timedOut {
		why = fmt.Sprintf("garden's destroy did not return within %s", f.GardenDeadline)
	}
	logger := f.logger.Session("destroy", lager.Data{"container_handle": handle})
	logger.Info("falling-back-to-runc", lager.Data{"reason": why})
	left, rerr := f.runc.Destroy(ctx, handle)
	if rerr != nil {
		f.note(handle, why+"; runc failed too: "+rerr.Error())
		return left, fmt.Errorf("%s; runc fallback: %w", why, rerr)
	}
	f.note(handle, why+"; destroyed through runc")
	f.mu.Lock()
	f.throughRunc[handle] = true
	f.mu.Unlock()
	return left, nil
}

// withoutRuncDestroyed drops from garden's list the containers runc
// destroyed and no longer lists: garden keeps their records (the
// leftovers say so), but the containers are gone. When runc cannot list,
// they stay listed, so they never count as pruned on a guess.
func (f *GardenWithRuncFallback) withoutRuncDestroyed(ctx context.Context, cs []agentapi.Container) []agentapi.Container {
	f.mu.Lock()
	n := len(f.throughRunc)
	f.mu.Unlock()
	if n == 0 {
		return cs
	}
	rs, err := f.runc.List(ctx)
	if err != nil {
		f.logger.Info("runc-list-for-fallback-check-failed", lager.Data{"error": err.Error()})
		return cs
	}
	inRunc := make(map[string]bool, len(rs))
	for _, c := range rs {
		inRunc[c.Handle] = true
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := cs[:0:0]
	for _, c := range cs {
		if f.throughRunc[c.Handle] && !inRunc[c.Handle] {
			continue
		}
		out = append(out, c)
	}
	return out
}

func (f *GardenWithRuncFallback) note(handle, s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fallbacks[handle] = s
}

// Fallbacks returns, by handle, why runc was used and how it went.
func (f *GardenWithRuncFallback) Fallbacks() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]string, len(f.fallbacks))
	for h, s := range f.fallbacks {
		out[h] = s
	}
	return out
}

// BoundedRunc is runc with a deadline on each destroy and freeze. runc
// blocked in the kernel does not die when its context kills it, so the
// call is abandoned to its goroutine at the deadline and the container is
// reported as not destroyed.
type BoundedRunc struct {
	*Runc
	Deadline time.Duration
}

// ErrAbandoned means a call did not return within its deadline and was
// left running.
var ErrAbandoned = errors.New("abandoned after its deadline")

// NewBoundedRunc wraps r; a zero deadline takes DefaultRuncDeadline.
func NewBoundedRunc(r *Runc, d time.Duration) *BoundedRunc {
	if d <= 0 {
		d = DefaultRuncDeadline
	}
	return &BoundedRunc{Runc: r, Deadline: d}
}

func (b *BoundedRunc) Destroy(ctx context.Context, handle string) ([]string, error) {
	type result struct {
		left []string
		err  error
	}
	ctx, cancel := context.WithTimeout(ctx, b.Deadline)
	defer cancel()
	done := make(chan result, 1)
	go func() {
		left, err := b.Runc.Destroy(ctx, handle)
		done <- result{left, err}
	}()
	select {
	case r := <-done:
		if r.err != nil && ctx.Err() != nil {
			return r.left, fmt.Errorf("runc destroy of %s %w (%s): %v", handle, ErrAbandoned, b.Deadline, r.err)
		}
		return r.left, r.err
	case <-ctx.Done():
		b.Runc.logger.Error("destroy-abandoned", ctx.Err(), lager.Data{"container_handle": handle, "deadline": b.Deadline.String()})
		return nil, fmt.Errorf("runc destroy of %s %w (%s): runc is blocked, likely on a freezer stuck in FREEZING", handle, ErrAbandoned, b.Deadline)
	}
}

// List is runc's listing within the deadline.
func (b *BoundedRunc) List(ctx context.Context) ([]agentapi.Container, error) {
	ctx, cancel := context.WithTimeout(ctx, b.Deadline)
	defer cancel()
	type result struct {
		cs  []agentapi.Container
		err error
	}
	done := make(chan result, 1)
	go func() {
		cs, err := b.Runc.List(ctx)
		done <- result{cs, err}
	}()
	select {
	case r := <-done:
		if r.err != nil && ctx.Err() != nil {
			return nil, fmt.Errorf("runc list %w (%s): %v", ErrAbandoned, b.Deadline, r.err)
		}
		return r.cs, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("runc list %w (%s)", ErrAbandoned, b.Deadline)
	}
}

// Freeze asks runc within the deadline and, when runc hangs or fails,
// the kernel's freezer directly, within the deadline again.
func (b *BoundedRunc) Freeze(ctx context.Context, handle string) error {
	rctx, cancel := context.WithTimeout(ctx, b.Deadline)
	err := withContext(rctx, func() error { return b.Runc.Freeze(rctx, handle) })
	if err != nil && rctx.Err() != nil {
		err = fmt.Errorf("runc pause of %s %w (%s): %v", handle, ErrAbandoned, b.Deadline, err)
	}
	cancel()
	if err == nil || ctx.Err() != nil {
		return err
	}
	fctx, cancel := context.WithTimeout(ctx, b.Deadline)
	defer cancel()
	ferr := withContext(fctx, func() error { return b.Runc.freezeCgroup(fctx, handle) })
	if ferr != nil {
		return fmt.Errorf("%v; freezing through its cgroup: %w", err, ferr)
	}
	b.Runc.logger.Info("frozen-through-cgroup", lager.Data{"container_handle": handle, "runc_error": err.Error()})
	return nil
}

// SortedFallbacks renders a Fallbacks map as "handle: sentence" lines.
func SortedFallbacks(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for h, s := range m {
		out = append(out, h+": "+s)
	}
	sort.Strings(out)
	return out
}
