package containers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"code.cloudfoundry.org/clock"
	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/confined"
	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/procfs"
	"github.com/cloudfoundry-community/cell-sequestration/internal/poll"
)

// Runc roots garden uses.
const (
	RuncRootContainerd = "/run/containerd/runc/garden"
	RuncRootPlain      = "/run/runc"
)

// Freezer pauses a container's processes.
type Freezer interface {
	Freeze(ctx context.Context, handle string) error
}

// RuncConfig says where runc keeps garden's containers.
type RuncConfig struct {
	// Binary defaults to "runc" on PATH
	// (/var/vcap/packages/runc/bin/runc on a cell).
	Binary string
	// Root is runc's --root: RuncRootContainerd or RuncRootPlain.
	Root string
	// DepotPath is garden's depot (/var/vcap/data/garden/depot); empty
	// skips the depot cleanup.
	DepotPath  string
	ProcRoot   string
	CgroupRoot string
}

// Runc reaches containers through runc directly, for a garden that is
// wedged or gone. It cannot undo what garden set up around a container,
// so Destroy returns those leftovers for the operator.
type Runc struct {
	logger lager.Logger
	cfg    RuncConfig
}

var (
	_ Backend = (*Runc)(nil)
	_ Freezer = (*Runc)(nil)
)

// NewRunc builds the backend; it does not run runc.
func NewRunc(logger lager.Logger, cfg RuncConfig) *Runc {
	if cfg.Binary == "" {
		cfg.Binary = "runc"
	}
	if cfg.Root == "" {
		cfg.Root = RuncRootContainerd
	}
	if cfg.ProcRoot == "" {
		cfg.ProcRoot = DefaultProcRoot
	}
	if cfg.CgroupRoot == "" {
		cfg.CgroupRoot = DefaultCgroupRoot
	}
	return &Runc{logger: logger.Session("runc-backend", lager.Data{"runc_root": cfg.Root}), cfg: cfg}
}

func (r *Runc) Name() string { return BackendRunc }

// RuncState is one entry of `runc list --format json` and of `runc state`.
type RuncState struct {
	ID     string `json:"id"`
	Pid    int    `json:"pid"`
	Status string `json:"status"`
	Bundle string `json:"bundle"`
	Rootfs string `json:"rootfs"`
}

// run runs runc with args. Callers put "--" before a handle: runc accepts
// ids that start with a dash, and its flag parser (urfave/cli) reads such a
// handle as a flag unless "--" ends the flags.
func (r *Runc) run(ctx context.Context, args ...string) ([]byte, error) {
	full := append([]string{"--root", r.cfg.Root}, args...)
	cmd := exec.CommandContext(ctx, r.cfg.Binary, full...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return out, &RuncError{Args: args, Message: msg, Err: err}
	}
	return out, nil
}

// RuncError carries runc's own message, which says what went wrong.
type RuncError struct {
	Args    []string
	Message string
	Err     error
}

func (e *RuncError) Error() string {
	return fmt.Sprintf("runc %s: %s", strings.Join(e.Args, " "), e.Message)
}

func (e *RuncError) Unwrap() error { return e.Err }

// notExist tells runc's "container does not exist" from a real failure.
func notExist(err error) bool {
	var re *RuncError
	return errors.As(err, &re) && strings.Contains(re.Message, "does not exist")
}

// States lists runc's containers under the root.
func (r *Runc) States(ctx context.Context) ([]RuncState, error) {
	if _, err := os.Stat(r.cfg.Root); os.IsNotExist(err) {
		// runc list on a missing root fails; no root means no containers.
		return nil, nil
	}
	out, err := r.listRetrying(ctx)
	if err != nil {
		return nil, err
	}
	var states []RuncState
	if len(bytes.TrimSpace(out)) == 0 || bytes.Equal(bytes.TrimSpace(out), []byte("null")) {
		return nil, nil
	}
	if err := json.Unmarshal(out, &states); err != nil {
		return nil, fmt.Errorf("parse runc list: %w", err)
	}
	return states, nil
}

