// Package version carries the build's version: packages/sequester/packaging
// links in the release version (which scripts/create-release writes into
// src/VERSION) with -ldflags "-X .../internal/version.Version=...".
package version

// Version is overridden at link time; "dev" marks a build from a work tree.
var Version = "dev"
