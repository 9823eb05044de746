package directorsim

import (
	"encoding/binary"
	"fmt"
	"net"
	"sort"
	"strings"
)

// ipRange is an inclusive range of IPv4 addresses held as integers, which
// keeps reserved/static arithmetic and "is it inside the subnet" checks cheap.
type ipRange struct{ first, last uint32 }

func (r ipRange) contains(ip uint32) bool { return ip >= r.first && ip <= r.last }

func ipToInt(ip net.IP) (uint32, bool) {
	v4 := ip.To4()
	if v4 == nil {
		return 0, false
	}
	return binary.BigEndian.Uint32(v4), true
}

func intToIP(v uint32) string {
	b := make([]byte, 4)
	binary.BigEndian.PutUint32(b, v)
	return net.IP(b).String()
}

func parseIPv4(s string) (uint32, error) {
	ip := net.ParseIP(strings.TrimSpace(s))
	if ip == nil {
		return 0, fmt.Errorf("invalid IP address '%s'", s)
	}
	v, ok := ipToInt(ip)
	if !ok {
		return 0, fmt.Errorf("only IPv4 is simulated, got '%s'", s)
	}
	return v, nil
}

// parseIPEntry reads one reserved/static entry the way the director accepts
// them: a single IP, a range "a - b" (spaces optional) or a CIDR block.
func parseIPEntry(s string) (ipRange, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return ipRange{}, fmt.Errorf("invalid CIDR '%s'", s)
		}
		return cidrRange(n)
	}
	if i := strings.Index(s, "-"); i >= 0 {
		a, err := parseIPv4(s[:i])
		if err != nil {
			return ipRange{}, err
		}
		b, err := parseIPv4(s[i+1:])
		if err != nil {
			return ipRange{}, err
		}
		if b < a {
			return ipRange{}, fmt.Errorf("invalid IP range '%s'", s)
		}
		return ipRange{a, b}, nil
	}
	v, err := parseIPv4(s)
	if err != nil {
		return ipRange{}, err
	}
	return ipRange{v, v}, nil
}

func cidrRange(n *net.IPNet) (ipRange, error) {
	base, ok := ipToInt(n.IP)
	if !ok {
		return ipRange{}, fmt.Errorf("only IPv4 is simulated, got '%s'", n.String())
	}
	ones, bits := n.Mask.Size()
	size := uint32(1) << uint(bits-ones)
	return ipRange{base, base + size - 1}, nil
}

// parseIPEntries accepts the shapes a cloud config uses for reserved and
// static: absent, one string, or a list of strings.
func parseIPEntries(v any) ([]ipRange, error) {
	switch t := v.(type) {
	case nil:
		return nil, nil
	case string:
		r, err := parseIPEntry(t)
		if err != nil {
			return nil, err
		}
		return []ipRange{r}, nil
	case []any:
		var out []ipRange
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("expected an IP string, got %v", e)
			}
			r, err := parseIPEntry(s)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("expected a string or a list of IPs, got %T", v)
	}
}

func inRanges(ip uint32, rs []ipRange) bool {
	for _, r := range rs {
		if r.contains(ip) {
			return true
		}
	}
	return false
}

// subnet is one manual-network subnet of a (merged) cloud config.
type subnet struct {
	cidr     string
	rng      ipRange
	gateway  uint32
	reserved []ipRange
	static   []ipRange
	azs      []string
}

// restricted is what the director never hands out dynamically: network and
// broadcast addresses, the gateway and every reserved entry.
func (s subnet) restricted(ip uint32) bool {
	if ip == s.rng.first || ip == s.rng.last || ip == s.gateway {
		return true
	}
	return inRanges(ip, s.reserved)
}

func (s subnet) inAZ(az string) bool {
	if len(s.azs) == 0 || az == "" {
		return true
	}
	for _, a := range s.azs {
		if a == az {
			return true
		}
	}
	return false
}

type network struct {
	name    string
	typ     string
	subnets []subnet
}

// cloudSpec is the part of the merged cloud configs the simulator plans with.
type cloudSpec struct {
	networks map[string]*network
	azs      []string
	vmTypes  map[string]any
	raw      *omap // merged hash, for diffs
}

