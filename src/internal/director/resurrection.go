package director

import (
	"context"
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
func (f *Flow) pauseResurrection(ctx context.Context, logger lager.Logger) error {
	res := &f.rec.Resurrection
	if res.Mode != "" && res.RestoredAt != nil {
		// Restored after an earlier failure before the agent stop: pause
		// afresh.
		if err := f.save(func(r *record.Record) {
			r.Resurrection.Mode, r.Resurrection.ConfigName = "", ""
			r.Resurrection.PausedAt, r.Resurrection.RestoredAt, r.Resurrection.LeftPaused = nil, nil, false
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
			if err := f.save(func(r *record.Record) {
				r.Resurrection.Mode, r.Resurrection.ConfigName, r.Resurrection.PausedAt = record.ResurrectionScoped, name, &now
			}); err != nil {
				return err
			}
			err := f.writeResurrectionConfig(name)
			switch {
			case err == nil:
				logger.Info("paused", lager.Data{"mode": record.ResurrectionScoped, "config_name": name})
				return f.waitForRulesReread(ctx, logger)
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
		if err := f.writeResurrectionConfig(res.ConfigName); err != nil {
			return fmt.Errorf("resurrection config %q: %w", res.ConfigName, err)
		}
		return f.waitForRulesReread(ctx, logger)
	}
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
	return f.Sleep(ctx, wait)
}

// rejectedByDirector: a 4xx answer (bosh-cli keeps only the text).
func rejectedByDirector(err error) bool {
	return strings.Contains(err.Error(), "status code '4")
}

func (f *Flow) writeResurrectionConfig(name string) error {
	content, err := resurrectionRules(f.rec.Deployment, f.rec.InstanceGroup)
	if err != nil {
		return err
	}
	cfgs, err := f.Dir.ListConfigs(1, boshdir.ConfigsFilter{Type: "resurrection", Name: name})
	if err != nil {
		return err
	}
	for _, c := range cfgs {
		if c.Name == name && c.Content == string(content) {
			return nil
		}
	}
	_, err = f.Dir.UpdateConfig("resurrection", name, "", content)
	return err
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
