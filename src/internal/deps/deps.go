//go:build sequesterdeps

// Package deps keeps the pinned libraries of FIELD-NOTES §1 vendored even
// while no package imports them yet: `go mod vendor` reads every build tag
// but "ignore". It is never built.
package deps

import (
	_ "code.cloudfoundry.org/bbs"
	_ "code.cloudfoundry.org/bbs/models"
	_ "code.cloudfoundry.org/clock"
	_ "code.cloudfoundry.org/garden/client"
	_ "code.cloudfoundry.org/garden/client/connection"
	_ "code.cloudfoundry.org/garden/server"
	_ "code.cloudfoundry.org/lager/v3"
	_ "code.cloudfoundry.org/lager/v3/lagerflags"
	_ "code.cloudfoundry.org/tlsconfig"
	_ "github.com/cloudfoundry/bosh-cli/v7/director"
	_ "github.com/cloudfoundry/bosh-cli/v7/templatescompiler/erbrenderer"
	_ "github.com/cloudfoundry/bosh-cli/v7/uaa"
	_ "github.com/cloudfoundry/bosh-utils/logger"
	_ "github.com/cloudfoundry/bosh-utils/system"
	_ "github.com/spf13/cobra"
	_ "github.com/tedsuo/rata"
	_ "gopkg.in/yaml.v3"
)
