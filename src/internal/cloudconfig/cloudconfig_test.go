package cloudconfig_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cloudconfig"
)

const header = `# Cloud config for the cf foundation. Edited by hand: keep comments.
azs:
- name: z1   # rack A
  cloud_properties: {zone: a}
`

const trailer = `vm_types:
- name: small # the default
  cloud_properties:
    cpu: 2
compilation:
  workers: 3
`

func TestReserveAddsExactlyOneEntryAndKeepsEverythingElse(t *testing.T) {
	cases := []struct {
		name    string
		network string // networks: section between header and trailer
		want    string
	}{
		{
			name: "a subnet without reserved gets a one-line flow list after its range",
			network: `networks:
- name: cf
  type: manual
  subnets:
  - range: 10.0.16.0/24 # cells
    gateway: 10.0.16.1
    azs: [z1]
    cloud_properties:
      name: cf-net
`,
			want: `networks:
- name: cf
  type: manual
  subnets:
  - range: 10.0.16.0/24 # cells
    reserved: [10.0.16.5]
    gateway: 10.0.16.1
    azs: [z1]
    cloud_properties:
      name: cf-net
`,
		},
		{
			name: "a block list gets one more item with the same indentation",
			network: `networks:
- name: cf
  subnets:
  - range: 10.0.16.0/24
    reserved:
      - 10.0.16.2 - 10.0.16.3   # routers, do not touch
      - 10.0.16.200
    gateway: 10.0.16.1
`,
			want: `networks:
- name: cf
  subnets:
  - range: 10.0.16.0/24
    reserved:
      - 10.0.16.2 - 10.0.16.3   # routers, do not touch
      - 10.0.16.200
      - 10.0.16.5
    gateway: 10.0.16.1
`,
		},
		{
			name: "a flow list gets one more element before its bracket",
			network: `networks:
- name: cf
  subnets:
  - range: 10.0.16.0/24
    reserved: ["10.0.16.2", 10.0.16.250-10.0.16.254] # keep
`,
			want: `networks:
- name: cf
  subnets:
  - range: 10.0.16.0/24
    reserved: ["10.0.16.2", 10.0.16.250-10.0.16.254, 10.0.16.5] # keep
`,
		},
		{
			name: "a single string becomes a flow list holding the operator's token as written",
			network: `networks:
- name: cf
  subnets:
  - range: 10.0.16.0/24
    reserved: '10.0.16.2 - 10.0.16.4' # old routers
`,
			want: `networks:
- name: cf
  subnets:
  - range: 10.0.16.0/24
    reserved: ['10.0.16.2 - 10.0.16.4', 10.0.16.5] # old routers
`,
		},
		{
			name: "an empty reserved key gets the list after its colon",
			network: `networks:
- name: cf
  subnets:
  - range: 10.0.16.0/24
    reserved:
    gateway: 10.0.16.1
`,
			want: `networks:
- name: cf
  subnets:
  - range: 10.0.16.0/24
    reserved: [10.0.16.5]
    gateway: 10.0.16.1
`,
		},
		{
			name: "only the subnet whose range holds the IP is edited",
			network: `networks:
- name: cf
  subnets:
  - range: 10.0.15.0/24
    az: z1
  - range: 10.0.16.0/24
    az: z2
    reserved: []
`,
			want: `networks:
- name: cf
  subnets:
  - range: 10.0.15.0/24
    az: z1
  - range: 10.0.16.0/24
    az: z2
    reserved: [10.0.16.5]
`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := header + tc.network + trailer
			out, ch, err := cloudconfig.Reserve([]byte(in), "cf", "10.0.16.5")
			if err != nil {
				t.Fatalf("Reserve: %v", err)
			}
			if !ch.Changed {
				t.Fatal("Reserve reported no change")
			}
			if got, want := string(out), header+tc.want+trailer; got != want {
				t.Fatalf("edited text differs\n--- got\n%s\n--- want\n%s", got, want)
			}
			again, ch, err := cloudconfig.Reserve(out, "cf", "10.0.16.5")
			if err != nil || ch.Changed || string(again) != string(out) {
				t.Fatalf("second Reserve changed=%v err=%v; want no change", ch.Changed, err)
			}
		})
	}
}

func TestReserveLeavesAnIPAlreadyCoveredAlone(t *testing.T) {
	cases := []struct{ name, reserved string }{
		{"by a single IP string", "reserved: 10.0.16.5"},
		{"by a single IP in a list", "reserved: [10.0.16.4, 10.0.16.5]"},
		{"by a range with spaces", "reserved: [10.0.16.2 - 10.0.16.9]"},
		{"by a range without spaces", "reserved: [10.0.16.2-10.0.16.9]"},
		{"by a CIDR", "reserved: [10.0.16.0/29]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := "networks:\n- name: cf\n  subnets:\n  - range: 10.0.16.0/24\n    " + tc.reserved + "\n"
			out, ch, err := cloudconfig.Reserve([]byte(in), "cf", "10.0.16.5")
			if err != nil || ch.Changed || string(out) != in {
				t.Fatalf("changed=%v err=%v out=%q; want untouched", ch.Changed, err, out)
			}
			ok, err := cloudconfig.IsReserved([]byte(in), "cf", "10.0.16.5")
			if err != nil || !ok {
				t.Fatalf("IsReserved = %v, %v; want true", ok, err)
			}
		})
	}
}

