//go:build tools

// Package deps keeps libraries vendored before their first importer lands.
// Remove an import here once real code imports the package.
package deps

import (
	_ "code.cloudfoundry.org/clock"
	_ "code.cloudfoundry.org/clock/fakeclock"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/prometheus/client_golang/prometheus/testutil"
	_ "github.com/prometheus/common/expfmt"
	_ "golang.org/x/sync/errgroup"
)
