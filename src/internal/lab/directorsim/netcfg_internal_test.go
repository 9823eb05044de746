package directorsim

import (
	"strings"
	"testing"
)

func TestParseIPEntryAcceptsTheDirectorsShapes(t *testing.T) {
	cases := []struct {
		in          string
		first, last string
		wantErr     bool
	}{
		{in: "10.0.0.5", first: "10.0.0.5", last: "10.0.0.5"},
		{in: "10.0.0.5 - 10.0.0.9", first: "10.0.0.5", last: "10.0.0.9"},
		{in: "10.0.0.5-10.0.0.9", first: "10.0.0.5", last: "10.0.0.9"},
		{in: "10.0.0.16/28", first: "10.0.0.16", last: "10.0.0.31"},
		{in: "10.0.0.9 - 10.0.0.5", wantErr: true},
		{in: "not-an-ip", wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			r, err := parseIPEntry(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("want an error, got %v", r)
				}
				return
			}
			if err != nil || intToIP(r.first) != tc.first || intToIP(r.last) != tc.last {
				t.Fatalf("got %s-%s %v", intToIP(r.first), intToIP(r.last), err)
			}
		})
	}
}

func TestCloudConfigValidationRefusesWhatTheDirectorRefuses(t *testing.T) {
	cases := []struct {
		name    string
		subnet  string
		wantErr string
	}{
		{"a reserved string is accepted", "reserved: 10.0.0.5", ""},
		{"a reserved CIDR is accepted", "reserved: [10.0.0.16/28]", ""},
		{"a reserved IP outside the range is refused", "reserved: [10.0.1.5]", "Reserved IP '10.0.1.5' is out of network 'cells' range"},
		{"a static IP inside a reserved range is refused", "reserved: [10.0.0.5 - 10.0.0.9]\n    static: [10.0.0.7]", "Static IP '10.0.0.7' is in network 'cells' reserved range"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cc := "networks:\n- name: cells\n  subnets:\n  - range: 10.0.0.0/24\n    gateway: 10.0.0.1\n    " + tc.subnet + "\n"
			_, err := mergeCloudConfigs([]string{cc})
			if tc.wantErr == "" && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr) {
				t.Fatalf("want %q, got %v", tc.wantErr, err)
			}
		})
	}
}

func TestNamedCloudConfigsAreMergedByConcatenatingNetworks(t *testing.T) {
	spec, err := mergeCloudConfigs([]string{
		"networks:\n- name: a\n  subnets:\n  - range: 10.0.0.0/24\n",
		"networks:\n- name: b\n  subnets:\n  - range: 10.0.1.0/24\n",
	})
	if err != nil || spec.networks["a"] == nil || spec.networks["b"] == nil {
		t.Fatalf("merged: %+v %v", spec, err)
	}
	if _, err := mergeCloudConfigs([]string{"networks:\n- name: a\n", "networks:\n- name: a\n"}); err == nil {
		t.Fatal("a network defined twice is refused")
	}
}

func renderDiff(t *testing.T, before, after string) string {
	t.Helper()
	b, err := parseYAMLMap(before)
	if err != nil {
		t.Fatal(err)
	}
	a, err := parseYAMLMap(after)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range orderDiff(diffHashes(b, a, true, 0)) {
		mark := " "
		switch l.status {
		case "added":
			mark = "+"
		case "removed":
			mark = "-"
		}
		out = append(out, mark+l.String())
	}
	return strings.Join(out, "\n")
}

func TestDiffRendersLikeTheDirector(t *testing.T) {
	cases := []struct {
		name          string
		before, after string
		want          string
	}{
		{
			name:   "a reserved string that becomes a list is removed and added",
			before: "networks:\n- name: n\n  subnets:\n  - range: 10.0.0.0/24\n    reserved: 10.0.0.2\n",
			after:  "networks:\n- name: n\n  subnets:\n  - range: 10.0.0.0/24\n    reserved: [10.0.0.2, 10.0.0.7]\n",
			want:   " networks:\n - name: n\n   subnets:\n   - range: 10.0.0.0/24\n-    reserved: 10.0.0.2\n+    reserved:\n+    - 10.0.0.2\n+    - 10.0.0.7",
		},
		{
			name:   "sections come in the director's order with a blank line between them",
			before: "name: dep-a\nnetworks: []\n",
			after:  "name: dep-b\nnetworks:\n- name: cells\n",
			want:   " networks:\n+- name: cells\n \n-name: dep-a\n \n+name: dep-b",
		},
		{
			name:   "unchanged hashes give no lines",
			before: "a: {b: 1, c: [1, 2]}\n",
			after:  "a: {c: [1, 2], b: 1}\n",
			want:   "",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := renderDiff(t, tc.before, tc.after); got != tc.want {
				t.Fatalf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}