// State returns runc's view of one container.
func (r *Runc) State(ctx context.Context, handle string) (RuncState, error) {
	if err := ValidateHandle(handle); err != nil {
		return RuncState{}, err
	}
	out, err := r.run(ctx, "state", "--", handle)
	if err != nil {
		return RuncState{}, err
	}
	var s RuncState
	if err := json.Unmarshal(out, &s); err != nil {
		return RuncState{}, fmt.Errorf("parse runc state %s: %w", handle, err)
	}
	return s, nil
}

// List returns runc's containers. Properties are garden's and unknown
// here; the app is named from VCAP_APPLICATION in the processes.
func (r *Runc) List(ctx context.Context) ([]agentapi.Container, error) {
	states, err := r.States(ctx)
	if err != nil {
		return nil, err
	}
	pids, err := PidsByHandle(r.cfg.ProcRoot)
	if err != nil {
		return nil, fmt.Errorf("map processes to containers: %w", err)
	}
	out := make([]agentapi.Container, 0, len(states))
	for _, s := range states {
		c := agentapi.Container{Handle: s.ID, Source: BackendRunc, Pids: pids[s.ID]}
		switch s.Status {
		case "running", "created":
			c.State = StateRunning
		case "paused":
			c.State = StatePaused
			c.FrozenByUs = true
		case "stopped":
			c.State = StateStopped
		default:
			c.State = StateUnknown
		}
		if len(c.Pids) == 0 && s.Pid > 0 && c.State != StateStopped {
			c.Pids = []int{s.Pid}
		}
		describe(&c, r.cfg.ProcRoot)
		out = append(out, c)
	}
	sortContainers(out)
	return out, nil
}

// Destroy kills the container, deletes it with runc, then removes its
// depot directory and cgroups. leftovers names what only garden could
// clean.
//
// `runc delete --force` on a running container sends SIGKILL and then
// sleeps 100 ms before it looks again, so a prune of hundreds would mostly
// wait. When the container has its own pid namespace and is not frozen,
// Destroy kills its init itself (which takes the whole namespace down),
// waits for that exit, and lets runc delete a stopped container, which it
// does at once. A frozen container goes the slow way: runc thaws it so
// the kill can land.
func (r *Runc) Destroy(ctx context.Context, handle string) ([]string, error) {
	if err := ValidateHandle(handle); err != nil {
		return nil, err
	}
	var (
		cgroups []string
		rootfs  string
	)
	sf, err := r.readStateFile(handle)
	if err != nil {
		// runc's answer says whether the container is gone or runc broken.
		st, serr := r.State(ctx, handle)
		if notExist(serr) {
			return r.finishGone(handle), nil
		}
		if serr != nil {
			return nil, serr
		}
		rootfs = st.Rootfs
		if st.Pid > 0 {
			cgroups = cgroupDirs(r.cfg.ProcRoot, r.cfg.CgroupRoot, st.Pid, handle)
		}
	} else {
		rootfs = sf.Config.Rootfs
		for _, d := range sf.CgroupPaths {
			if h, ok := HandleFromCgroupPath(d); ok && h == handle {
				cgroups = append(cgroups, d)
			}
		}
		sort.Sort(sort.Reverse(sort.StringSlice(cgroups)))
		r.killInit(ctx, handle, sf)
	}
	if _, err := r.run(ctx, "delete", "--force", "--", handle); err != nil {
		if notExist(err) {
			return r.finishGone(handle), nil
		}
		return nil, err
	}
	var leftovers []string
	for _, d := range removeCgroupDirs(cgroups) {
		leftovers = append(leftovers, "cgroup "+d)
	}
	leftovers = append(leftovers, r.removeDepot(handle)...)
	return append(leftovers, r.gardenLeftovers(handle, rootfs)...), nil
}

func (r *Runc) finishGone(handle string) []string {
	r.logger.Info("container-already-gone", lager.Data{"container_handle": handle})
	return r.removeDepot(handle)
}

func (r *Runc) removeDepot(handle string) []string {
	if r.cfg.DepotPath == "" {
		return nil
	}
	// A depot entry that is a link (or holds links) loses the link, never
	// what it points to.
	if err := confined.RemoveAllIn(r.cfg.DepotPath, handle); err != nil {
		return []string{fmt.Sprintf("depot directory %s (%v)", filepath.Join(r.cfg.DepotPath, handle), err)}
	}
	return nil
}

