package director

import (
	"context"
	"fmt"
	"strings"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cloudconfig"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
)

// unreservedSequestered names the other live sequestered VMs on network
// whose old IP content (the cloud config defining network) no longer
// reserves: an operator's update-cloud-config from a repo without the
// entry. The director holds those IPs for no instance, so the next deploy
// that needs an address, ours, could hand one to the replacement VM next
// to the live sequestered VM.
func unreservedSequestered(all []record.Record, deployment, instanceID, network string, content []byte) ([]string, error) {
	var out []string
	for _, r := range all {
		if !r.Active() || r.Network != network || r.OldIP == "" || !r.Done(StepReserveIP) ||
			(r.Deployment == deployment && r.InstanceID == instanceID) {
			continue
		}
		reserved, err := cloudconfig.IsReserved(content, network, r.OldIP)
		if err != nil {
			return nil, fmt.Errorf("old IP %s of the sequestered VM of %s:%s: %w", r.OldIP, r.Deployment, r.Instance(), err)
		}
		if !reserved {
			out = append(out, fmt.Sprintf("%s of the sequestered VM of %s:%s (record %s)", r.OldIP, r.Deployment, r.Instance(), r.ID))
		}
	}
	return out, nil
}

// refuseUnreserved is the operator's message for unreservedSequestered.
func refuseUnreserved(config string, ips []string) error {
	return fmt.Errorf("cloud config %q no longer reserves %s; add the entries back (to the operator's copy too) before sequestering another cell",
		config, strings.Join(ips, ", "))
}

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
