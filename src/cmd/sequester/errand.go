package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/cloudfoundry-community/cell-sequestration/internal/config"
	"github.com/cloudfoundry-community/cell-sequestration/internal/record"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

func init() { register(newErrandCommand) }

func newErrandCommand() *cobra.Command {
	var file, logLevel string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "errand --config FILE",
		Short: "Run `cell` from the sequester-cell errand's rendered config and print the report",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var c config.Errand
			if err := config.Load(file, &c); err != nil {
				return refusal.New(err)
			}
			s, err := sequestrationFromErrand(c)
			if err != nil {
				return err
			}
			s.json = asJSON
			if logLevel != "" {
				s.dir.logLevel = logLevel
			}
			f, err := s.flow(c.Instance)
			if err != nil {
				return err
			}
			return runAndReport(cmd, f, asJSON)
		},
	}
	cmd.Flags().StringVar(&file, "config", "", "the errand's rendered errand.json")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the JSON report instead of the readable one")
	cmd.Flags().StringVar(&logLevel, "log-level", "", "log level on stderr (default: the config's log_level, else info)")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}

// sequestrationFromErrand maps the errand's config onto the same flags
// `sequester cell -n` takes, so both run the same code.
func sequestrationFromErrand(c config.Errand) (*sequestration, error) {
	ca := ""
	if c.Director.CACertFile != "" {
		b, err := os.ReadFile(c.Director.CACertFile)
		if err != nil {
			return nil, refusal.New(fmt.Errorf("director CA: %w", err))
		}
		ca = string(b)
	}
	s := &sequestration{
		deployment: c.Deployment,
		dir: directorFlags{environment: c.Director.URL, client: c.Director.Client, clientSecret: c.Director.ClientSecret,
			caCert: ca, recordType: c.RecordConfigType, logLevel: c.LogLevel},
		agent: agentFlags{ca: c.Agent.TLS.CAFile, cert: c.Agent.TLS.CertFile, key: c.Agent.TLS.KeyFile,
			serverName: c.Agent.ServerName, port: c.Agent.Port},
		keep: keepFlags{handles: c.Keep.Handles, apps: c.Keep.AppGUIDs, pids: c.Keep.Pids, suspects: c.Keep.Suspects, none: c.Keep.None},
		bbs:  bbsFlags{url: c.BBS.URL, ca: c.BBS.CAFile, cert: c.BBS.CertFile, key: c.BBS.KeyFile},

		reason: c.Reason, caseID: c.CaseID, requestedBy: c.RequestedBy,
		maxSequestered: c.MaxSequestered, freeze: c.Freeze, blockEgress: c.BlockEgress,
		allowWithoutSSH: c.AllowWithoutSSH, ignoreCapacity: c.IgnoreCapacity, nonInteractive: true,
		resurrectionWait:    durationSeconds(c.ResurrectionWaitSeconds),
		unresponsiveTimeout: durationSeconds(c.UnresponsiveTimeoutSeconds),
		cellTimeout:         durationSeconds(c.CellTimeoutSeconds),
		pollInterval:        durationSeconds(c.PollIntervalSeconds),
		resurrectionMode:    c.ResurrectionMode,
	}
	if s.resurrectionMode == "" {
		s.resurrectionMode = record.ResurrectionScoped
	}
	if s.dir.recordType == "" {
		s.dir.recordType = record.DefaultType
	}
	if s.agent.port == 0 {
		s.agent.port = 8899
	}
	return s, nil
}

// durationSeconds reads a seconds value of the errand config.
func durationSeconds(n int) time.Duration { return time.Duration(n) * time.Second }
