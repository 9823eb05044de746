package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/rehearsal"
	"github.com/cloudfoundry-community/cell-sequestration/internal/lab/scenario"
)

// The lab as a user runs it: the built sequester binary, `sequester lab`.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// sequesterBinary builds cmd/sequester once per test binary.
func sequesterBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sequester-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "sequester")
		goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
		cmd := exec.Command(goBin, "build", "-o", binPath, "./cmd/sequester")
		cmd.Dir = filepath.Join("..", "..")
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=vendor", "GOPROXY=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = errors.New(err.Error() + ": " + string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("build sequester: %v", buildErr)
	}
	return binPath
}

// removeSequesterBinary removes what sequesterBinary built (TestMain).
func removeSequesterBinary() {
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
}

type labRun struct {
	code           int
	stdout, stderr string
}

func runLab(t *testing.T, env []string, args ...string) labRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 150*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, sequesterBinary(t), append([]string{"lab"}, args...)...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := labRun{stdout: out.String(), stderr: errb.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("run sequester lab: %v\n%s", err, r.stderr)
	}
	return r
}

// labDoc is the part of `sequester lab --json` the tests read.
type labDoc struct {
	Lab struct {
		Dir          string `json:"dir"`
		ID           string `json:"id"`
		AgentPort    int    `json:"agent_port"`
		Target       string `json:"target"`
		Cells        int    `json:"cells"`
		NetNSPrefix  string `json:"netns_prefix"`
		Investigator string `json:"investigator_source"`
		Containers   map[string][]struct {
			Handle string `json:"handle"`
		} `json:"containers"`
	} `json:"lab"`
	Suspect *struct {
		Handle    string `json:"handle"`
		AppGUID   string `json:"app_guid"`
		Processes []struct {
			Pid   int       `json:"pid"`
			Comm  string    `json:"comm"`
			Since time.Time `json:"since"`
		} `json:"processes"`
	} `json:"suspect"`
	Report *struct {
		State  string   `json:"state"`
		Kept   []string `json:"kept"`
		Pruned []string `json:"pruned"`
	} `json:"report"`
	Error         string  `json:"error"`
	TimeToContain float64 `json:"time_to_contain_seconds"`
	Total         float64 `json:"total_seconds"`
	Verification  []struct {
		Name   string `json:"name"`
		OK     bool   `json:"ok"`
		Detail string `json:"detail"`
	} `json:"verification"`
	OK bool `json:"ok"`
}

