package agent

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
)

// blockingService holds every Plan and Inventory until released.
type blockingService struct {
	entered chan string
	release chan struct{}
}

func (b *blockingService) Inventory(ctx context.Context) (agentapi.Inventory, error) {
	b.entered <- "inventory"
	<-b.release
	return agentapi.Inventory{}, nil
}

func (b *blockingService) Plan(ctx context.Context, _ agentapi.SequesterRequest) (agentapi.Plan, error) {
	b.entered <- "plan"
	<-b.release
	return agentapi.Plan{}, nil
}

func (b *blockingService) Sequester(context.Context, agentapi.SequesterRequest) (agentapi.Status, error) {
	return agentapi.Status{Phase: agentapi.PhaseRunning}, nil
}

func (b *blockingService) Status(context.Context) (agentapi.Status, error) {
	return agentapi.Status{Phase: agentapi.PhaseIdle}, nil
}

func (b *blockingService) Health(context.Context) (agentapi.Health, error) {
	return agentapi.Health{}, nil
}

func TestPlansAndInventoriesTakeTurnsButNeverHoldUpASequesterOrTheStatus(t *testing.T) {
	svc := &blockingService{entered: make(chan string, 4), release: make(chan struct{})}
	limited := limitReads(svc)
	ctx := context.Background()
	go func() { _, _ = limited.Plan(ctx, agentapi.SequesterRequest{}) }()
	if got := <-svc.entered; got != "plan" {
		t.Fatalf("entered %s", got)
	}
	second := make(chan struct{})
	go func() { _, _ = limited.Inventory(ctx); close(second) }()

	// While a plan runs: the status and a sequester answer at once.
	if st, err := limited.Status(ctx); err != nil || st.Phase != agentapi.PhaseIdle {
		t.Fatalf("status = %+v, %v", st, err)
	}
	if st, err := limited.Sequester(ctx, agentapi.SequesterRequest{}); err != nil || st.Phase != agentapi.PhaseRunning {
		t.Fatalf("sequester = %+v, %v", st, err)
	}
	select {
	case got := <-svc.entered:
		t.Fatalf("%s ran beside the plan", got)
	case <-time.After(200 * time.Millisecond):
	}
	// A read whose client gives up leaves the queue with its reason.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := limited.Plan(short, agentapi.SequesterRequest{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a plan past its deadline = %v", err)
	}
	svc.release <- struct{}{}
	if got := <-svc.entered; got != "inventory" {
		t.Fatalf("entered %s", got)
	}
	svc.release <- struct{}{}
	<-second
}
