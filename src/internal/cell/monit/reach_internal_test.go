package monit

import (
	"encoding/binary"
	"net"
	"testing"
)

func TestParseProcAddrReadsTheKernelsFormat(t *testing.T) {
	// The kernel prints each address word as the number it holds in
	// memory: little-endian machines show 127.0.0.1 as 0100007F.
	loopback4, loopback6 := "0100007F", "00000000000000000000000001000000"
	if binary.NativeEndian.Uint32([]byte{1, 2, 3, 4}) == 0x01020304 {
		loopback4, loopback6 = "7F000001", "00000000000000000000000000000001"
	}
	cases := []struct {
		name string
		in   string
		ip   net.IP
		port int
		ok   bool
	}{
		{"monit's loopback port", loopback4 + ":0B06", net.IPv4(127, 0, 0, 1), 2822, true},
		{"the wildcard address", "00000000:1F90", net.IPv4zero, 8080, true},
		{"IPv6 loopback", loopback6 + ":0B06", net.IPv6loopback, 2822, true},
		{"no port", loopback4, nil, 0, false},
		{"not hex", "ZZ00007F:0B06", nil, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ip, port, ok := parseProcAddr(tc.in)
			if ok != tc.ok || (ok && (!ip.Equal(tc.ip) || port != tc.port)) {
				t.Fatalf("parseProcAddr(%q) = %v, %d, %v; want %v, %d, %v", tc.in, ip, port, ok, tc.ip, tc.port, tc.ok)
			}
		})
	}
}