func labDir(t *testing.T) string {
	t.Helper()
	// Short, so garden's socket under it stays within a unix socket name.
	dir, err := os.MkdirTemp("", "lab-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func parseLab(t *testing.T, r labRun) labDoc {
	t.Helper()
	var doc labDoc
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document (%v):\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	return doc
}

// Every check the verification must report, each passing.
var labChecks = []string{
	"monit: route emitter stopped on the target",
	"monit: rep not monitored and dead on the target",
	"runit: BOSH agent down on the target",
	"runc: only the kept containers left on the target",
	"nats: no route from the target after withdrawal",
	"tcp: kept container refuses outsiders at once",
	"tcp: pruned containers answer no more",
	"director: old IP reserved, comments and key order kept",
	"director: the instance runs on a new VM with a new IP",
	"director: the old VM lives on, unreferenced",
	"director: resurrection as it was",
	"director: exactly one VM created",
	"director: no other instance's VM changed",
	"record: complete in the director's configs",
}

func checkLabDoc(t *testing.T, r labRun, doc labDoc, extra ...string) {
	t.Helper()
	if r.code != 0 || !doc.OK {
		t.Errorf("exit %d, ok %v, error %q; want 0 and ok\nstderr tail:\n%s", r.code, doc.OK, doc.Error, tailString(r.stderr, 3000))
	}
	seen := map[string]bool{}
	for _, c := range doc.Verification {
		seen[c.Name] = true
		if !c.OK {
			t.Errorf("check %q failed: %s", c.Name, c.Detail)
		}
	}
	for _, name := range append(labChecks, extra...) {
		if !seen[name] {
			t.Errorf("no check %q in the verification", name)
		}
	}
	if doc.TimeToContain <= 0 || doc.TimeToContain > doc.Total {
		t.Errorf("time to contain %.1fs of a total %.1fs", doc.TimeToContain, doc.Total)
	}
	if doc.Report == nil || doc.Report.State != "complete" {
		t.Errorf("report = %+v", doc.Report)
	}
	checkTornDown(t, doc)
}

func TestTheLabSequestersTheSuspectsCellAndVerifiesItFromOutside(t *testing.T) {
	requireRealParts(t)
	r := runLab(t, os.Environ(), "--json", "--dir", labDir(t))
	doc := parseLab(t, r)
	checkLabDoc(t, r, doc, "nats: other cells still registering", "tcp: investigators still reach the kept container")
	untouched := 0
	for _, c := range doc.Verification {
		if strings.HasPrefix(c.Name, "runc: diego-cell/") && strings.HasSuffix(c.Name, " untouched") {
			untouched++
		}
	}
	if untouched != 2 {
		t.Errorf("%d checks of the other cells' containers; want 2", untouched)
	}
	// The suspect is real: the agent saw its process in D state, and it
	// is what was kept.
	s := doc.Suspect
	if s == nil || len(s.Processes) == 0 || s.Processes[0].Pid <= 0 || s.Processes[0].Since.IsZero() || s.AppGUID == "" {
		t.Fatalf("suspect = %+v", s)
	}
	if doc.Report != nil && (len(doc.Report.Kept) != 1 || doc.Report.Kept[0] != s.Handle || len(doc.Report.Pruned) != 3) {
		t.Errorf("kept %v pruned %v; want the suspect %s and the 3 others", doc.Report.Kept, doc.Report.Pruned, s.Handle)
	}
}

// With a single cell the sequestration would take away the last running
// instance of diego-cell: preflight refuses, the lab exits 2 and verifies
// that nothing changed.
func TestTheLabWithOneCellIsRefusedAndNothingChanges(t *testing.T) {
	requireRealParts(t)
	r := runLab(t, os.Environ(), "--json", "--cells", "1", "--keep-none", "--dir", labDir(t))
	doc := parseLab(t, r)
	if r.code != 2 || !doc.OK || !strings.Contains(doc.Error, "is the last running instance of instance group diego-cell") || doc.Report != nil {
		t.Errorf("exit %d, ok %v, error %q, report %+v; want 2, ok, the last-instance refusal and no report\nstderr tail:\n%s", r.code, doc.OK, doc.Error, doc.Report, tailString(r.stderr, 3000))
	}
	want := []string{
		"monit: rep still runs on the target", "monit: route_emitter still runs on the target", "runit: BOSH agent still up on the target",
		"runc: every container still on the target", "nats: the target still registers its routes", "director: cloud config unchanged",
		"director: no VM created, resurrection as it was", "director: no record, no config written",
	}
	seen := map[string]bool{}
	for _, c := range doc.Verification {
		seen[c.Name] = true
		if !c.OK {
			t.Errorf("check %q failed: %s", c.Name, c.Detail)
		}
	}
	for _, name := range want {
		if !seen[name] {
			t.Errorf("no check %q in the verification", name)
		}
	}
	checkTornDown(t, doc)
}

// --keep-running leaves the platform up for the bosh CLI and sequester,
// with the environment it prints, until SIGTERM tears it all down.
func TestTheLabKeptRunningServesSequesterUntilSIGTERM(t *testing.T) {
	l := startRunningLab(t, "--keep-running")
	if !l.doc.OK {
		t.Fatalf("the kept-running lab's sequestration failed: %s", l.doc.Error)
	}
	got, err := l.sequester("list", "-d", "cf", "--agent-port", strconv.Itoa(l.doc.Lab.AgentPort))
	if err != nil || !strings.Contains(got, "complete") || !strings.Contains(got, l.doc.Lab.Target) || !strings.Contains(got, "alive") {
		t.Errorf("sequester list = %v\n%s", err, got)
	}
	l.stop()
}

// The lab set up only: nothing is sequestered, and `sequester suspects`
// with the printed environment names the lab's sick cell first, with its
// stuck container and app, and the plan command to take it out.
func TestTheLabSetUpOnlyShowsTheSickCellFirstInSequesterSuspects(t *testing.T) {
	l := startRunningLab(t, "--setup-only")
	if !l.doc.OK || l.doc.Report != nil {
		t.Fatalf("setup-only lab: ok %v, a report %v: %s", l.doc.OK, l.doc.Report != nil, l.doc.Error)
	}
	got, err := l.sequester("suspects", "-d", "cf", "--json", "--agent-port", strconv.Itoa(l.doc.Lab.AgentPort))
	if err != nil {
		t.Fatalf("sequester suspects: %v\n%s", err, got)
	}
	var doc struct {
		Cells []struct {
			Instance string `json:"instance"`
			Health   *struct {
				Suspects []struct {
					Container string `json:"container"`
					AppGUID   string `json:"app_guid"`
				} `json:"suspects"`
			} `json:"health"`
			Plan string `json:"plan"`
		} `json:"cells"`
	}
	if err := json.Unmarshal([]byte(got), &doc); err != nil {
		t.Fatalf("suspects --json is not one document (%v):\n%s", err, got)
	}
	if len(doc.Cells) == 0 || doc.Cells[0].Instance != l.doc.Lab.Target || doc.Cells[0].Health == nil || len(doc.Cells[0].Health.Suspects) == 0 {
		t.Fatalf("the sick cell %s is not first with its suspect:\n%s", l.doc.Lab.Target, got)
	}
	if s := doc.Cells[0].Health.Suspects[0]; l.doc.Suspect == nil || s.Container != l.doc.Suspect.Handle {
		t.Errorf("suspect %+v; the lab froze %+v", s, l.doc.Suspect)
	}
	if !strings.Contains(doc.Cells[0].Plan, "sequester plan") || !strings.Contains(doc.Cells[0].Plan, l.doc.Lab.Target) {
		t.Errorf("plan command %q does not take out %s", doc.Cells[0].Plan, l.doc.Lab.Target)
	}
	text, err := l.sequester("suspects", "-d", "cf", "--agent-port", strconv.Itoa(l.doc.Lab.AgentPort))
	t.Logf("sequester suspects -d cf (err %v):\n%s", err, text)
	l.stop()
}

// runningLab is `sequester lab` left running, as a user starts it.
type runningLab struct {
	t      *testing.T
	cmd    *exec.Cmd
	exited chan error
	doc    labDoc
	env    []string
}

// startRunningLab starts the lab with args (--keep-running or
// --setup-only) and --json, and waits until it prints its exports.
func startRunningLab(t *testing.T, args ...string) *runningLab {
	t.Helper()
	requireRealParts(t)
	dir := labDir(t)
	out, err := os.Create(filepath.Join(t.TempDir(), "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sequesterBinary(t), append(append([]string{"lab"}, args...), "--json", "--dir", dir)...)
	cmd.Stdout = out
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	l := &runningLab{t: t, cmd: cmd, exited: make(chan error, 1)}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
	})
	env := map[string]string{}
	ready := make(chan struct{})
	var errLog bytes.Buffer
	var mu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			mu.Lock()
			errLog.WriteString(line + "\n")
			if k, v, ok := strings.Cut(strings.TrimPrefix(line, "  export "), "="); ok && strings.HasPrefix(line, "  export ") {
				if uq, err := strconv.Unquote(v); err == nil {
					env[k] = uq
				}
			}
			mu.Unlock()
			if strings.HasPrefix(line, "Ctrl-C") {
				close(ready)
			}
		}
		l.exited <- cmd.Wait()
	}()
	select {
	case <-ready:
	case err := <-l.exited:
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("the lab exited before it was ready: %v\n%s", err, errLog.String())
	case <-time.After(120 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("the lab did not get ready:\n%s", errLog.String())
	}
	b, _ := os.ReadFile(out.Name())
	l.doc = parseLab(t, labRun{stdout: string(b)})
	// A user's sequester with the printed environment only.
	mu.Lock()
	l.env = []string{"PATH=" + os.Getenv("PATH")}
	for _, k := range []string{"BOSH_ENVIRONMENT", "BOSH_CA_CERT", "BOSH_CLIENT", "BOSH_CLIENT_SECRET", "SEQUESTER_AGENT_CA", "SEQUESTER_AGENT_CERT", "SEQUESTER_AGENT_KEY"} {
		if env[k] == "" {
			t.Errorf("no %s among the exports", k)
		}
		l.env = append(l.env, k+"="+env[k])
	}
	mu.Unlock()
	return l
}