func TestReserveRefusesWhatIsUnsafe(t *testing.T) {
	cases := []struct {
		name    string
		yaml    string
		network string
		ip      string
		want    error
		msg     string
	}{
		{"a static IP in a list", "networks:\n- name: cf\n  subnets:\n  - range: 10.0.16.0/24\n    static: [10.0.16.5]\n", "cf", "10.0.16.5", cloudconfig.ErrStaticIP, `10.0.16.5 in network "cf" subnet 10.0.16.0/24 (static entry "10.0.16.5"): IP is a static IP of its subnet`},
		{"a static IP inside a static range string", "networks:\n- name: cf\n  subnets:\n  - range: 10.0.16.0/24\n    static: 10.0.16.2 - 10.0.16.9\n", "cf", "10.0.16.5", cloudconfig.ErrStaticIP, `10.0.16.5 in network "cf" subnet 10.0.16.0/24 (static entry "10.0.16.2 - 10.0.16.9"): IP is a static IP of its subnet`},
		{"an IP outside every range", "networks:\n- name: cf\n  subnets:\n  - range: 10.0.15.0/24\n", "cf", "10.0.16.5", cloudconfig.ErrOutsideSubnets, `10.0.16.5 in network "cf": IP is outside every subnet range of the network`},
		{"a dynamic network", "networks:\n- name: cf\n  type: dynamic\n", "cf", "10.0.16.5", cloudconfig.ErrNotManual, `network "cf" has type "dynamic": network is not a manual network`},
		{"an undefined network", "networks:\n- name: other\n  subnets: []\n", "cf", "10.0.16.5", cloudconfig.ErrNetworkNotFound, `network "cf": network is not defined in any cloud config`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := cloudconfig.Reserve([]byte(tc.yaml), tc.network, tc.ip)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v; want %v", err, tc.want)
			}
			if err.Error() != tc.msg {
				t.Fatalf("message = %q; want %q", err.Error(), tc.msg)
			}
		})
	}
}

func TestUnreserveRemovesOnlyTheSingleEntryReserveAdded(t *testing.T) {
	cases := []struct{ name, network string }{
		{"a key Reserve created", "networks:\n- name: cf\n  subnets:\n  - range: 10.0.16.0/24 # cells\n    gateway: 10.0.16.1\n"},
		{"a block list", "networks:\n- name: cf\n  subnets:\n  - range: 10.0.16.0/24\n    reserved:\n    - 10.0.16.2 # router\n    - 10.0.16.9\n"},
		{"a flow list", "networks:\n- name: cf\n  subnets:\n  - range: 10.0.16.0/24\n    reserved: [10.0.16.2, 10.0.16.9] # keep\n"},
		{"an empty flow list", "networks:\n- name: cf\n  subnets:\n  - range: 10.0.16.0/24\n    reserved: []\n"},
		{"a single string", "networks:\n- name: cf\n  subnets:\n  - range: 10.0.16.0/24\n    reserved: 10.0.16.2 - 10.0.16.4 # router\n"},
		{"a single quoted string", "networks:\n- name: cf\n  subnets:\n  - range: 10.0.16.0/24\n    reserved: '10.0.16.9'\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := header + tc.network + trailer
			reserved, ch, err := cloudconfig.Reserve([]byte(in), "cf", "10.0.16.5")
			if err != nil {
				t.Fatal(err)
			}
			out, changed, err := cloudconfig.Unreserve(reserved, "cf", "10.0.16.5", ch)
			if err != nil || !changed {
				t.Fatalf("Unreserve changed=%v err=%v", changed, err)
			}
			if string(out) != in {
				t.Fatalf("round trip differs\n--- got\n%s\n--- want\n%s", out, in)
			}
		})
	}
}

func TestUnreserveNeverTouchesAnOperatorsRangeOrCIDR(t *testing.T) {
	for _, reserved := range []string{"[10.0.16.2 - 10.0.16.9]", "[10.0.16.0/29]", "10.0.16.4-10.0.16.6"} {
		in := "networks:\n- name: cf\n  subnets:\n  - range: 10.0.16.0/24\n    reserved: " + reserved + "\n"
		out, changed, err := cloudconfig.Unreserve([]byte(in), "cf", "10.0.16.5", cloudconfig.Change{})
		if err != nil || changed || string(out) != in {
			t.Fatalf("%s: changed=%v err=%v; want untouched", reserved, changed, err)
		}
	}
}

