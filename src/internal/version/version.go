// Package version carries the build's version, set by the packaging script
// with -ldflags "-X .../internal/version.Version=...".
package version

// Version is overridden at link time; "dev" marks a build from a work tree.
var Version = "dev"
