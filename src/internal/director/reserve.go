package director

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"code.cloudfoundry.org/lager/v3"
	boshdir "github.com/cloudfoundry/bosh-cli/v7/director"

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
		if errors.Is(err, cloudconfig.ErrOutsideSubnets) {
			continue // no subnet holds it any more: never handed out
		}
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
// sequestered VM lives. A covered IP is left alone (idempotent).
func (f *Flow) reserveIP(ctx context.Context, logger lager.Logger) error {
	name := f.rec.Reservation.CloudConfig
	if err := f.noteReservationForm(name); err != nil {
		return err
	}
	var ch cloudconfig.Change
	cfg, written, err := editCloudConfig(f.Dir, logger, name, func(content []byte) ([]byte, bool, error) {
		out, c, err := cloudconfig.Reserve(content, f.rec.Network, f.rec.OldIP)
		if err != nil {
			return nil, false, fmt.Errorf("reserve %s in cloud config %q: %w", f.rec.OldIP, name, err)
		}
		ch = c
		return out, c.Changed, nil
	})
	if err != nil {
		return err
	}
	if !written {
		// Already covered: by our own entry from an earlier run, or by an
		// operator's entry noted in preflight (then release must not
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
	logger.Info("reserved", lager.Data{"cloud_config": name, "ip": f.rec.OldIP, "config_id": cfg.ID})
	return f.save(func(r *record.Record) {
		// Our entry now: an operator's entry that covered the IP before is
		// gone (release removes ours).
		r.Reservation.Added, r.Reservation.CreatedKey, r.Reservation.FromString, r.Reservation.CoveredBy = true, ch.CreatedKey, ch.FromString, ""
		r.Reservation.ConfigIDAfter = cfg.ID
	})
}

// noteReservationForm records, before the cloud config is written, what
// release will need to give the operator's form back (a reserved key we
// create, a string we turn into a list). A run killed between the write
// and the record of it finds the IP reserved when it resumes, and only the
// record can still say what the config looked like before.
func (f *Flow) noteReservationForm(name string) error {
	cur, err := f.Dir.LatestConfig("cloud", name)
	if err != nil {
		return fmt.Errorf("read cloud config %q: %w", name, err)
	}
	_, ch, err := cloudconfig.Reserve([]byte(cur.Content), f.rec.Network, f.rec.OldIP)
	if err != nil || !ch.Changed {
		return nil // the edit itself reports it, or there is nothing to write
	}
	res := f.rec.Reservation
	if (!ch.CreatedKey || res.CreatedKey) && (!ch.FromString || res.FromString) {
		return nil
	}
	return f.save(func(r *record.Record) {
		r.Reservation.CreatedKey = r.Reservation.CreatedKey || ch.CreatedKey
		r.Reservation.FromString = r.Reservation.FromString || ch.FromString
	})
}

// editCloudConfig applies edit to the latest version of the named cloud
// config and writes the result with expected_latest_id, so an operator's
// concurrent update is never overwritten: on a 412 it re-reads and edits
// again, at most 5 times. The operator's bytes go through unchanged apart
// from the edit. When edit changes nothing, the version read comes back
// with written false; else the version written.
func editCloudConfig(dir DirectorAPI, logger lager.Logger, name string, edit func(content []byte) (out []byte, changed bool, err error)) (cfg boshdir.Config, written bool, err error) {
	for attempt := 1; attempt <= 5; attempt++ {
		cur, err := dir.LatestConfig("cloud", name)
		if err != nil {
			return boshdir.Config{}, false, fmt.Errorf("read cloud config %q: %w", name, err)
		}
		out, changed, err := edit([]byte(cur.Content))
		if err != nil {
			return boshdir.Config{}, false, err
		}
		if !changed {
			return cur, false, nil
		}
		updated, err := dir.UpdateConfig("cloud", name, cur.ID, out)
		if err == nil {
			return updated, true, nil
		}
		if !record.IsConfigConflict(err) {
			return boshdir.Config{}, false, fmt.Errorf("update cloud config %q: %w", name, err)
		}
		logger.Info("cloud-config-changed-concurrently", lager.Data{"cloud_config": name, "attempt": attempt, "config_id": cur.ID})
	}
	return boshdir.Config{}, false, fmt.Errorf("cloud config %q changed concurrently on every attempt", name)
}
