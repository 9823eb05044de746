//go:build tools

// Package deps keeps libraries vendored before their first importer lands.
// Remove an import here once real code imports the package.
package deps

import (
	_ "code.cloudfoundry.org/clock"
	_ "code.cloudfoundry.org/clock/fakeclock"
	_ "github.com/nats-io/nats-server/v2/server"
	_ "github.com/nats-io/nats.go"
)
