package containers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrFreezing means the kernel was asked to freeze the container but some
// task does not stop: a task in uninterruptible sleep cannot be frozen, so
// the cgroup v1 freezer stays FREEZING (garden-runc-release#99).
var ErrFreezing = errors.New("the freezer stays FREEZING")

// freezeCgroup freezes the container through its cgroup, without runc:
// FROZEN into freezer.state under cgroup v1, 1 into cgroup.freeze under
// v2, exactly what runc pause writes. It is the way left when runc itself
// hangs on the container. The cgroup paths come from runc's own state file.
func (r *Runc) freezeCgroup(ctx context.Context, handle string) error {
	sf, err := r.readStateFile(handle)
	if err != nil {
		return fmt.Errorf("read runc's state of %s: %w", handle, err)
	}
	var file, want, value, check string
	if p := sf.CgroupPaths["freezer"]; p != "" {
		file, value = filepath.Join(p, "freezer.state"), "FROZEN"
		check, want = file, "FROZEN"
	} else if p := sf.CgroupPaths[""]; p != "" {
		file, value = filepath.Join(p, "cgroup.freeze"), "1"
		check, want = filepath.Join(p, "cgroup.events"), "frozen 1"
	} else {
		return fmt.Errorf("runc's state of %s names no freezer cgroup", handle)
	}
	if !strings.HasPrefix(filepath.Clean(file), filepath.Clean(r.cfg.CgroupRoot)+"/") {
		return fmt.Errorf("freezer of %s at %s is outside %s", handle, file, r.cfg.CgroupRoot)
	}
	if err := os.WriteFile(file, []byte(value), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	var last string
	for {
		b, err := os.ReadFile(check)
		if err != nil {
			return fmt.Errorf("read %s: %w", check, err)
		}
		last = strings.TrimSpace(string(b))
		if bytes.Contains(b, []byte(want)) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s of %s: %w (%s)", file, handle, ErrFreezing, strings.ReplaceAll(last, "\n", ", "))
		case <-time.After(20 * time.Millisecond):
		}
	}
}
