package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/refusal"
)

// logSink is how a command's log is written: lager.NewWriterSink for a
// job's log file, lager.NewPrettySink for an operator's terminal.
type logSink func(w io.Writer, min lager.LogLevel) lager.Sink

// newLogger is every command's logger: component's lager log at level
// (debug, info, error or fatal; empty is info) through sink to w.
func newLogger(component, level string, w io.Writer, sink logSink) (lager.Logger, error) {
	min := lager.INFO
	if level != "" {
		l, err := lager.LogLevelFromString(strings.ToLower(level))
		if err != nil {
			return nil, refusal.New(fmt.Errorf("log level %q: want debug, info, error or fatal", level))
		}
		min = l
	}
	logger := lager.NewLogger(component)
	logger.RegisterSink(sink(w, min))
	return logger, nil
}

// operatorLogger logs to stderr, so stdout holds only the report.
func operatorLogger(level string) (lager.Logger, error) {
	return newLogger("sequester", level, os.Stderr, lager.NewPrettySink)
}