func TestUnreserveOfTheFirstOfSeveralFlowItems(t *testing.T) {
	in := "networks:\n- name: cf\n  subnets:\n  - range: 10.0.16.0/24\n    reserved: [10.0.16.5, 10.0.16.9]\n"
	out, changed, err := cloudconfig.Unreserve([]byte(in), "cf", "10.0.16.5", cloudconfig.Change{})
	if err != nil || !changed {
		t.Fatal(changed, err)
	}
	if want := "networks:\n- name: cf\n  subnets:\n  - range: 10.0.16.0/24\n    reserved: [10.0.16.9]\n"; string(out) != want {
		t.Fatalf("got %q want %q", out, want)
	}
}

func TestLocateFindsTheNamedConfigThatDefinesTheNetwork(t *testing.T) {
	configs := []cloudconfig.Named{
		{Name: "default", ID: "1", Content: "azs: [{name: z1}]\nnetworks:\n- name: default\n  subnets:\n  - range: 10.0.0.0/24\n"},
		{Name: "diego", ID: "7", Content: "networks:\n- name: cells\n  subnets:\n  - range: 10.0.15.0/24\n    azs: [z1]\n  - range: 10.0.16.0/24\n    az: z2\n    reserved: 10.0.16.0/30\n"},
	}
	cases := []struct {
		ip   string
		want cloudconfig.Placement
	}{
		{"10.0.16.9", cloudconfig.Placement{Config: "diego", ConfigID: "7", Network: "cells", Range: "10.0.16.0/24", AZs: []string{"z2"}}},
		{"10.0.16.2", cloudconfig.Placement{Config: "diego", ConfigID: "7", Network: "cells", Range: "10.0.16.0/24", AZs: []string{"z2"}, Reserved: true, ReservedBy: "10.0.16.0/30"}},
		{"10.0.15.4", cloudconfig.Placement{Config: "diego", ConfigID: "7", Network: "cells", Range: "10.0.15.0/24", AZs: []string{"z1"}}},
	}
	for _, tc := range cases {
		got, err := cloudconfig.Locate(configs, "cells", tc.ip)
		if err != nil {
			t.Fatalf("%s: %v", tc.ip, err)
		}
		if strings.Join(got.AZs, ",") != strings.Join(tc.want.AZs, ",") || got.Config != tc.want.Config || got.ConfigID != tc.want.ConfigID ||
			got.Range != tc.want.Range || got.Reserved != tc.want.Reserved || got.ReservedBy != tc.want.ReservedBy {
			t.Fatalf("%s: got %+v want %+v", tc.ip, got, tc.want)
		}
	}
	twice := append(configs, cloudconfig.Named{Name: "dup", Content: "networks:\n- name: cells\n"})
	if _, err := cloudconfig.Locate(twice, "cells", "10.0.16.9"); !errors.Is(err, cloudconfig.ErrNetworkTwice) {
		t.Fatalf("err = %v; want ErrNetworkTwice", err)
	}
}

func TestReserveKeepsTheOperatorsLineEnds(t *testing.T) {
	net := "networks:\n- name: cf\n  subnets:\n  - range: 10.0.16.0/24\n    gateway: 10.0.16.1"
	cases := []struct {
		name, in, want string
	}{
		{"a CRLF file stays CRLF", strings.ReplaceAll(net, "\n", "\r\n") + "\r\n",
			"networks:\r\n- name: cf\r\n  subnets:\r\n  - range: 10.0.16.0/24\r\n    reserved: [10.0.16.5]\r\n    gateway: 10.0.16.1\r\n"},
		{"a file without a last newline still has none", "networks:\n- name: cf\n  subnets:\n  - range: 10.0.16.0/24",
			"networks:\n- name: cf\n  subnets:\n  - range: 10.0.16.0/24\n    reserved: [10.0.16.5]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, ch, err := cloudconfig.Reserve([]byte(c.in), "cf", "10.0.16.5")
			if err != nil || string(out) != c.want {
				t.Fatalf("Reserve: err %v\n got %q\nwant %q", err, out, c.want)
			}
			back, _, err := cloudconfig.Unreserve(out, "cf", "10.0.16.5", ch)
			if err != nil || string(back) != c.in {
				t.Fatalf("Unreserve: err %v\n got %q\nwant %q", err, back, c.in)
			}
		})
	}
}

func TestReserveRefusesAFileThatBreaksLinesWithABareCR(t *testing.T) {
	in := "networks:\n- name: cf\r  subnets:\n  - range: 10.0.16.0/24\n"
	_, _, err := cloudconfig.Reserve([]byte(in), "cf", "10.0.16.5")
	if !errors.Is(err, cloudconfig.ErrNotEditable) || !strings.Contains(err.Error(), "carriage return") {
		t.Fatalf("want a refusal naming the carriage return, got %v", err)
	}
}
