package cloudconfig_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cloudconfig"
)

// FuzzReserveKeepsTheOperatorsText edits arbitrary cloud configs: whenever
// Reserve changes one, the result parses, keeps every comment and the
// operator's key order, reserves the IP, differs only by the one entry, and
// Unreserve gives the operator's text back byte for byte. Seeds live in
// testdata/fuzz/FuzzReserveKeepsTheOperatorsText; run longer with
// `go test -run '^$' -fuzz FuzzReserveKeepsTheOperatorsText -fuzztime 10m ./internal/cloudconfig`.
func FuzzReserveKeepsTheOperatorsText(f *testing.F) {
	for _, net := range []string{
		"networks:\n- name: cf\n  type: manual\n  subnets:\n  - range: 10.0.16.0/24 # cells\n    gateway: 10.0.16.1\n    azs: [z1]\n",
		"networks:\n- name: cf\n  subnets:\n  - range: 10.0.16.0/24\n    reserved:\n      - 10.0.16.2 - 10.0.16.3   # routers\n      - 10.0.16.200\n    gateway: 10.0.16.1\n",
		"networks:\n- name: cf\n  subnets:\n  - range: 10.0.16.0/24\n    reserved: [10.0.16.2, \"10.0.16.9\"] # flow\n",
		"networks:\n- name: cf\n  subnets:\n  - range: 10.0.16.0/24\n    reserved: '10.0.16.2'\n    static: [10.0.16.100-10.0.16.110]\n",
		"networks:\n- name: cf\n  subnets:\n  - range: 10.0.16.0/24\n    reserved:\n    gateway: 10.0.16.1\n",
		"networks:\n- name: other\n  subnets:\n  - {range: 10.0.17.0/24}\n- name: cf # ours\n  subnets:\n  # first subnet\n  - range: 10.0.16.0/24\n    reserved: 10.0.16.0/30\n",
	} {
		f.Add(header+net+trailer, uint8(5))
		f.Add(strings.ReplaceAll(header+net+trailer, "\n", "\r\n"), uint8(6))
		f.Add(strings.TrimSuffix(net, "\n"), uint8(7))
	}
	f.Fuzz(func(t *testing.T, content string, last uint8) {
		ip := netip.AddrFrom4([4]byte{10, 0, 16, last}).String()
		out, ch, err := cloudconfig.Reserve([]byte(content), "cf", ip)
		if err != nil || !ch.Changed {
			if err == nil && string(out) != content {
				t.Fatalf("Reserve said unchanged but changed the text:\n%s\n---\n%s", content, out)
			}
			return
		}
		var in, got yaml.Node
		if err := yaml.Unmarshal([]byte(content), &in); err != nil {
			t.Fatalf("Reserve accepted a config that does not parse: %v", err)
		}
		if err := yaml.Unmarshal(out, &got); err != nil {
			t.Fatalf("the edit does not parse: %v\n%s", err, out)
		}
		if a, b := comments(&in), comments(&got); !slices.Equal(a, b) {
			t.Fatalf("comments changed:\nbefore %q\nafter  %q", a, b)
		}
		if a, b := keyOrder(&in), keyOrder(&got); !slices.Equal(a, b) {
			t.Fatalf("key order changed:\nbefore %q\nafter  %q", a, b)
		}
		if ok, err := cloudconfig.IsReserved(out, "cf", ip); err != nil || !ok {
			t.Fatalf("IP %s not reserved after Reserve (err %v):\n%s", ip, err, out)
		}
		if d := lineDiff(content, string(out)); d > 2 {
			t.Fatalf("the edit touched %d lines, more than the one entry:\n%s\n---\n%s", d, content, out)
		}
		back, changed, err := cloudconfig.Unreserve(out, "cf", ip, ch)
		if err != nil || !changed {
			t.Fatalf("Unreserve of the entry Reserve added: changed=%v err=%v\n%s", changed, err, out)
		}
		if string(back) != content {
			t.Fatalf("Unreserve did not give the operator's text back:\n%s\n---\n%s", content, back)
		}
	})
}

// comments lists every comment of the document in order.
func comments(n *yaml.Node) []string {
	var out []string
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		for _, c := range []string{n.HeadComment, n.LineComment, n.FootComment} {
			if c != "" {
				out = append(out, c)
			}
		}
		for _, k := range n.Content {
			walk(k)
		}
	}
	walk(n)
	return out
}

// keyOrder lists every mapping key in document order, leaving out the
// reserved keys an edit may add.
func keyOrder(n *yaml.Node) []string {
	var out []string
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value != "reserved" {
					out = append(out, n.Content[i].Value)
				}
				walk(n.Content[i+1])
			}
			return
		}
		for _, k := range n.Content {
			walk(k)
		}
	}
	walk(n)
	return out
}

// lineDiff counts the lines that differ between a and b after their common
// prefix and suffix: one entry added is one changed or inserted line (two
// where a one-line value became a list).
func lineDiff(a, b string) int {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	for len(x) > 0 && len(y) > 0 && x[0] == y[0] {
		x, y = x[1:], y[1:]
	}
	for len(x) > 0 && len(y) > 0 && x[len(x)-1] == y[len(y)-1] {
		x, y = x[:len(x)-1], y[:len(y)-1]
	}
	return max(len(x), len(y))
}