// runcStateFile is the part of runc's own <root>/<id>/state.json that
// Destroy needs; reading it spares a runc process per container.
type runcStateFile struct {
	InitPid     int               `json:"init_process_pid"`
	InitStart   uint64            `json:"init_process_start"`
	CgroupPaths map[string]string `json:"cgroup_paths"`
	Config      struct {
		Rootfs     string `json:"rootfs"`
		Namespaces []struct {
			Type string `json:"type"`
			Path string `json:"path"`
		} `json:"namespaces"`
	} `json:"config"`
}

func (r *Runc) readStateFile(handle string) (runcStateFile, error) {
	var sf runcStateFile
	// The state file decides which pid is killed and which cgroups are
	// removed, so it is read only from inside runc's root.
	b, err := confined.ReadFileIn(r.cfg.Root, filepath.Join(handle, "state.json"))
	if err != nil {
		return sf, err
	}
	if err := json.Unmarshal(b, &sf); err != nil {
		return sf, err
	}
	return sf, nil
}

// killInit SIGKILLs the container's init when that is safe and waits for
// it to exit. Whatever it cannot do, runc delete --force still does.
func (r *Runc) killInit(ctx context.Context, handle string, sf runcStateFile) {
	ownPidNS := false
	for _, ns := range sf.Config.Namespaces {
		if ns.Type == "NEWPID" && ns.Path == "" {
			ownPidNS = true
		}
	}
	if !ownPidNS || sf.InitPid <= 0 || !r.sameProcess(sf.InitPid, sf.InitStart) {
		return
	}
	if frozen, err := Frozen(r.cfg.ProcRoot, r.cfg.CgroupRoot, sf.InitPid); err != nil || frozen {
		return
	}
	if err := syscall.Kill(sf.InitPid, syscall.SIGKILL); err != nil {
		return
	}
	// Gone, or given up on after 10 s: the delete that follows says
	// what is left either way.
	_ = poll.Until(ctx, clock.NewClock(), 2*time.Millisecond, 10*time.Second, func() (bool, error) {
		return !r.sameProcess(sf.InitPid, sf.InitStart), nil
	})
}

// sameProcess tells whether pid still is the live (not zombie) process
// that started at start, so a reused pid is never killed.
func (r *Runc) sameProcess(pid int, start uint64) bool {
	return procfs.SameProcess(r.cfg.ProcRoot, pid, start)
}

// gardenLeftovers names what garden created around the container and runc
// does not know about; only garden's Destroy (or an operator) frees them.
func (r *Runc) gardenLeftovers(handle, rootfs string) []string {
	out := []string{
		"network: the container's IP lease and its host iptables rules (port mappings, egress chains) stay until garden or the CNI plugin releases them",
	}
	if rootfs != "" && strings.Contains(rootfs, handle) {
		if _, err := os.Stat(rootfs); err == nil {
			out = append(out, "image: the container's root filesystem "+rootfs+" (a grootfs image; `grootfs delete "+handle+"` or garden frees it)")
		}
	}
	if r.cfg.Root == RuncRootContainerd || strings.HasPrefix(r.cfg.Root, "/run/containerd/") {
		out = append(out, "containerd: the task record of "+handle+" in containerd's garden namespace")
	}
	out = append(out, "garden: its own record of "+handle+", so garden still lists it until garden restarts or destroys it")
	return out
}

// Freeze pauses the container with runc (cgroup freezer) and confirms the
// cgroup reads frozen, since isolation relies on it.
func (r *Runc) Freeze(ctx context.Context, handle string) error {
	if err := ValidateHandle(handle); err != nil {
		return err
	}
	st, err := r.State(ctx, handle)
	if err != nil {
		return err
	}
	if st.Status == "paused" {
		return nil
	}
	if _, err := r.run(ctx, "pause", "--", handle); err != nil {
		return err
	}
	if st.Pid > 0 {
		frozen, err := Frozen(r.cfg.ProcRoot, r.cfg.CgroupRoot, st.Pid)
		if err != nil {
			return fmt.Errorf("check freezer of %s: %w", handle, err)
		}
		if !frozen {
			return fmt.Errorf("runc paused %s but its cgroup is not frozen", handle)
		}
	}
	r.logger.Info("container-frozen", lager.Data{"container_handle": handle})
	return nil
}
