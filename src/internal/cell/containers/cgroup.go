package containers

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Frozen tells whether pid's cgroup is frozen: freezer.state FROZEN under
// cgroup v1, cgroup.freeze 1 under v2. runc pause uses exactly these, and a
// frozen process reads as state D in /proc, so the D-state scan asks this
// before it calls a container stuck.
func Frozen(procRoot, cgroupRoot string, pid int) (bool, error) {
	if procRoot == "" {
		procRoot = DefaultProcRoot
	}
	if cgroupRoot == "" {
		cgroupRoot = DefaultCgroupRoot
	}
	b, err := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(pid), "cgroup"))
	if err != nil {
		return false, err
	}
	var v2 string
	for _, e := range ParseCgroupFile(b) {
		if len(e.Controllers) == 0 {
			v2 = e.Path
			continue
		}
		for _, c := range e.Controllers {
			if c != "freezer" {
				continue
			}
			state, err := os.ReadFile(filepath.Join(cgroupRoot, "freezer", e.Path, "freezer.state"))
			if err != nil {
				return false, fmt.Errorf("read freezer state of pid %d: %w", pid, err)
			}
			return string(bytes.TrimSpace(state)) == "FROZEN", nil
		}
	}
	if v2 == "" {
		return false, nil
	}
	// Pure v2 mounts the unified hierarchy at the root; hybrid at unified/.
	for _, base := range []string{cgroupRoot, filepath.Join(cgroupRoot, "unified")} {
		f, err := os.ReadFile(filepath.Join(base, v2, "cgroup.freeze"))
		if err == nil {
			return string(bytes.TrimSpace(f)) == "1", nil
		}
	}
	return false, nil
}

// cgroupDirs lists the directories of pid's cgroups under cgroupRoot that
// belong to handle, so they can be removed after the container is gone.
func cgroupDirs(procRoot, cgroupRoot string, pid int, handle string) []string {
	b, err := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(pid), "cgroup"))
	if err != nil {
		return nil
	}
	var dirs []string
	seen := map[string]bool{}
	for _, e := range ParseCgroupFile(b) {
		h, ok := HandleFromCgroupPath(e.Path)
		if !ok || h != handle {
			continue
		}
		var candidates []string
		if len(e.Controllers) == 0 {
			candidates = []string{filepath.Join(cgroupRoot, e.Path), filepath.Join(cgroupRoot, "unified", e.Path)}
		} else {
			for _, c := range e.Controllers {
				candidates = append(candidates, filepath.Join(cgroupRoot, c, e.Path))
			}
			// Comounted controllers (cpu,cpuacct) live under their joint name.
			candidates = append(candidates, filepath.Join(cgroupRoot, strings.Join(e.Controllers, ","), e.Path))
		}
		for _, d := range candidates {
			if !seen[d] {
				seen[d] = true
				dirs = append(dirs, d)
			}
		}
	}
	return dirs
}

// removeCgroupDirs removes the handle's cgroup directories deepest first
// (v2 keeps processes in .../init) and returns the ones that remain.
func removeCgroupDirs(dirs []string) []string {
	var left []string
	for _, d := range dirs {
		if _, err := os.Stat(d); err != nil {
			continue
		}
		// A directory with children cannot go; remove the children first.
		entries, _ := os.ReadDir(d)
		for _, en := range entries {
			if en.IsDir() {
				_ = os.Remove(filepath.Join(d, en.Name()))
			}
		}
		if err := os.Remove(d); err != nil && !os.IsNotExist(err) {
			left = append(left, d)
		}
	}
	return left
}
