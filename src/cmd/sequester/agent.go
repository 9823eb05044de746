package main

import (
	"os"

	"code.cloudfoundry.org/lager/v3"
	"github.com/spf13/cobra"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/agent"
	"github.com/cloudfoundry-community/cell-sequestration/internal/config"
	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

func init() { register(newAgentCommand) }

func newAgentCommand() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "agent --config FILE",
		Short: "Run the cell agent: the mTLS API that sequesters this cell",
		Long: `agent runs on a Diego cell as root under monit. It serves the mTLS API
(/v1/inventory, /v1/plan, /v1/sequester, /v1/status, /v1/health), watches
every thread for D state and the kernel log for hung-task reports, captures
first-responder evidence when a container becomes a suspect, serves
Prometheus metrics over mTLS on a port of its own when enabled, and resumes
a journaled sequestration after a restart. It logs lager JSON to stdout.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var cfg config.Agent
			if err := config.Load(file, &cfg); err != nil {
				return refusal.New(err)
			}
			// lager JSON on stdout: monit's job log.
			logger, err := newLogger("sequester-agent", cfg.LogLevel, os.Stdout, lager.NewWriterSink)
			if err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			return agent.Serve(ctx, logger, cfg, nil)
		},
	}
	cmd.Flags().StringVar(&file, "config", "", "the agent's rendered agent.json")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}
