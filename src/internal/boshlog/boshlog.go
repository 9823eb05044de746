// Package boshlog adapts a lager logger to the bosh-utils logger interface
// that bosh-cli's director and uaa packages log through, so their request
// logs land in the same structured stream as ours.
package boshlog

import (
	"fmt"
	"strings"
	"time"

	"code.cloudfoundry.org/lager/v3"
	boshlogger "github.com/cloudfoundry/bosh-utils/logger"
)

type adapter struct {
	l lager.Logger
}

// New returns a bosh-utils Logger writing to l. bosh-cli logs every request
// and response at Debug, bodies included; lager's redacting sink (if the
// caller uses one) and our Debug level keep them out of normal output.
func New(l lager.Logger) boshlogger.Logger { return &adapter{l: l.Session("bosh")} }

func data(tag, msg string, args []interface{}) (string, lager.Data) {
	return "bosh-" + hyphenate(tag), lager.Data{"message": fmt.Sprintf(msg, args...)}
}

// hyphenate turns bosh-utils tags ("director.Factory", "clientRetryable")
// into lager's hyphenated message style.
func hyphenate(tag string) string {
	var b strings.Builder
	for i, r := range tag {
		switch {
		case r == '.' || r == '_' || r == ' ':
			b.WriteByte('-')
		case r >= 'A' && r <= 'Z':
			if i > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r - 'A' + 'a')
		default:
			b.WriteRune(r)
		}
	}
	return strings.ReplaceAll(b.String(), "--", "-")
}

func (a *adapter) Debug(tag, msg string, args ...interface{}) {
	// bosh-cli dumps whole responses at Debug: manifests and configs may
	// hold credentials, so those dumps never reach our log.
	if strings.HasPrefix(msg, "Dumping ") {
		return
	}
	m, d := data(tag, msg, args)
	a.l.Debug(m, d)
}

func (a *adapter) DebugWithDetails(tag, msg string, args ...interface{}) { a.Debug(tag, msg, args...) }

func (a *adapter) Info(tag, msg string, args ...interface{}) {
	m, d := data(tag, msg, args)
	a.l.Info(m, d)
}

// Warn has no lager level of its own; Info keeps it visible.
func (a *adapter) Warn(tag, msg string, args ...interface{}) {
	m, d := data(tag, msg, args)
	d["level"] = "warn"
	a.l.Info(m, d)
}

func (a *adapter) Error(tag, msg string, args ...interface{}) {
	m, d := data(tag, msg, args)
	a.l.Error(m, fmt.Errorf("%s", d["message"]))
}

func (a *adapter) ErrorWithDetails(tag, msg string, args ...interface{}) { a.Error(tag, msg, args...) }

func (a *adapter) HandlePanic(tag string) {
	if r := recover(); r != nil {
		a.l.Error("bosh-"+hyphenate(tag)+"-panic", fmt.Errorf("%v", r))
		panic(r)
	}
}

func (a *adapter) ToggleForcedDebug()                 {}
func (a *adapter) UseRFC3339Timestamps()              {}
func (a *adapter) UseTags([]boshlogger.LogTag)        {}
func (a *adapter) Flush() error                       { return nil }
func (a *adapter) FlushTimeout(_ time.Duration) error { return nil }
