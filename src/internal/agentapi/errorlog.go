package agentapi

import (
	"errors"
	"regexp"
	"strings"

	"code.cloudfoundry.org/lager/v3"
)

// handshakeError matches net/http's line for a failed TLS handshake:
// "http: TLS handshake error from <addr>: <reason>" (go: net/http/server.go).
var handshakeError = regexp.MustCompile(`^http: TLS handshake error from (\S+): (.*)$`)

// serverErrorLog turns net/http's ErrorLog lines into lager entries. A
// failed handshake is a client without a certificate from the agent's CA
// (a misconfigured errand, a scanner): it gets its own message and the
// remote address, so an operator can find it.
type serverErrorLog struct{ logger lager.Logger }

func (s serverErrorLog) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	if m := handshakeError.FindStringSubmatch(line); m != nil {
		s.logger.Error("tls-handshake-failed", errors.New(m[2]), lager.Data{"remote_addr": m[1]})
		return len(p), nil
	}
	s.logger.Error("http-server-error", errors.New(line))
	return len(p), nil
}
