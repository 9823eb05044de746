package director

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"code.cloudfoundry.org/lager/v3"
	boshdir "github.com/cloudfoundry/bosh-cli/v7/director"
	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
)

// ResurrectionConfigName is the resurrection config that pauses
// resurrection for one sequestration; named for it so release and restore
// delete exactly ours and leave other rules alone.
func ResurrectionConfigName(deployment, instanceID string) string {
	return "sequester-" + deployment + "-" + instanceID
}

func resurrectionRules(deployment, group string) ([]byte, error) {
	type include struct {
		Deployments    []string `yaml:"deployments"`
		InstanceGroups []string `yaml:"instance_groups"`
	}
	type rule struct {
		Enabled bool    `yaml:"enabled"`
		Include include `yaml:"include"`
	}
	return yaml.Marshal(map[string][]rule{"rules": {{Enabled: false, Include: include{[]string{deployment}, []string{group}}}}})
}

// pauseResurrection keeps the health monitor from recreating the
// sequestered VM (or the VM-less instance on its old IP) from the moment
// the BOSH agent stops until the replacement exists. Scoped to the
// deployment and instance group through a resurrection config where
// possible; the global switch otherwise.
//
// The health monitor reads the scoped rule only about every minute, but
// the director reads the global switch from its database on every
// scan-and-fix request the resurrector sends, and starts no task while it
// is paused [bosh: api/controllers/deployments_controller.rb
// scan_and_fix, deployment_has_instance_to_resurrect?; bosh-monitor:
// plugins/resurrector.rb]. So in scoped mode the global switch is paused
// too, as a bridge, and the cell is contained at once; the bridge ends
// (the switch goes back to its prior value) as soon as the rule is in
// force. Without a readable prior value there is no bridge: the flow
// waits for the re-read before the cell is touched.
func (f *Flow) pauseResurrection(ctx context.Context, logger lager.Logger) error {
	res := &f.rec.Resurrection
	if res.Mode != "" && res.RestoredAt != nil {
		// Restored after an earlier failure before the agent stop: pause
		// afresh.
		if err := f.save(func(r *record.Record) {
			r.Resurrection.Mode, r.Resurrection.ConfigName = "", ""
			r.Resurrection.PausedAt, r.Resurrection.RestoredAt, r.Resurrection.LeftPaused = nil, nil, false
			r.Resurrection.Bridge, r.Resurrection.BridgeEndedAt = false, nil
		}); err != nil {
			return err
		}
	}
	switch res.Mode {
	case "":
		// The intent is saved before acting, so a run killed in between
		// knows what to undo.
		now := f.now()
		if f.Opts.ResurrectionMode != record.ResurrectionGlobal {
			name := ResurrectionConfigName(f.rec.Deployment, f.rec.InstanceID)
			bridge := !res.GlobalUnknown && !res.GlobalPausedBefore
			if err := f.save(func(r *record.Record) {
				r.Resurrection.Mode, r.Resurrection.ConfigName, r.Resurrection.PausedAt = record.ResurrectionScoped, name, &now
				r.Resurrection.Bridge = bridge
			}); err != nil {
				return err
			}
			_, err := f.writeResurrectionConfig(name)
			switch {
			case err == nil:
				logger.Info("paused", lager.Data{"mode": record.ResurrectionScoped, "config_name": name})
				if err := f.ruleWritten(); err != nil {
					return err
				}
				return f.startBridge(ctx, logger)
			case !rejectedByDirector(err) || res.GlobalUnknown:
				// A 5xx or a network error says nothing about support:
				// fail the step and let the re-run try scoped again.
				return fmt.Errorf("write resurrection config %q: %w", name, err)
			}
			// A director that refuses the config still has the global
			// switch.
			logger.Error("scoped-pause-refused-falling-back-to-global", err)
		}
		if err := f.save(func(r *record.Record) {
			r.Resurrection.Mode, r.Resurrection.ConfigName, r.Resurrection.PausedAt = record.ResurrectionGlobal, "", &now
			r.Resurrection.Bridge = false
		}); err != nil {
			return err
		}
		fallthrough
	case record.ResurrectionGlobal:
		if !res.GlobalPausedBefore {
			if err := f.Dir.EnableResurrection(false); err != nil {
				return fmt.Errorf("pause resurrection globally: %w", err)
			}
		}
		logger.Info("paused", lager.Data{"mode": record.ResurrectionGlobal, "global_paused_before": res.GlobalPausedBefore})
		return nil
	default:
		// Resumed: make sure our rule is still there.
		written, err := f.writeResurrectionConfig(res.ConfigName)
		if err != nil {
			return fmt.Errorf("resurrection config %q: %w", res.ConfigName, err)
		}
		if written {
			if err := f.ruleWritten(); err != nil {
				return err
			}
		}
		return f.startBridge(ctx, logger)
	}
}

