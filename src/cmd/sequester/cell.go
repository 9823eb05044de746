package main

import (
	"fmt"
	"os"
	"time"

	"code.cloudfoundry.org/lager/v3"
	"github.com/spf13/cobra"

	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
)

func init() {
	register(newCellCommand)
}

// sequestration holds the flags plan and cell share.
type sequestration struct {
	deployment string
	dir        directorFlags
	agent      agentFlags
	keep       keepFlags
	bbs        bbsFlags
	json       bool

	reason, caseID, requestedBy string
	maxSequestered              int
	freeze, blockEgress         bool
	allowWithoutSSH             bool
	nonInteractive              bool
	resurrectionWait            time.Duration
	unresponsiveTimeout         time.Duration
	cellTimeout                 time.Duration
	pollInterval                time.Duration
	resurrectionMode            string
}

func (s *sequestration) bind(cmd *cobra.Command, full bool) {
	fl := cmd.Flags()
	fl.StringVarP(&s.deployment, "deployment", "d", os.Getenv("BOSH_DEPLOYMENT"), "deployment of the cell")
	fl.BoolVar(&s.json, "json", false, "print one JSON document")
	s.dir.bind(cmd)
	s.agent.bind(cmd)
	s.keep.bind(cmd)
	s.bbs.bind(cmd)
	fl.IntVar(&s.maxSequestered, "max-sequestered", 2, "refuse when this many cells are already sequestered (0: no limit)")
	fl.BoolVar(&s.freeze, "freeze", false, "freeze kept containers")
	fl.BoolVar(&s.blockEgress, "block-egress", false, "block kept containers' egress")
	fl.BoolVar(&s.allowWithoutSSH, "allow-without-ssh", false, "go on when investigator SSH is not ready")
	if !full {
		return
	}
	fl.StringVar(&s.reason, "reason", "", "why the cell is sequestered (recorded)")
	fl.StringVar(&s.caseID, "case", "", "case or incident id (recorded)")
	fl.StringVar(&s.requestedBy, "requested-by", os.Getenv("USER"), "who asks (recorded)")
	fl.BoolVarP(&s.nonInteractive, "non-interactive", "n", false, "do not ask for confirmation")
	fl.DurationVar(&s.resurrectionWait, "resurrection-wait", 65*time.Second, "how long the health monitor takes to re-read resurrection rules; the global switch bridges it")
	fl.DurationVar(&s.unresponsiveTimeout, "unresponsive-timeout", 5*time.Minute, "wait for the director to see the BOSH agent unresponsive")
	fl.DurationVar(&s.cellTimeout, "cell-timeout", 15*time.Minute, "bound on each cell-side phase (contain, cleanup)")
	fl.DurationVar(&s.pollInterval, "poll-interval", 5*time.Second, "how often to poll the agent and the director")
	fl.StringVar(&s.resurrectionMode, "resurrection-mode", "scoped", "scoped (a resurrection config for the instance group, global as fallback) or global")
}

// flow builds the director flow from the flags.
func (s *sequestration) flow(instance string) (*director.Flow, lager.Logger, error) {
	logger, err := newLogger(s.dir.logLevel)
	if err != nil {
		return nil, nil, err
	}
	if s.deployment == "" {
		return nil, nil, refused(fmt.Errorf("no deployment: -d DEPLOYMENT"))
	}
	if _, _, err := director.SplitInstance(instance); err != nil {
		return nil, nil, refused(err)
	}
	keep, err := s.keep.keep()
	if err != nil {
		return nil, nil, err
	}
	if s.resurrectionMode == "" {
		s.resurrectionMode = record.ResurrectionScoped
	}
	if s.resurrectionMode != record.ResurrectionScoped && s.resurrectionMode != record.ResurrectionGlobal {
		return nil, nil, refused(fmt.Errorf("--resurrection-mode %q: want scoped or global", s.resurrectionMode))
	}
	agents, err := s.agent.dialer()
	if err != nil {
		return nil, nil, err
	}
	bbs, err := s.bbs.checker(logger)
	if err != nil {
		return nil, nil, err
	}
	conn, err := s.dir.connect(logger)
	if err != nil {
		return nil, nil, err
	}
	requestedBy := s.requestedBy
	if requestedBy == "" {
		// Without a login name the director client is who acted.
		requestedBy = "director client " + s.dir.client
	}
	f := &director.Flow{
		Dir: conn.Director, Raw: conn.Raw, Agents: agents, BBS: bbs, Logger: logger, Tasks: conn.Tasks,
		Store: record.NewStore(conn.Director, s.dir.recordType, logger),
		Opts: director.Options{
			Deployment: s.deployment, Instance: instance, Keep: keep,
			Freeze: s.freeze, BlockEgress: s.blockEgress, AllowWithoutSSH: s.allowWithoutSSH,
			Reason: s.reason, CaseID: s.caseID, RequestedBy: requestedBy,
			MaxSequestered: s.maxSequestered, RecordType: s.dir.recordType,
			ResurrectionWait: s.resurrectionWait, UnresponsiveTimeout: s.unresponsiveTimeout,
			CellTimeout: s.cellTimeout, PollInterval: s.pollInterval, ResurrectionMode: s.resurrectionMode,
		},
	}
	return f, logger, nil
}

func newCellCommand() *cobra.Command {
	s := &sequestration{}
	cmd := &cobra.Command{
		Use:   "cell -d DEPLOYMENT GROUP/ID",
		Short: "Sequester a cell: take it out of the platform alive and give the instance a new VM",
		Long: `cell runs the preflight checks, records the sequestration in the director,
reserves the cell's IP, pauses resurrection, has the cell's sequester-agent
withdraw routes, stop the rep, prune all but the kept containers and stop the
BOSH agent, makes the director forget the VM, redeploys so the instance gets a
new VM on a new IP, restores resurrection and verifies. Re-running after a
failure resumes where it stopped.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, _, err := s.flow(args[0])
			if err != nil {
				return err
			}
			ctx, cancel := signalContext()
			defer cancel()
			if !s.nonInteractive {
				p, err := f.Plan(ctx)
				if p != nil && !s.json {
					p.WriteText(cmd.ErrOrStderr())
				}
				if err != nil {
					return asExit(err)
				}
				if err := confirm(cmd, fmt.Sprintf("Sequester %s of deployment %s?", args[0], s.deployment)); err != nil {
					return err
				}
			}
			return runAndReport(cmd, f, s.json)
		},
	}
	s.bind(cmd, true)
	return cmd
}

// runAndReport runs the flow and prints its report, also on failure.
func runAndReport(cmd *cobra.Command, f *director.Flow, asJSON bool) error {
	ctx, cancel := signalContext()
	defer cancel()
	rep, err := f.Run(ctx)
	switch {
	case rep != nil && asJSON:
		_ = writeJSON(cmd.OutOrStdout(), rep)
	case rep != nil:
		rep.WriteText(cmd.OutOrStdout())
	case asJSON && err != nil:
		// Refused before a record existed: still one JSON document.
		state := "failed"
		if director.IsRefusal(err) {
			state = "refused"
		}
		_ = writeJSON(cmd.OutOrStdout(), map[string]string{
			"state": state, "deployment": f.Opts.Deployment, "instance": f.Opts.Instance, "error": err.Error(),
		})
	}
	return asExit(err)
}
