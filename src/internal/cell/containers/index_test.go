package containers_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
)

// listing is a backend whose List answers from a function, counting calls.
type listing struct {
	list  func() ([]agentapi.Container, error)
	calls atomic.Int32
}

func (l *listing) Name() string { return "test" }
func (l *listing) List(context.Context) ([]agentapi.Container, error) {
	l.calls.Add(1)
	return l.list()
}
func (l *listing) Destroy(context.Context, string) ([]string, error) { return nil, nil }
func (l *listing) Freeze(context.Context, string) error              { return nil }

func index(b *listing, timeout time.Duration) *containers.Index {
	return &containers.Index{Timeout: timeout, Backend: func(context.Context) (containers.Backend, error) { return b, nil }}
}

func TestIndexNamesAContainersAppOnceListed(t *testing.T) {
	b := &listing{list: func() ([]agentapi.Container, error) {
		return []agentapi.Container{{Handle: "h-1", AppGUID: "app-1"}}, nil
	}}
	x := index(b, time.Second)
	if _, ok := x.Lookup("h-1"); ok {
		t.Fatal("known before any listing")
	}
	c, err := x.Get(context.Background(), "h-1")
	if err != nil || c.AppGUID != "app-1" {
		t.Fatalf("Get = %+v, %v", c, err)
	}
	if x.AppOf("h-1") != "app-1" {
		t.Fatal("Lookup does not answer from the listing")
	}
	if _, err := x.Get(context.Background(), "h-gone"); err == nil || !strings.Contains(err.Error(), "not listed") {
		t.Fatalf("Get of an unknown handle: %v", err)
	}
}

// A listing that hangs (garden wedged, a stuck /proc read) costs each
// caller its deadline and no more, and stays the only one in flight.
func TestIndexGivesUpOnAHungListing(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	b := &listing{list: func() ([]agentapi.Container, error) {
		<-release
		return nil, nil
	}}
	x := index(b, 100*time.Millisecond)
	for i := 0; i < 3; i++ {
		start := time.Now()
		_, err := x.Get(context.Background(), "h-1")
		if err == nil || !strings.Contains(err.Error(), "longer than") {
			t.Fatalf("Get with a hung listing: %v", err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Fatalf("Get took %s", took)
		}
	}
	if n := b.calls.Load(); n != 1 {
		t.Fatalf("%d listings started, want the one hung listing", n)
	}
	start := time.Now()
	x.Lookup("h-1")
	if took := time.Since(start); took > time.Second {
		t.Fatalf("Lookup blocked %s", took)
	}
}