// mergeCloudConfigs consolidates named cloud configs like the director does:
// list sections (azs, networks, vm_types, ...) are concatenated, in config id
// order, and every network is then parsed and validated.
func mergeCloudConfigs(contents []string) (*cloudSpec, error) {
	merged := newOmap()
	for _, c := range contents {
		m, err := parseYAMLMap(c)
		if err != nil {
			return nil, fmt.Errorf("cloud config is not valid YAML: %w", err)
		}
		for _, k := range m.keys {
			v := m.vals[k]
			if list, ok := v.([]any); ok {
				if prev, ok := merged.get(k).([]any); ok {
					merged.set(k, append(append([]any{}, prev...), list...))
					continue
				}
			}
			merged.set(k, v)
		}
	}
	spec := &cloudSpec{networks: map[string]*network{}, vmTypes: map[string]any{}, raw: merged}
	for _, a := range asList(merged.get("azs")) {
		if am, ok := a.(*omap); ok {
			spec.azs = append(spec.azs, asString(am.get("name")))
		}
	}
	for _, v := range asList(merged.get("vm_types")) {
		if vm, ok := v.(*omap); ok {
			spec.vmTypes[asString(vm.get("name"))] = vm.get("cloud_properties")
		}
	}
	for _, n := range asList(merged.get("networks")) {
		nm, ok := n.(*omap)
		if !ok {
			return nil, fmt.Errorf("network entry is not a hash")
		}
		net, err := parseNetwork(nm)
		if err != nil {
			return nil, err
		}
		if _, dup := spec.networks[net.name]; dup {
			return nil, fmt.Errorf("Duplicate network name '%s'", net.name)
		}
		spec.networks[net.name] = net
	}
	return spec, nil
}

func parseNetwork(nm *omap) (*network, error) {
	n := &network{name: asString(nm.get("name")), typ: asString(nm.get("type"))}
	if n.typ == "" {
		n.typ = "manual"
	}
	if n.typ != "manual" {
		return n, nil
	}
	for _, sv := range asList(nm.get("subnets")) {
		sm, ok := sv.(*omap)
		if !ok {
			return nil, fmt.Errorf("subnet of network '%s' is not a hash", n.name)
		}
		cidr := asString(sm.get("range"))
		_, ipn, err := net.ParseCIDR(cidr)
		if err != nil {
			return nil, fmt.Errorf("Invalid network range '%s', should include /NN or /NNN", cidr)
		}
		rng, err := cidrRange(ipn)
		if err != nil {
			return nil, err
		}
		sn := subnet{cidr: cidr, rng: rng}
		if gw := asString(sm.get("gateway")); gw != "" {
			if sn.gateway, err = parseIPv4(gw); err != nil {
				return nil, err
			}
		}
		if sn.reserved, err = parseIPEntries(sm.get("reserved")); err != nil {
			return nil, err
		}
		for _, r := range sn.reserved {
			for _, edge := range []uint32{r.first, r.last} {
				if !rng.contains(edge) {
					return nil, fmt.Errorf("Reserved IP '%s' is out of network '%s' range", intToIP(edge), n.name)
				}
			}
		}
		if sn.static, err = parseIPEntries(sm.get("static")); err != nil {
			return nil, err
		}
		for _, r := range sn.static {
			for ip := r.first; ip <= r.last && ip >= r.first; ip++ {
				if !rng.contains(ip) {
					return nil, fmt.Errorf("Static IP '%s' is out of network '%s' range", intToIP(ip), n.name)
				}
				if sn.restricted(ip) {
					return nil, fmt.Errorf("Static IP '%s' is in network '%s' reserved range", intToIP(ip), n.name)
				}
			}
		}
		if az := asString(sm.get("az")); az != "" {
			sn.azs = []string{az}
		}
		for _, a := range asList(sm.get("azs")) {
			sn.azs = append(sn.azs, asString(a))
		}
		sort.Strings(sn.azs)
		n.subnets = append(n.subnets, sn)
	}
	return n, nil
}

// subnetFor finds the subnet of n that holds ip, if any.
func (n *network) subnetFor(ip uint32) (subnet, bool) {
	for _, s := range n.subnets {
		if s.rng.contains(ip) {
			return s, true
		}
	}
	return subnet{}, false
}

func (n *network) isStatic(ip uint32) bool {
	for _, s := range n.subnets {
		if inRanges(ip, s.static) {
			return true
		}
	}
	return false
}
