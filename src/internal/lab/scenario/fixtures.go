package scenario

import (
	"fmt"
	"strings"
)

// Deployment and instance groups of the lab's platform.
const (
	Deployment = "cf"
	CellGroup  = "diego-cell"
	// OtherGroup is an instance group next to the cells, on their network
	// with a static IP, that a sequestration must leave untouched.
	OtherGroup = "router"
	// RouterIP is its static IP.
	RouterIP = "127.0.24.200"
	// CellsNetwork is the cells' manual network, defined in the named
	// cloud config CellsCloudConfigName.
	CellsNetwork         = "cells"
	CellsCloudConfigName = "cells"
)

// DefaultCloudConfig is the platform's default cloud config, as an
// operator keeps it in git: comments and key order must survive every
// edit. Its network is a loopback range, so the IPs the director hands
// out are addresses this machine answers on.
const DefaultCloudConfig = `# Platform cloud config (kept in git; keep comments)
azs:
- name: z1
- name: z2
vm_types:
- name: default
  cloud_properties: {cpu: 2}
compilation:
  workers: 1
  network: default
  az: z1
  vm_type: default
networks:
- name: default   # control plane
  type: manual
  subnets:
  - range: 127.0.25.0/24
    gateway: 127.0.25.1
    azs: [z1, z2]
    reserved: [127.0.25.1 - 127.0.25.9]
`

// CellsCloudConfig is the named cloud config of the cells' network, owned
// by another team, with the comments the reservation must keep, and a
// static range (a static IP may not be reserved).
const CellsCloudConfig = `# Diego cells' network (owned by the Diego team; keep comments)
networks:
- name: cells
  type: manual
  subnets:
  - range: 127.0.24.0/24   # cells only
    gateway: 127.0.24.1
    az: z1
    # the first addresses belong to the router
    reserved: [127.0.24.1 - 127.0.24.9]
    static: [127.0.24.200 - 127.0.24.210]
`

// Manifest is the cf deployment: cells Diego cells and one router on the
// cells' network.
func Manifest(cells int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `name: %s
releases:
- name: diego
  version: latest
- name: routing
  version: latest
stemcells:
- alias: default
  os: ubuntu-jammy
  version: latest
update:
  canaries: 1
  max_in_flight: 1
  canary_watch_time: 1000
  update_watch_time: 1000
instance_groups:
- name: %s
  instances: %d
  azs: [z1]
  vm_type: default
  stemcell: default
  networks:
  - name: %s
  jobs:
  - name: rep
    release: diego
  - name: route_emitter
    release: diego
- name: %s
  instances: 1
  azs: [z1]
  vm_type: default
  stemcell: default
  networks:
  - name: %s
    static_ips: [%s]
  jobs:
  - name: gorouter
    release: routing
`, Deployment, CellGroup, cells, CellsNetwork, OtherGroup, CellsNetwork, RouterIP)
	return b.String()
}
