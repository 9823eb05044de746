package containers

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
)

// Garden property keys the executor and Cloud Controller set on app
// containers.
const (
	PropertyOwner     = "executor:owner"
	PropertyLogConfig = "log_config"
	PropertyAppID     = "network.app_id"
	PropertyPorts     = "network.ports"
)

// Container states in agentapi.Container.State.
const (
	StateRunning = "running"
	StatePaused  = "paused"
	StateStopped = "stopped"
	StateUnknown = "unknown"
)

// logConfig is the executor's log configuration stored as a property.
type logConfig struct {
	GUID  string `json:"guid"`
	Index *int   `json:"index"`
}

// describe fills what properties and the processes' environment tell about
// the app in a container. Properties win: they were set by the executor,
// while the environment is whatever the app process was started with.
func describe(c *agentapi.Container, procRoot string) {
	if p := c.Properties; p != nil {
		if id := p[PropertyAppID]; id != "" {
			c.AppGUID = id
		}
		if lc := p[PropertyLogConfig]; lc != "" {
			var l logConfig
			if json.Unmarshal([]byte(lc), &l) == nil {
				if c.AppGUID == "" {
					c.AppGUID = l.GUID
				}
				if c.Index == nil {
					c.Index = l.Index
				}
			}
		}
		if ports := p[PropertyPorts]; ports != "" {
			c.Ports = parsePorts(ports)
		}
	}
	// The first process that carries VCAP_APPLICATION names the instance;
	// sidecars and ssh sessions carry the same one.
	for _, pid := range c.Pids {
		v, ok := ReadVCAPApplication(procRoot, pid)
		if !ok {
			continue
		}
		if c.AppGUID == "" {
			c.AppGUID = v.ApplicationID
		}
		if c.Index == nil {
			c.Index = v.InstanceIndex
		}
		if c.ProcessGUID == "" {
			c.ProcessGUID = v.ProcessGUID()
		}
		if c.InstanceGUID == "" {
			c.InstanceGUID = v.InstanceID
		}
		break
	}
	if c.InstanceGUID == "" && c.AppGUID != "" {
		// The executor names an LRP's container by its ActualLRP instance guid.
		c.InstanceGUID = c.Handle
	}
}

func parsePorts(s string) []int {
	var out []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		if n, err := strconv.Atoi(f); err == nil && n > 0 && n < 65536 {
			out = append(out, n)
		}
	}
	return out
}

// applyFrozen reports a running container whose cgroup is frozen as paused,
// whichever backend listed it: garden knows nothing of a runc pause.
func applyFrozen(c *agentapi.Container, procRoot, cgroupRoot string) {
	if len(c.Pids) == 0 {
		return
	}
	if frozen, err := Frozen(procRoot, cgroupRoot, c.Pids[0]); err == nil && frozen {
		c.State = StatePaused
		c.FrozenByUs = true
	}
}

func sortContainers(cs []agentapi.Container) {
	sort.Slice(cs, func(i, j int) bool { return cs[i].Handle < cs[j].Handle })
}
