package containers

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/procfs"
)

// DefaultProcRoot and DefaultCgroupRoot are the host's mounts; tests and the
// lab pass their own.
const (
	DefaultProcRoot   = "/proc"
	DefaultCgroupRoot = "/sys/fs/cgroup"
)

// HandleFromCgroupPath returns the garden handle a cgroup path belongs to.
// Garden puts a container at garden/<handle> (cgroup v1), at
// garden/good|bad/<handle> when CPU throttling sorts containers, and at
// garden/<handle>/init under cgroup v2. Anything deeper (a process's own
// sub-cgroup) still belongs to the handle right after garden/.
func HandleFromCgroupPath(path string) (string, bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i := len(parts) - 1; i >= 0; i-- {
		if parts[i] != "garden" {
			continue
		}
		rest := parts[i+1:]
		if len(rest) > 0 && (rest[0] == "good" || rest[0] == "bad") {
			rest = rest[1:]
		}
		if len(rest) == 0 || ValidateHandle(rest[0]) != nil {
			return "", false
		}
		return rest[0], true
	}
	return "", false
}

// CgroupEntry is one line of /proc/<pid>/cgroup.
type CgroupEntry struct {
	// Controllers is empty for the v2 unified line ("0::/path").
	Controllers []string
	Path        string
}

// ParseCgroupFile parses /proc/<pid>/cgroup ("id:controllers:path" lines).
func ParseCgroupFile(content []byte) []CgroupEntry {
	var out []CgroupEntry
	for _, line := range bytes.Split(content, []byte("\n")) {
		fields := bytes.SplitN(line, []byte(":"), 3)
		if len(fields) != 3 {
			continue
		}
		e := CgroupEntry{Path: string(fields[2])}
		if len(fields[1]) > 0 {
			e.Controllers = strings.Split(string(fields[1]), ",")
		}
		out = append(out, e)
	}
	return out
}

// HandleFromCgroupFile returns the garden handle of the process whose
// /proc/<pid>/cgroup is content. A v1 controller line is preferred because
// on hybrid hosts the unified line may not follow garden's layout.
func HandleFromCgroupFile(content []byte) (string, bool) {
	var v2 string
	for _, e := range ParseCgroupFile(content) {
		h, ok := HandleFromCgroupPath(e.Path)
		if !ok {
			continue
		}
		if len(e.Controllers) > 0 {
			return h, true
		}
		v2 = h
	}
	return v2, v2 != ""
}

// PidsByHandle maps every process of every garden container to its handle
// by reading /proc/<pid>/cgroup. Processes that vanish while we read are
// skipped: a scan is a snapshot, not a transaction.
func PidsByHandle(procRoot string) (map[string][]int, error) {
	if procRoot == "" {
		procRoot = DefaultProcRoot
	}
	pids, err := ListPids(procRoot)
	if err != nil {
		return nil, err
	}
	out := map[string][]int{}
	buf := make([]byte, 0, 4096)
	for _, pid := range pids {
		b, err := ReadProcFile(filepath.Join(procRoot, strconv.Itoa(pid), "cgroup"), buf)
		if err != nil {
			continue
		}
		buf = b
		if h, ok := HandleFromCgroupFile(b); ok {
			out[h] = append(out[h], pid)
		}
	}
	return out, nil
}

// ListPids returns the numeric entries of procRoot, ascending.
func ListPids(procRoot string) ([]int, error) {
	d, err := os.Open(procRoot)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	pids := make([]int, 0, len(names))
	for _, n := range names {
		if n == "" || n[0] < '0' || n[0] > '9' {
			continue
		}
		pid, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		pids = append(pids, pid)
	}
	sort.Ints(pids)
	return pids, nil
}

// ReadProcFile reads a whole procfs file into buf's storage (grown as
// needed) and returns it; procfs files report size 0, so a stat-sized read
// does not help, and reusing one buffer keeps a scan of thousands of
// processes from allocating per file.
func ReadProcFile(path string, buf []byte) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF || (err == nil && n == 0) {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// VCAPApplication is the part of a Cloud Foundry app process's
// VCAP_APPLICATION we use to name the app a container runs.
type VCAPApplication struct {
	ApplicationID      string `json:"application_id"`
	ApplicationName    string `json:"application_name"`
	ApplicationVersion string `json:"application_version"`
	InstanceID         string `json:"instance_id"`
	InstanceIndex      *int   `json:"instance_index"`
	SpaceID            string `json:"space_id"`
}

// ProcessGUID is what Cloud Controller names the LRP: app guid and version.
func (v VCAPApplication) ProcessGUID() string {
	if v.ApplicationID == "" || v.ApplicationVersion == "" {
		return ""
	}
	return v.ApplicationID + "-" + v.ApplicationVersion
}

// ReadVCAPApplication reads VCAP_APPLICATION from /proc/<pid>/environ,
// within a deadline: the read of a process stuck in D state can block on
// its memory lock, and must not stall the inventory.
func ReadVCAPApplication(procRoot string, pid int) (VCAPApplication, bool) {
	if procRoot == "" {
		procRoot = DefaultProcRoot
	}
	b, err := procfs.ReadBounded(filepath.Join(procRoot, strconv.Itoa(pid), "environ"))
	if err != nil {
		return VCAPApplication{}, false
	}
	return ParseVCAPApplication(b)
}

// ParseVCAPApplication finds VCAP_APPLICATION in a NUL-separated environ.
func ParseVCAPApplication(environ []byte) (VCAPApplication, bool) {
	const key = "VCAP_APPLICATION="
	for _, kv := range bytes.Split(environ, []byte{0}) {
		if !bytes.HasPrefix(kv, []byte(key)) {
			continue
		}
		var v VCAPApplication
		if err := json.Unmarshal(kv[len(key):], &v); err != nil || v.ApplicationID == "" {
			return VCAPApplication{}, false
		}
		return v, true
	}
	return VCAPApplication{}, false
}
