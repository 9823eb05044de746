package containers_test

import (
	"strings"
	"testing"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/containers"
)

// FuzzHandleFromCgroupFile: whatever a /proc/<pid>/cgroup holds, a handle
// found is one ValidateHandle accepts (never a path that escapes the depot
// or a cgroup directory) and it appears after a garden/ element.
func FuzzHandleFromCgroupFile(f *testing.F) {
	for _, s := range []string{
		"12:freezer:/garden/5f0c1c2e-aaaa-4bbb-8ccc-000000000001\n0::/garden/5f0c1c2e-aaaa-4bbb-8ccc-000000000001/init\n",
		"4:cpu,cpuacct:/garden/good/handle-1\n",
		"0::/garden/h/init\n",
		"3:memory:/system.slice/garden.service\n",
		"1:name=systemd:/garden/..\n2:pids:/garden/../../etc\n",
		"5:devices:/garden/-rf\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		h, ok := containers.HandleFromCgroupFile(content)
		if !ok {
			return
		}
		if err := containers.ValidateHandle(h); err != nil {
			t.Fatalf("handle %q from %q is not valid: %v", h, content, err)
		}
		if !strings.Contains(string(content), "garden/") {
			t.Fatalf("handle %q found in %q, which names no garden cgroup", h, content)
		}
		for _, e := range containers.ParseCgroupFile(content) {
			if got, ok := containers.HandleFromCgroupPath(e.Path); ok {
				if err := containers.ValidateHandle(got); err != nil {
					t.Fatalf("path %q gives invalid handle %q", e.Path, got)
				}
			}
		}
	})
}

// FuzzValidateHandle: an accepted handle is a single path element with no
// control characters, so it can be joined into a depot or cgroup path.
func FuzzValidateHandle(f *testing.F) {
	for _, s := range []string{"5f0c1c2e-aaaa-4bbb-8ccc-000000000001", "..", "a/b", "-rf", "x\x00y", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		if containers.ValidateHandle(h) != nil {
			return
		}
		if h == "" || h == "." || h == ".." || strings.ContainsAny(h, "/\\\x00\n") || len(h) > containers.MaxHandleLength {
			t.Fatalf("ValidateHandle accepted %q", h)
		}
	})
}
