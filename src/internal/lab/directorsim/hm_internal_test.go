package directorsim

import "testing"

func TestResurrectionRulesCombineLikeTheHealthMonitor(t *testing.T) {
	cases := []struct {
		name  string
		rules string
		dep   string
		group string
		want  bool
	}{
		{"no rules leave resurrection on", "rules: []", "cf", "diego-cell", true},
		{"a disabled rule for the deployment covers its groups", "rules:\n- enabled: false\n  include: {deployments: [cf]}", "cf", "router", false},
		{"a disabled rule for a deployment leaves others alone", "rules:\n- enabled: false\n  include: {deployments: [cf]}", "other", "router", true},
		{"include by group and deployment is an AND", "rules:\n- enabled: false\n  include: {deployments: [cf], instance_groups: [diego-cell]}", "cf", "router", true},
		{"an empty include applies everywhere", "rules:\n- enabled: false", "any", "thing", false},
		{"exclude carves out a deployment", "rules:\n- enabled: false\n  exclude: {deployments: [cf]}", "cf", "diego-cell", true},
		{"an empty exclude excludes nothing", "rules:\n- enabled: false\n  exclude: {}", "cf", "diego-cell", false},
		{"every applicable rule must be enabled", "rules:\n- enabled: true\n  include: {instance_groups: [diego-cell]}\n- enabled: false\n  include: {deployments: [cf]}", "cf", "diego-cell", false},
		{"a rule without enabled is skipped", "rules:\n- include: {deployments: [cf]}", "cf", "diego-cell", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.SetConfig("resurrection", "r", tc.rules); err != nil {
				t.Fatal(err)
			}
			s.ReloadResurrectionRules()
			if got := s.ResurrectionEnabled(tc.dep, tc.group); got != tc.want {
				t.Fatalf("enabled(%s, %s) = %v, want %v", tc.dep, tc.group, got, tc.want)
			}
		})
	}
}
