// Package directorsim is an in-memory BOSH director that speaks the real
// director API well enough for the real bosh CLI and bosh-cli's director
// package: TLS on loopback, basic auth (GET /info is open and reports
// user_authentication type "basic"), asynchronous tasks (302 Location
// /tasks/:id, event/result/debug output with Range, 206 and 416), configs
// with ids and 412 on a stale expected_latest_id, cloud check, resurrection,
// locks and events. Behaviour follows cloudfoundry/bosh (api/controllers,
// jobs/cloud_check, problem_handlers, cloudcheck_helper, lock.rb,
// manifest/changeset.rb, bosh-monitor's resurrector) and what bosh-cli
// v7.9/v7.10 sends and parses.
//
// It reproduces the director behaviours that make sequestering a cell
// dangerous, so tests and the lab prove the flow avoids them:
//
//   - the deployment lock: a deploy, a state change, a resolution or an
//     errand run holds it; a scan (and the resurrector's scan and fix) fails
//     at once, a deploy or resolution waits Options.LockWait (the director's
//     10 s) and fails with "Failed to acquire lock for lock:deployment:NAME
//     uid: ... Locking task id is N, description: '...'";
//   - delete_vm_reference is refused ("Agent is responding now, skipping
//     resolution") while the VM's agent answers; it removes only the record
//     and the VM keeps running in the simulated IaaS;
//   - a scan reports unresponsive_agent for a VM whose agent does not
//     answer and missing_vm for an instance without a VM, with the
//     director's descriptions and resolutions; only the listed problems are
//     resolved;
//   - the health monitor (Tick, or Options.HMInterval) re-reads the
//     `resurrection` config rules only every Options.ResurrectionRulesInterval
//     and, unless resurrection is paused globally or by a rule, destroys an
//     unresponsive VM and creates a new one, and recreates a VM-less
//     instance on its old IP (the database reservation);
//   - a deploy plans against the latest cloud configs (or the ids pinned by
//     its context): an instance whose IP is now reserved gets a new IP;
//     allocation skips reserved, static and database-held IPs only, so the
//     IP of a VM whose reference was deleted is handed out again unless it
//     is reserved; every pending change is applied to every instance;
//   - PUT /deployments/:d/jobs/:ig/:id?state=... with an empty body plans
//     with the configs pinned at the last deploy and hands the old IP back;
//   - a deploy binds every instance first: another instance with an
//     unresponsive agent fails it with "Timed out sending 'get_state' to
//     instance: 'group/id', agent-id: '...' after 45 seconds" (--fix
//     recreates that instance instead);
//   - a deploy or start that changes an instance applies to its agent,
//     which then starts every monit job again (a rep killed to keep its
//     containers would come back and destroy them): the agent stand-in
//     learns of each apply from its heartbeat's answer, {"applies": N};
//   - the global resurrection switch takes effect at once (the director
//     reads it on every scan-and-fix request) while a new resurrection
//     rule waits for the health monitor's re-read.
//
// Test hooks drive agents (SetAgentResponsive, heartbeats in heartbeat
// mode), inject faults (FailRequest, FailNextTask, SetTaskDelay) and inspect
// the outcome (Requests, TaskCounts, Instances, InstanceVMs, IaaSVMs,
// IPHistory).
package directorsim
