package containers

import (
	"strings"
	"testing"
	"time"
)

func TestValidateHandleRefusesAnythingButAPlainName(t *testing.T) {
	cases := []struct {
		name   string
		handle string
		ok     bool
	}{
		{"a guid is a handle", "0d6f1c52-8a1e-4c53-6f7e-1b2c3d4e5f60", true},
		{"a task guid with dots and underscores is a handle", "task_guid.1", true},
		{"empty is refused", "", false},
		{"dot-dot is refused", "..", false},
		{"dot is refused", ".", false},
		{"a parent path is refused", "../x", false},
		{"a slash is refused", "a/b", false},
		{"an absolute path is refused", "/etc", false},
		{"a backslash is refused", `a\b`, false},
		{"a NUL byte is refused", "a\x00b", false},
		{"a newline is refused", "a\nb", false},
		{"256 characters are allowed", strings.Repeat("a", 256), true},
		{"257 characters are refused", strings.Repeat("a", 257), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := ValidateHandle(c.handle)
			if (err == nil) != c.ok {
				t.Fatalf("ValidateHandle(%q) = %v, want ok=%v", c.handle, err, c.ok)
			}
		})
	}
}

func TestHandleFromCgroupFileFindsGardenContainers(t *testing.T) {
	cases := []struct {
		name    string
		content string
		handle  string
		ok      bool
	}{
		{
			name: "cgroup v1 hybrid puts every controller under garden/<handle>",
			content: "12:freezer:/garden/abc-123\n11:memory:/garden/abc-123\n" +
				"1:name=systemd:/garden/abc-123\n0::/garden/abc-123\n",
			handle: "abc-123", ok: true,
		},
		{
			name:    "cgroup v1 with cpu throttling sorts containers into good",
			content: "4:cpu,cpuacct:/garden/good/abc-123\n6:freezer:/garden/abc-123\n",
			handle:  "abc-123", ok: true,
		},
		{
			name:    "cgroup v1 with cpu throttling sorts containers into bad",
			content: "4:cpu,cpuacct:/garden/bad/abc-123\n",
			handle:  "abc-123", ok: true,
		},
		{
			name:    "cgroup v2 keeps the processes in an init leaf",
			content: "0::/garden/abc-123/init\n",
			handle:  "abc-123", ok: true,
		},
		{
			name:    "a garden cgroup nested under another parent still counts",
			content: "4:memory:/process_api/57037413/garden/abc-123\n",
			handle:  "abc-123", ok: true,
		},
		{
			name:    "a process in a sub-cgroup of the container belongs to it",
			content: "6:freezer:/garden/abc-123/sidecar\n",
			handle:  "abc-123", ok: true,
		},
		{
			name:    "a host process is no container's",
			content: "12:freezer:/\n11:memory:/system.slice/rep.service\n0::/system.slice/rep.service\n",
			ok:      false,
		},
		{
			name:    "garden's own parent cgroup is not a container",
			content: "6:freezer:/garden\n0::/garden/\n",
			ok:      false,
		},
		{
			name:    "a bpm job's cgroup is not a garden container",
			content: "6:freezer:/bpm/rep\n",
			ok:      false,
		},
		{
			name:    "good without a handle is not a container",
			content: "4:cpu:/garden/good\n",
			ok:      false,
		},
		{
			name:    "a v1 line is preferred over a v2 line that disagrees",
			content: "0::/garden/other/init\n6:freezer:/garden/abc-123\n",
			handle:  "abc-123", ok: true,
		},
		{
			name:    "garbage lines are ignored",
			content: "not a cgroup line\n\n",
			ok:      false,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, ok := HandleFromCgroupFile([]byte(c.content))
			if ok != c.ok || h != c.handle {
				t.Fatalf("HandleFromCgroupFile = %q, %v; want %q, %v", h, ok, c.handle, c.ok)
			}
		})
	}
}

func TestParseVCAPApplicationReadsTheAppOfAProcess(t *testing.T) {
	env := "PATH=/bin\x00VCAP_APPLICATION={\"application_id\":\"app-1\",\"application_version\":\"v9\",\"instance_id\":\"ig\",\"instance_index\":2}\x00HOME=/home/vcap\x00"
	v, ok := ParseVCAPApplication([]byte(env))
	if !ok || v.ApplicationID != "app-1" || v.InstanceID != "ig" || v.InstanceIndex == nil || *v.InstanceIndex != 2 || v.ProcessGUID() != "app-1-v9" {
		t.Fatalf("ParseVCAPApplication = %+v, %v", v, ok)
	}
	for name, env := range map[string]string{
		"no VCAP_APPLICATION":          "PATH=/bin\x00",
		"VCAP_APPLICATION is not JSON": "VCAP_APPLICATION={\x00",
		"VCAP_APPLICATION has no app":  "VCAP_APPLICATION={}\x00",
	} {
		if _, ok := ParseVCAPApplication([]byte(env)); ok {
			t.Errorf("%s: ParseVCAPApplication found an app", name)
		}
	}
}

func TestSummarizeDurationsReportsCountTotalMaxAndP99(t *testing.T) {
	ms := func(n ...int) []time.Duration {
		var out []time.Duration
		for _, v := range n {
			out = append(out, time.Duration(v)*time.Millisecond)
		}
		return out
	}
	hundred := make([]int, 0, 100)
	for i := 1; i <= 100; i++ {
		hundred = append(hundred, i)
	}
	twoHundred := append(append([]int{}, hundred...), hundred...)
	twoHundred[0] = 5000
	cases := []struct {
		name            string
		in              []time.Duration
		count           int
		total, max, p99 float64
	}{
		{"nothing summarises to zeros", nil, 0, 0, 0, 0},
		{"one sample is its own max and p99", ms(250), 1, 0.25, 0.25, 0.25},
		{"with under 100 samples p99 is the max", ms(10, 30, 20), 3, 0.06, 0.03, 0.03},
		{"with 100 samples p99 is the 99th smallest", ms(hundred...), 100, 5.05, 0.1, 0.099},
		{"one spike among 200 shows in max but not p99", ms(twoHundred...), 200, 15.099, 5, 0.1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := SummarizeDurations(c.in)
			if s.Count != c.count || !near(s.TotalSeconds, c.total) || !near(s.MaxSeconds, c.max) || !near(s.P99Seconds, c.p99) {
				t.Fatalf("SummarizeDurations = %+v; want count %d total %v max %v p99 %v", s, c.count, c.total, c.max, c.p99)
			}
		})
	}
}

func near(a, b float64) bool { d := a - b; return d < 1e-9 && d > -1e-9 }

func TestParsePortsReadsNetworkPorts(t *testing.T) {
	got := parsePorts("8080,2222, 61001,junk,0,70000")
	want := []int{8080, 2222, 61001}
	if len(got) != len(want) {
		t.Fatalf("parsePorts = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("parsePorts = %v, want %v", got, want)
		}
	}
}
