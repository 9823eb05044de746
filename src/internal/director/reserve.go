package director

import (
	"context"
	"fmt"
	"strings"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cloudconfig"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
)

// reserveIP adds the old IP to the reserved entries of the cloud config
// that defines the instance's network, so that the next deploy gives the
// instance a new IP and no other VM ever gets the old one while the
// sequestered VM lives. A covered IP is left alone (idempotent); a 412
// (someone updated the cloud config in between) re-reads and retries.
func (f *Flow) reserveIP(ctx context.Context, logger lager.Logger) error {
	name := f.rec.Reservation.CloudConfig
	for attempt := 1; attempt <= 5; attempt++ {
		cfg, err := f.Dir.LatestConfig("cloud", name)
		if err != nil {
			return fmt.Errorf("read cloud config %q: %w", name, err)
		}
		out, ch, err := cloudconfig.Reserve([]byte(cfg.Content), f.rec.Network, f.rec.OldIP)
		if err != nil {
			return fmt.Errorf("reserve %s in cloud config %q: %w", f.rec.OldIP, name, err)
		}
		if !ch.Changed {
			// Already covered: by our own entry from an earlier run, or by
			// an operator's entry noted in preflight (then release must not
			// remove it).
			added := f.rec.Reservation.CoveredBy == ""
			logger.Info("already-reserved", lager.Data{"cloud_config": name, "config_id": cfg.ID, "added_by_us": added})
			return f.save(func(r *record.Record) {
				r.Reservation.Added = r.Reservation.CoveredBy == ""
				if r.Reservation.ConfigIDAfter == "" {
					r.Reservation.ConfigIDAfter = cfg.ID
				}
			})
		}
		updated, err := f.Dir.UpdateConfig("cloud", name, cfg.ID, out)
		if err != nil {
			if strings.Contains(err.Error(), "Config update rejected") {
				logger.Info("cloud-config-changed-concurrently", lager.Data{"attempt": attempt, "config_id": cfg.ID})
				continue
			}
			return fmt.Errorf("update cloud config %q: %w", name, err)
		}
		logger.Info("reserved", lager.Data{"cloud_config": name, "ip": f.rec.OldIP, "config_id": updated.ID})
		return f.save(func(r *record.Record) {
			// Our entry now: an operator's entry that covered the IP
			// before is gone (release removes ours).
			r.Reservation.Added, r.Reservation.CreatedKey, r.Reservation.CoveredBy = true, ch.CreatedKey, ""
			r.Reservation.ConfigIDAfter = updated.ID
		})
	}
	return fmt.Errorf("cloud config %q changed concurrently on every attempt", name)
}
