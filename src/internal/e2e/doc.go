// Package e2e holds the end-to-end tests that join the two halves of a
// sequestration with real parts, on the platform `sequester lab` builds
// (package scenario): the director flow (the code `sequester cell` runs)
// against the director simulator in heartbeat mode, and a real target
// cell: the real sequester-agent serving its mTLS API, a real monit
// supervising the rep and route-emitter stand-ins, a real runsvdir
// supervising a BOSH-agent stand-in that heartbeats to the simulator, real
// runc containers behind garden's server, and the BBS double.
//
// The cells' manual network is a loopback range, so the instance IPs the
// director reports are addresses this machine answers on: the flow reaches
// the target's agent with the production dialer (director.MTLSAgents) at
// IP:port, whose certificate names that IP, with no test seam in between.
//
// lab_test.go runs the built `sequester lab` as a user would.
//
// The tests need root, runc, monit and runit; they skip without them, and
// fail instead when CI is set. There is no non-test code here.
package e2e
