package rehearsal

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Leftovers lists what a torn-down lab left on this machine: a process
// whose command line names the lab's directory, a mount under it, a
// network namespace or address of the lab, an iptables rule or route of
// its /24, a container's cgroup, garden's depot and runc state. Empty when
// the teardown left nothing.
func Leftovers(l Lab) []string {
	var out []string
	if l.ID == "" || l.Dir == "" || l.Investigator == "" {
		return []string{"the lab does not say where it was (no id, directory or investigator address)"}
	}
	if b, _ := exec.Command("ip", "netns", "list").CombinedOutput(); strings.Contains(string(b), l.NetNSPrefix) {
		out = append(out, fmt.Sprintf("network namespaces %s* left: %s", l.NetNSPrefix, strings.TrimSpace(string(b))))
	}
	if b, _ := exec.Command("ip", "-4", "addr", "show").CombinedOutput(); strings.Contains(string(b), l.Investigator+"/") {
		out = append(out, fmt.Sprintf("investigator address %s left on this host", l.Investigator))
	}
	prefix := l.Investigator[:strings.LastIndex(l.Investigator, ".")+1]
	for _, cmd := range [][]string{{"iptables-save"}, {"ip", "-4", "route", "show", "table", "all"}} {
		b, _ := exec.Command(cmd[0], cmd[1:]...).CombinedOutput()
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, prefix) {
				out = append(out, fmt.Sprintf("%s still mentions the lab's %s0/24: %s", strings.Join(cmd, " "), prefix, strings.TrimSpace(line)))
			}
		}
	}
	if b, _ := os.ReadFile("/proc/mounts"); strings.Contains(string(b), l.Dir) {
		out = append(out, fmt.Sprintf("mounts left under %s", l.Dir))
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, []byte(l.Dir)) {
			out = append(out, fmt.Sprintf("process %s left: %s", filepath.Base(filepath.Dir(p)), strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))))
		}
	}
	for _, cs := range l.Containers {
		for _, c := range cs {
			left, _ := filepath.Glob("/sys/fs/cgroup/*/garden/" + c.Handle)
			left2, _ := filepath.Glob("/sys/fs/cgroup/garden/" + c.Handle)
			if len(left)+len(left2) > 0 {
				out = append(out, fmt.Sprintf("cgroups of container %s left: %v", c.Handle, append(left, left2...)))
			}
		}
	}
	if gardens, _ := filepath.Glob(filepath.Join(l.Dir, "cell-*", "garden")); len(gardens) > 0 {
		out = append(out, fmt.Sprintf("garden's depot and runc state left: %v", gardens))
	}
	return out
}