// sequester runs the CLI with the lab's printed environment only.
func (l *runningLab) sequester(args ...string) (string, error) {
	c := exec.Command(sequesterBinary(l.t), args...)
	c.Env = l.env
	out, err := c.Output()
	return string(out), err
}

// stop sends SIGTERM and checks the teardown left nothing behind.
func (l *runningLab) stop() {
	t := l.t
	t.Helper()
	if err := l.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-l.exited:
		if err != nil {
			t.Errorf("after SIGTERM the lab exited with %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the lab did not tear down within 60s of SIGTERM")
	}
	checkTornDown(t, l.doc)
}

// A machine without the root-only parts: the lab says what is missing and
// how to get it, starts nothing, and exits 2; bad input is refused alike.
func TestTheLabRefusesWhatItCannotRunWithExitCode2(t *testing.T) {
	empty := t.TempDir()
	noParts := []string{"PATH=" + empty, "HOME=" + empty}
	cases := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{name: "no runc, monit, runit or iproute2 on PATH", env: noParts, args: []string{"--json"},
			want: "runc, monit, runsvdir, sv, ip, iptables, nsenter: run `bash scripts/lab` as root, which installs"},
		{name: "no cells", env: os.Environ(), args: []string{"--cells", "0", "--json"}, want: "the lab runs 1 to 62 app containers in all"},
		{name: "keep none and a handle", env: os.Environ(), args: []string{"--keep-none", "--keep", "0"}, want: "--keep-none contradicts"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runLab(t, c.env, c.args...)
			if r.code != 2 || !strings.Contains(r.stderr, c.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, c.want)
			}
			// With --json stdout is still one document, saying why.
			if slices.Contains(c.args, "--json") {
				if doc := parseLab(t, r); doc.OK || !strings.Contains(doc.Error, c.want) {
					t.Fatalf("document ok %v error %q; want the refusal", doc.OK, doc.Error)
				}
			} else if r.stdout != "" {
				t.Fatalf("stdout %q; want nothing", r.stdout)
			}
		})
	}
}

// checkTornDown: the lab left no process, mount, cgroup, network
// namespace, address, iptables rule or runc state behind.
func checkTornDown(t *testing.T, doc labDoc) {
	t.Helper()
	l := rehearsal.Lab{Dir: doc.Lab.Dir, ID: doc.Lab.ID, NetNSPrefix: doc.Lab.NetNSPrefix, Investigator: doc.Lab.Investigator,
		Containers: map[string][]scenario.Container{}}
	for id, cs := range doc.Lab.Containers {
		for _, c := range cs {
			l.Containers[id] = append(l.Containers[id], scenario.Container{Handle: c.Handle})
		}
	}
	for _, left := range rehearsal.Leftovers(l) {
		t.Error(left)
	}
}

func tailString(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