// ruleWritten dates the pause from the rule's write: the health monitor's
// re-read, and so the end of the bridge, counts from there.
func (f *Flow) ruleWritten() error {
	now := f.now()
	return f.save(func(r *record.Record) { r.Resurrection.PausedAt = &now })
}

// startBridge pauses the global switch while the scoped rule is not yet in
// force. Without a bridge (the prior value is unknown, or the switch was
// paused already) the cell must not be touched before the health monitor
// reads the rule, so it waits for that instead.
func (f *Flow) startBridge(ctx context.Context, logger lager.Logger) error {
	res := f.rec.Resurrection
	if !res.Bridge {
		if res.GlobalPausedBefore {
			// Paused globally by someone else: nothing resurrects now,
			// and the rule is in force before anyone resumes it.
			return nil
		}
		return f.waitForRulesReread(ctx, logger)
	}
	if res.BridgeEndedAt != nil || f.ruleInForce() {
		return nil
	}
	if err := f.Dir.EnableResurrection(false); err != nil {
		return fmt.Errorf("pause resurrection globally to bridge the health monitor's re-read of the scoped rule: %w", err)
	}
	logger.Info("global-bridge-started", lager.Data{"rule_in_force_in_seconds": f.rec.Resurrection.PausedAt.Add(f.Opts.ResurrectionWait).Sub(f.now()).Seconds()})
	return nil
}

// ruleInForce: the health monitor has read the scoped rule by now (it
// re-reads resurrection configs about every 60 s).
func (f *Flow) ruleInForce() bool {
	p := f.rec.Resurrection.PausedAt
	return p != nil && !f.now().Before(p.Add(f.Opts.ResurrectionWait))
}

// endBridge is the parallel step that puts the global switch back to its
// prior value once the scoped rule is in force. Cancelled (the switch
// finished first), it leaves the bridge to restore-resurrection.
func (f *Flow) endBridge(ctx context.Context, logger lager.Logger) error {
	f.mu.Lock()
	res := f.rec.Resurrection
	f.mu.Unlock()
	switch {
	case !res.Bridge:
		return skipped{"no bridge: " + noBridgeWhy(res)}
	case res.BridgeEndedAt != nil:
		return nil
	}
	if err := f.finishBridge(ctx, logger, true); err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return skipped{"stopped before the rule was in force (the replacement exists, or the run stopped): restore-resurrection or the failure handling put the global switch back"}
		}
		return err
	}
	f.mu.Lock()
	res = f.rec.Resurrection
	f.mu.Unlock()
	return f.save(func(r *record.Record) { r.Resurrection.BridgeEndedAt = res.BridgeEndedAt })
}

func noBridgeWhy(res record.Resurrection) string {
	switch {
	case res.Mode == record.ResurrectionGlobal:
		return "resurrection is paused globally until the switch is done"
	case res.GlobalPausedBefore:
		return "global resurrection was paused before"
	case res.GlobalUnknown:
		return "the director does not tell the global switch's value, so the flow waited for the health monitor to read the scoped rule"
	}
	return "not needed"
}

