//go:build tools

// Package tools pins the bosh CLI that the tests drive; scripts/install-bosh-cli
// builds it from this module so every machine runs the same CLI.
package tools

import _ "github.com/cloudfoundry/bosh-cli/v7"
