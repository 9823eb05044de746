// Package cloudconfig finds the cloud config that defines a BOSH network and
// reserves (or un-reserves) one IP in it, editing the operator's YAML text in
// place so that every comment, key order and quoting style outside the edited
// entry stays byte-for-byte as written. The director's UpdateConfig sends the
// bytes it is given, so what the operator keeps in git still diffs cleanly.
package cloudconfig

import (
	"fmt"
	"net/netip"
	"strings"
)

// entry is one element of a subnet's `reserved` or `static` list: a single
// IP, an "a - b" range or a CIDR, as BOSH accepts them.
type entry struct {
	raw    string
	single bool
	first  netip.Addr
	last   netip.Addr
}

func parseEntry(s string) (entry, error) {
	raw := strings.TrimSpace(s)
	e := entry{raw: raw}
	switch {
	case strings.Contains(raw, "/"):
		p, err := netip.ParsePrefix(raw)
		if err != nil {
			return e, fmt.Errorf("bad CIDR %q: %w", raw, err)
		}
		p = p.Masked()
		e.first = p.Addr()
		e.last = lastOf(p)
	case strings.Contains(raw, "-"):
		a, b, _ := strings.Cut(raw, "-")
		first, err := netip.ParseAddr(strings.TrimSpace(a))
		if err != nil {
			return e, fmt.Errorf("bad range %q: %w", raw, err)
		}
		last, err := netip.ParseAddr(strings.TrimSpace(b))
		if err != nil {
			return e, fmt.Errorf("bad range %q: %w", raw, err)
		}
		if last.Less(first) {
			first, last = last, first
		}
		e.first, e.last = first, last
	default:
		a, err := netip.ParseAddr(raw)
		if err != nil {
			return e, fmt.Errorf("bad IP %q: %w", raw, err)
		}
		e.single, e.first, e.last = true, a, a
	}
	return e, nil
}

func (e entry) contains(ip netip.Addr) bool {
	return !ip.Less(e.first) && !e.last.Less(ip)
}

// lastOf is the highest address of a prefix.
func lastOf(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	bits := p.Bits()
	for i := range b {
		for bit := 0; bit < 8; bit++ {
			if i*8+bit >= bits {
				b[i] |= 0x80 >> bit
			}
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