// finishBridge ends the bridge, after waiting until the rule is in force
// when wait is set. It changes the flow's copy of the record under the
// lock; the caller saves it.
func (f *Flow) finishBridge(ctx context.Context, logger lager.Logger, wait bool) error {
	f.mu.Lock()
	res := f.rec.Resurrection
	f.mu.Unlock()
	if !res.Bridge || res.BridgeEndedAt != nil {
		return nil
	}
	if wait {
		if d := res.PausedAt.Add(f.Opts.ResurrectionWait).Sub(f.now()); d > 0 {
			logger.Info("waiting-for-health-monitor-reread", lager.Data{"seconds": d.Seconds()})
			if err := f.sleep(ctx, d); err != nil {
				return err
			}
		}
	}
	if err := f.Dir.EnableResurrection(true); err != nil {
		return fmt.Errorf("put the global resurrection switch back after the bridge: %w", err)
	}
	now := f.now()
	f.mu.Lock()
	f.rec.Resurrection.BridgeEndedAt = &now
	f.mu.Unlock()
	logger.Info("global-bridge-ended", lager.Data{"bridge_seconds": now.Sub(*res.PausedAt).Seconds()})
	return nil
}

// waitForRulesReread: the health monitor re-reads resurrection rules about
// every 60 s; until then it still resurrects. A resumed run waits only the
// rest.
func (f *Flow) waitForRulesReread(ctx context.Context, logger lager.Logger) error {
	wait := f.rec.Resurrection.PausedAt.Add(f.Opts.ResurrectionWait).Sub(f.now())
	if wait <= 0 {
		return nil
	}
	logger.Info("waiting-for-health-monitor-reread", lager.Data{"seconds": wait.Seconds()})
	return f.sleep(ctx, wait)
}

// rejectedByDirector: a 4xx answer (bosh-cli keeps only the text).
func rejectedByDirector(err error) bool {
	return strings.Contains(err.Error(), "status code '4")
}

// writeResurrectionConfig makes sure our rule is there, and says whether it
// had to write it.
func (f *Flow) writeResurrectionConfig(name string) (bool, error) {
	content, err := resurrectionRules(f.rec.Deployment, f.rec.InstanceGroup)
	if err != nil {
		return false, err
	}
	cfgs, err := f.Dir.ListConfigs(1, boshdir.ConfigsFilter{Type: "resurrection", Name: name})
	if err != nil {
		return false, err
	}
	for _, c := range cfgs {
		if c.Name == name && c.Content == string(content) {
			return false, nil
		}
	}
	if _, err = f.Dir.UpdateConfig("resurrection", name, "", content); err != nil {
		return false, err
	}
	return true, nil
}

// restoreResurrection runs once the replacement VM exists on its new IP.
func (f *Flow) restoreResurrection(ctx context.Context, logger lager.Logger) error {
	if err := f.doRestore(logger); err != nil {
		return err
	}
	res := f.rec.Resurrection
	return f.save(func(r *record.Record) { r.Resurrection = res })
}

// doRestore puts resurrection back to its value before we paused it. It
// changes only the flow's copy of the record; callers save it.
func (f *Flow) doRestore(logger lager.Logger) error {
	res := &f.rec.Resurrection
	if res.RestoredAt != nil || res.Mode == "" {
		return nil
	}
	switch res.Mode {
	case record.ResurrectionScoped:
		if err := f.finishBridge(context.Background(), logger, false); err != nil {
			return err
		}
		if _, err := f.Dir.DeleteConfig("resurrection", res.ConfigName); err != nil {
			return fmt.Errorf("delete resurrection config %q: %w", res.ConfigName, err)
		}
	case record.ResurrectionGlobal:
		if !res.GlobalPausedBefore {
			if err := f.Dir.EnableResurrection(true); err != nil {
				return fmt.Errorf("resume resurrection globally: %w", err)
			}
		}
	}
	now := f.now()
	res.RestoredAt, res.LeftPaused = &now, false
	logger.Info("resurrection-restored", lager.Data{"mode": res.Mode, "global_paused_before": res.GlobalPausedBefore})
	return nil
}
