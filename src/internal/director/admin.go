package director

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"code.cloudfoundry.org/lager/v3"
	boshdir "github.com/cloudfoundry/bosh-cli/v7/director"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cloudconfig"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

// Admin answers status, list and release: the operations on records after
// (or instead of) a run.
type Admin struct {
	Dir    boshdir.Director
	Store  *record.Store
	Raw    *RawClient
	Agents AgentDialer // optional: tells whether the old VM still answers
	Logger lager.Logger
	// AgentTimeout bounds the liveness probe of an old VM's agent.
	AgentTimeout time.Duration
}

// Find returns the record of deployment for GROUP/ID or an old IP.
func (a *Admin) Find(deployment, target string) (record.Record, error) {
	if deployment == "" {
		return record.Record{}, refusal.New(errors.New("no deployment given (-d)"))
	}
	if _, err := netip.ParseAddr(target); err == nil {
		all, err := a.Store.List()
		if err != nil {
			return record.Record{}, err
		}
		var match *record.Record
		for i, r := range all {
			if r.Deployment == deployment && r.OldIP == target {
				// The latest sequestration of that IP wins.
				match = &all[i]
			}
		}
		if match == nil {
			return record.Record{}, refusal.New(fmt.Errorf("no sequestration of %s in deployment %q", target, deployment))
		}
		return *match, nil
	}
	group, id, err := SplitInstance(target)
	if err != nil {
		return record.Record{}, err
	}
	r, _, err := a.Store.Get(deployment, id)
	if errors.Is(err, record.ErrNotFound) {
		return record.Record{}, refusal.New(fmt.Errorf("no sequestration of %s in deployment %q", target, deployment))
	}
	if err != nil {
		return record.Record{}, err
	}
	// Records are named by instance id, but the operator names GROUP/ID:
	// a GROUP that is not the record's is a typo or another instance, and
	// release deletes a VM.
	if r.InstanceGroup != group {
		return record.Record{}, refusal.New(fmt.Errorf("no sequestration of %s in deployment %q: %s is %s; name it as GROUP/ID exactly", target, deployment, id, r.Instance()))
	}
	return r, nil
}

// Status is the record of one sequestration as a report.
func (a *Admin) Status(deployment, target string) (*Report, error) {
	r, err := a.Find(deployment, target)
	if err != nil {
		return nil, err
	}
	return NewReport(&r), nil
}

// ListEntry is one record with its drift checks.
type ListEntry struct {
	RecordID   string   `json:"record_id"`
	State      string   `json:"state"`
	Deployment string   `json:"deployment"`
	Instance   string   `json:"instance"`
	OldIP      string   `json:"old_ip"`
	VMCID      string   `json:"vm_cid"`
	NewIP      string   `json:"new_ip,omitempty"`
	CreatedAt  string   `json:"created_at"`
	CaseID     string   `json:"case_id,omitempty"`
	Reason     string   `json:"reason,omitempty"`
	Reserved   *bool    `json:"old_ip_reserved,omitempty"`
	OldVM      string   `json:"old_vm"`
	Drift      []string `json:"drift,omitempty"`
}

// List returns every record (of deployment, when given) with drift checks:
// the old IP must still be reserved while the old VM lives (a later
// update-cloud-config from an operator's repo would drop our entry), and
// whether the old VM still answers.
func (a *Admin) List(ctx context.Context, deployment string) ([]ListEntry, error) {
	all, err := a.Store.List()
	if err != nil {
		return nil, err
	}
	cloud := map[string]string{}
	var out []ListEntry
	for _, r := range all {
		if deployment != "" && r.Deployment != deployment {
			continue
		}
		e := ListEntry{RecordID: r.ID, State: r.State, Deployment: r.Deployment, Instance: r.Instance(), OldIP: r.OldIP,
			VMCID: r.VMCID, NewIP: r.NewIP, CreatedAt: r.CreatedAt.Format(time.RFC3339), CaseID: r.CaseID, Reason: r.Reason, OldVM: "unknown"}
		if r.State == record.StateReleased {
			e.OldVM = "deleted"
			out = append(out, e)
			continue
		}
		if name := r.Reservation.CloudConfig; name != "" && r.Done(StepReserveIP) {
			content, ok := cloud[name]
			if !ok {
				cfg, err := a.Dir.LatestConfig("cloud", name)
				if err != nil {
					e.Drift = append(e.Drift, fmt.Sprintf("cloud config %q unreadable: %v", name, err))
				} else {
					content, cloud[name] = cfg.Content, cfg.Content
				}
			}
			if content != "" {
				reserved, err := cloudconfig.IsReserved([]byte(content), r.Network, r.OldIP)
				if err != nil {
					e.Drift = append(e.Drift, fmt.Sprintf("old IP %s: %v", r.OldIP, err))
				} else {
					e.Reserved = &reserved
					if !reserved {
						// Not "re-run `sequester cell`": a complete record
						// refuses a re-run.
						e.Drift = append(e.Drift, fmt.Sprintf("old IP %s is no longer reserved in cloud config %q: the director may give it to another VM while the old VM lives; add the entry back (to the operator's copy too)", r.OldIP, name))
					}
				}
			}
		}
		if a.Agents != nil && r.OldIP != "" {
			timeout := a.AgentTimeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			actx, cancel := context.WithTimeout(ctx, timeout)
			st, err := a.Agents(r.OldIP).Status(actx)
			cancel()
			switch {
			case err != nil:
				e.OldVM = "unreachable"
				if r.State == record.StateComplete {
					e.Drift = append(e.Drift, fmt.Sprintf("the old VM's sequester-agent at %s does not answer: %v", r.OldIP, err))
				}
			case st.OperationID != "" && st.OperationID != r.ID:
				e.OldVM = "alive"
				e.Drift = append(e.Drift, fmt.Sprintf("the agent at %s reports operation %s, not %s: another VM has the old IP?", r.OldIP, st.OperationID, r.ID))
			default:
				e.OldVM = "alive"
			}
		}
		if r.Resurrection.LeftPaused {
			e.Drift = append(e.Drift, "resurrection is still paused by this sequestration")
		}
		out = append(out, e)
	}
	return out, nil
}

