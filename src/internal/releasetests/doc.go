// Package releasetests holds the tests of the BOSH release itself: job
// templates rendered with real ERB, the packaging scripts run as a compile
// VM runs them, the release tarball built by the real bosh CLI, and the
// manifests interpolated by it. It has no code of its own.
package releasetests
