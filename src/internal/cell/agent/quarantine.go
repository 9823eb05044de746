package agent

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/isolation"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/journal"
)

// quarantineDeadline bounds the isolation of one container the prune
// could not remove: iptables in its namespace, then the freeze.
const quarantineDeadline = 60 * time.Second

// quarantine isolates every container the prune could not remove, so none
// is left a lonely robot: inbound connections reset, egress blocked, and
// frozen where the kernel allows (a task stuck in D state cannot be
// frozen). It records each outcome in the status and returns a sentence
// for the step's error. It never undoes a kept container's isolation: kept
// handles are not in failed.
func (a *Agent) quarantine(ctx context.Context, logger lager.Logger, b containers.Backend, failed []string, st *journal.State) string {
	logger = logger.Session("quarantine-unpruned", lager.Data{"container_handles": failed})
	logger.Info("starting")
	defer logger.Info("finished")
	out := map[string]string{}
	listed := map[string]agentapi.Container{}
	cs, err := b.List(ctx)
	if err != nil {
		logger.Error("failed-to-list", err)
		for _, h := range failed {
			out[h] = "NOT isolated: cannot list containers (" + err.Error() + ")"
		}
	}
	for _, c := range cs {
		listed[c.Handle] = c
	}
	freeze := a.d.FreezeUnavailable == ""
	iso, ierr := isolation.New(logger, b, isolation.Options{BlockEgress: true, Freeze: freeze})
	// A container whose cgroup is frozen already needs no freeze, which
	// would only ask runc, maybe the runc that hangs on it.
	frozenIso, _ := isolation.New(logger, b, isolation.Options{BlockEgress: true})
	for _, h := range failed {
		if err != nil {
			break
		}
		c, ok := listed[h]
		switch {
		case !ok:
			out[h] = "gone after all: no longer listed"
			continue
		case c.State == containers.StateStopped || len(c.Pids) == 0:
			out[h] = "no process runs in it: nothing can take work"
			continue
		case ierr != nil:
			out[h] = "NOT isolated: " + ierr.Error()
			continue
		}
		if c.State == containers.StatePaused {
			out[h] = a.quarantineOne(ctx, logger, frozenIso, c, false)
			continue
		}
		out[h] = a.quarantineOne(ctx, logger, iso, c, freeze)
	}
	st.Status.Quarantined = out
	var isolated, frozen, not []string
	for h, s := range out {
		switch {
		case strings.HasPrefix(s, "NOT isolated"):
			not = append(not, h)
		case strings.HasSuffix(s, "; frozen") || strings.HasSuffix(s, "frozen already)"):
			frozen = append(frozen, h)
			isolated = append(isolated, h)
		case strings.HasPrefix(s, "isolated"):
			isolated = append(isolated, h)
		}
	}
	sort.Strings(not)
	msg := fmt.Sprintf("%d isolated with inbound connections reset and egress blocked (%d of them frozen)", len(isolated), len(frozen))
	if len(not) > 0 {
		msg += fmt.Sprintf("; %d could NOT be isolated and may still take work: %s", len(not), strings.Join(not, ", "))
	}
	logger.Info("quarantined", lager.Data{"isolated": len(isolated), "frozen": len(frozen), "not_isolated": not})
	return msg
}

func (a *Agent) quarantineOne(ctx context.Context, logger lager.Logger, iso *isolation.Isolator, c agentapi.Container, freeze bool) string {
	ctx, cancel := context.WithTimeout(ctx, quarantineDeadline)
	defer cancel()
	res, err := iso.Isolate(ctx, c)
	unfrozen := ""
	switch {
	case errors.Is(err, isolation.ErrFreeze):
		unfrozen = err.Error()
	case err != nil:
		logger.Error("isolate-failed", err, lager.Data{"container_handle": c.Handle})
		return "NOT isolated: " + err.Error()
	}
	if err := iso.Verify(ctx, c); err != nil {
		logger.Error("isolation-not-in-force", err, lager.Data{"container_handle": c.Handle})
		return "NOT isolated: rules not in force: " + err.Error()
	}
	s := fmt.Sprintf("isolated: inbound connections reset, egress blocked (%d rules)", len(res.Rules))
	switch {
	case res.Frozen:
		s += "; frozen"
	case c.State == containers.StatePaused:
		s += "; frozen (its cgroup was frozen already)"
	case unfrozen != "":
		s += "; not frozen: " + unfrozen
	case !freeze:
		s += "; not frozen: " + a.d.FreezeUnavailable
	}
	return s
}

// unprunable are the failed handles that name a container which may
// still run: not a kept one the prune refused, not a handle runc could
// not be given.
func unprunable(failures map[string]string, kept []string) []string {
	k := map[string]bool{}
	for _, h := range kept {
		k[h] = true
	}
	var out []string
	for h := range failures {
		if !k[h] && containers.ValidateHandle(h) == nil {
			out = append(out, h)
		}
	}
	sort.Strings(out)
	return out
}

// fallbackDetail names the containers of this prune that garden did not
// destroy in time and runc took over.
func fallbackDetail(all map[string]string, targets []string) string {
	var lines []string
	for _, h := range targets {
		if s, ok := all[h]; ok {
			lines = append(lines, h+" ("+s+")")
		}
	}
	if len(lines) == 0 {
		return ""
	}
	sort.Strings(lines)
	return fmt.Sprintf("; %d handed to runc: %s", len(lines), strings.Join(lines, "; "))
}
