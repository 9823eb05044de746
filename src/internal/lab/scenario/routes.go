package scenario

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/standins"
)

// RouteLog is what gorouter would hear: every router.register on NATS,
// with the time it arrived.
type RouteLog struct {
	nc  *nats.Conn
	sub *nats.Subscription

	mu   sync.Mutex
	seen []Registration
}

// Registration is one router.register as it arrived.
type Registration struct {
	At time.Time
	standins.Registration
}

func watchRoutes(url string) (*RouteLog, error) {
	nc, err := nats.Connect(url, nats.Name("lab route watcher"))
	if err != nil {
		return nil, fmt.Errorf("connect to NATS: %w", err)
	}
	r := &RouteLog{nc: nc}
	r.sub, err = nc.Subscribe(standins.RegisterSubject, func(m *nats.Msg) {
		var reg standins.Registration
		if json.Unmarshal(m.Data, &reg) != nil {
			return
		}
		r.mu.Lock()
		r.seen = append(r.seen, Registration{At: time.Now(), Registration: reg})
		r.mu.Unlock()
	})
	if err != nil {
		nc.Close()
		return nil, err
	}
	return r, nc.Flush()
}

// Close stops listening.
func (r *RouteLog) Close() { r.nc.Close() }

// Since lists the registrations that arrived after t and match.
func (r *RouteLog) Since(t time.Time, match func(Registration) bool) []Registration {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Registration
	for _, reg := range r.seen {
		if reg.At.After(t) && (match == nil || match(reg)) {
			out = append(out, reg)
		}
	}
	return out
}

// Count is how many registrations of the container with this handle
// arrived after t.
func (r *RouteLog) Count(handle string, after time.Time) int {
	return len(r.Since(after, func(reg Registration) bool { return reg.PrivateInstanceID == handle }))
}
