// Package monitd starts a real monit daemon configured like a BOSH
// stemcell's (HTTP on loopback, basic auth from a credentials file, one
// process check per service with a pid file), and tears it down. The lab's
// cells (cellrig) use it; tests use it through internal/testsupport/monitd.
// It never imports testing: it ships in the sequester binary with the lab.
package monitd

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Service is one `check process` entry. Start and Stop are shell command
// lines run by /bin/sh; they must not contain double quotes.
type Service struct {
	Name    string
	PidFile string
	Start   string
	Stop    string
}

// Daemon is a running monit.
type Daemon struct {
	Dir string
	// Address is 127.0.0.1:port of monit's HTTP interface.
	Address string
	// CredentialsFile holds user:password like /var/vcap/monit/monit.user.
	CredentialsFile string
	User, Password  string
	LogFile         string
	// Binary is the monit executable that runs, Version what it says it is
	// ("5.2.5" on stemcells, "5.33.0" from Debian).
	Binary, Version string

	cmd      *exec.Cmd
	services []Service
	exited   chan struct{}
}

// Background is a start program that runs argv detached, appends its
// output to logFile and writes its pid to pidFile, as BOSH job wrappers do.
func Background(argv []string, pidFile, logFile string) string {
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = shellQuote(a)
	}
	return fmt.Sprintf("/bin/sh -c '%s >>%s 2>&1 & echo $! > %s'",
		strings.Join(quoted, " "), logFile, pidFile)
}

// KillTERM is a stop program that sends SIGTERM to the pid in pidFile, the
// way monit stops a job (and the way that makes the real rep delete every
// container).
func KillTERM(pidFile string) string {
	return fmt.Sprintf("/bin/sh -c 'kill -TERM $(cat %s)'", pidFile)
}

// Options say which monit runs.
type Options struct {
	// Binary is the monit executable (default: "monit" from PATH).
	Binary string
}

// New writes a monitrc for services, starts monit from PATH in the
// foreground and waits until its HTTP interface answers and every service
// runs. Monit keeps its files in dir, which must exist; the caller must
// Close.
func New(dir string, services ...Service) (*Daemon, error) {
	return NewWith(dir, Options{}, services...)
}

// NewWith is New with the monit binary of opts.
func NewWith(dir string, opts Options, services ...Service) (*Daemon, error) {
	bin := opts.Binary
	if bin == "" {
		bin = "monit"
	}
	version, err := BinaryVersion(bin)
	if err != nil {
		return nil, err
	}
	d := &Daemon{
		Binary:          bin,
		Version:         version,
		Dir:             dir,
		User:            "vcap",
		Password:        "p4ss word-" + strconv.Itoa(os.Getpid()),
		CredentialsFile: filepath.Join(dir, "monit.user"),
		LogFile:         filepath.Join(dir, "monit.log"),
		services:        services,
		exited:          make(chan struct{}),
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	d.Address = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var rc bytes.Buffer
	fmt.Fprintf(&rc, "set daemon 1\n")
	fmt.Fprintf(&rc, "set pidfile %s\n", filepath.Join(dir, "monit.pid"))
	fmt.Fprintf(&rc, "set idfile %s\n", filepath.Join(dir, "monit.id"))
	fmt.Fprintf(&rc, "set statefile %s\n", filepath.Join(dir, "monit.state"))
	fmt.Fprintf(&rc, "set logfile %s\n", d.LogFile)
	fmt.Fprintf(&rc, "set httpd port %d and use address 127.0.0.1\n    allow %s:\"%s\"\n", port, d.User, d.Password)
	for _, s := range services {
		fmt.Fprintf(&rc, "check process %s with pidfile %s\n  start program = \"%s\"\n  stop program = \"%s\"\n",
			s.Name, s.PidFile, s.Start, s.Stop)
	}
	rcPath := filepath.Join(dir, "monitrc")
	// monit refuses a control file readable by others.
	if err := os.WriteFile(rcPath, rc.Bytes(), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(d.CredentialsFile, []byte(d.User+":"+d.Password+"\n"), 0o600); err != nil {
		return nil, err
	}
	if out, err := exec.Command(d.Binary, "-c", rcPath, "-t").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("monitrc rejected: %v\n%s\n%s", err, out, rc.String())
	}
	d.cmd = exec.Command(d.Binary, "-I", "-c", rcPath)
	d.cmd.Stdout, d.cmd.Stderr = os.Stderr, os.Stderr
	// Its own process group, so a signal meant for the test runner does
	// not reach it and cleanup decides how it ends.
	// Pdeathsig: should the test binary die without cleanup (a timeout
	// panic), monit goes too.
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := d.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start monit: %v", err)
	}
	go func() { _ = d.cmd.Wait(); close(d.exited) }()
	if err := d.waitReady(); err != nil {
		// A half-started monit may already have started services.
		d.Close()
		return nil, err
	}
	return d, nil
}

var versionPattern = regexp.MustCompile(`(?i)monit version ([0-9][0-9.]*)`)

// BinaryVersion runs `monit -V` and returns the version it names.
func BinaryVersion(bin string) (string, error) {
	out, err := exec.Command(bin, "-V").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s -V: %v: %s", bin, err, bytes.TrimSpace(out))
	}
	m := versionPattern.FindSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("%s -V names no monit version: %s", bin, bytes.TrimSpace(out))
	}
	return string(m[1]), nil
}

func (d *Daemon) waitReady() error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if d.allRunning() {
			return nil
		}
		select {
		case <-d.exited:
			log, _ := os.ReadFile(d.LogFile)
			return fmt.Errorf("monit exited early:\n%s", log)
		case <-time.After(200 * time.Millisecond):
		}
	}
	log, _ := os.ReadFile(d.LogFile)
	return fmt.Errorf("monit services did not come up:\n%s", log)
}

// allRunning checks, without the production client, that monit answers and
// each service's pid file names a live process.
func (d *Daemon) allRunning() bool {
	req, _ := http.NewRequest(http.MethodGet, "http://"+d.Address+"/_status?format=xml", nil)
	req.SetBasicAuth(d.User, d.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	for _, s := range d.services {
		if PidFromFile(s.PidFile) <= 0 || !Alive(PidFromFile(s.PidFile)) {
			return false
		}
	}
	return true
}

// Pid is the monit daemon's process id.
func (d *Daemon) Pid() int {
	if d.cmd == nil || d.cmd.Process == nil {
		return 0
	}
	return d.cmd.Process.Pid
}

// Log returns monit's log so far, for failure messages.
func (d *Daemon) Log() string {
	b, _ := os.ReadFile(d.LogFile)
	return string(b)
}

// Close stops monit and SIGKILLs the services' processes.
func (d *Daemon) Close() {
	if d.cmd.Process != nil {
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.exited:
		case <-time.After(10 * time.Second):
			_ = d.cmd.Process.Kill()
			<-d.exited
		}
	}
	// monit leaves the programs it started running when it quits.
	for _, s := range d.services {
		if pid := PidFromFile(s.PidFile); pid > 0 && Alive(pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// PidFromFile reads a pid file; 0 when absent or unreadable.
func PidFromFile(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0
	}
	return pid
}

// Alive reports whether pid names a process that is not a zombie.
func Alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '-' || r == '_' || r == '.' || r == '=' || r == ':' || r == ',' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'))
	}) < 0 {
		return s
	}
	// The whole command sits inside single quotes already (see Background),
	// so only plain words are allowed through.
	panic(fmt.Sprintf("monitd: argument %q needs quoting; use plain paths and words", s))
}