// Release deletes the old VM by cid, then removes the reserved entry we
// added (never before the VM is gone: the IP must not be handed out while
// it lives), and closes the record.
func (a *Admin) Release(ctx context.Context, deployment, target string) (*Report, error) {
	logger := a.Logger.Session("release", lager.Data{"deployment": deployment, "target": target})
	r, err := a.Find(deployment, target)
	if err != nil {
		return nil, err
	}
	switch r.State {
	case record.StateReleased:
		logger.Info("already-released", lager.Data{"record_id": r.ID})
		return NewReport(&r), nil
	case record.StateComplete:
	default:
		return nil, refusal.New(fmt.Errorf("sequestration %s of %s is %s, not complete; re-run `sequester cell` to finish it before releasing", r.ID, r.Instance(), r.State))
	}
	logger.Info("starting", lager.Data{"record_id": r.ID, "vm_cid": r.VMCID, "old_ip": r.OldIP})
	if err := a.deleteOldVM(ctx, logger, r); err != nil {
		logger.Error("delete-vm-failed", err)
		return nil, err
	}
	removed := false
	if r.Reservation.Added && !r.Reservation.Removed {
		if removed, err = a.unreserve(logger, r); err != nil {
			logger.Error("unreserve-failed", err)
			return nil, err
		}
	}
	out, err := a.Store.Update(r.Deployment, r.InstanceID, func(rec *record.Record) error {
		now := time.Now().UTC()
		rec.State, rec.ReleasedAt = record.StateReleased, &now
		rec.Reservation.Removed = rec.Reservation.Removed || removed
		return nil
	})
	if err != nil {
		return nil, err
	}
	logger.Info("released", lager.Data{"record_id": r.ID, "ip_unreserved": removed})
	return NewReport(&out), nil
}

// deleteOldVM runs DELETE /vms/:cid and waits for its task. bosh-cli's
// DeleteVM treats any error as success when GET /vms does not list the cid,
// and the director never lists a VM whose reference was deleted: only the
// task's own state proves the deletion.
func (a *Admin) deleteOldVM(ctx context.Context, logger lager.Logger, r record.Record) error {
	t, err := a.Raw.RunTask(ctx, http.MethodDelete, "/vms/"+url.PathEscape(r.VMCID), time.Second/2)
	if err != nil {
		return fmt.Errorf("delete VM %s: %w", r.VMCID, err)
	}
	if t.State != "done" {
		return fmt.Errorf("delete VM %s: task %d ended %s: %s", r.VMCID, t.ID, t.State, t.Result)
	}
	logger.Info("vm-deleted", lager.Data{"vm_cid": r.VMCID, "task_id": t.ID})
	return nil
}

func (a *Admin) unreserve(logger lager.Logger, r record.Record) (bool, error) {
	name := r.Reservation.CloudConfig
	_, written, err := editCloudConfig(a.Dir, logger, name, func(content []byte) ([]byte, bool, error) {
		out, changed, err := cloudconfig.Unreserve(content, r.Network, r.OldIP, cloudconfig.Change{CreatedKey: r.Reservation.CreatedKey, FromString: r.Reservation.FromString})
		if err != nil {
			return nil, false, fmt.Errorf("unreserve %s in cloud config %q: %w", r.OldIP, name, err)
		}
		return out, changed, nil
	})
	if err != nil {
		return false, err
	}
	if !written {
		logger.Info("entry-already-gone", lager.Data{"cloud_config": name})
		return false, nil
	}
	logger.Info("unreserved", lager.Data{"cloud_config": name, "ip": r.OldIP})
	return true, nil
}
