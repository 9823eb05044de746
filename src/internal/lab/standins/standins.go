// Package standins holds stand-ins for the cell processes the agent stops:
// the rep, the route emitter and the BOSH agent. Each reproduces the hazard
// that makes stopping the real one delicate, so a test (or the lab) that
// stops them the wrong way fails:
//
//   - rep: on SIGTERM or SIGINT (monit stop, bpm stop) it destroys every
//     container, as the real rep's shutdown cleanup does; on start it
//     destroys every container it owns, as the real rep's executor
//     initializer does, so a restart by monit is just as destructive.
//   - route-emitter: re-registers its routes on an interval until it is
//     stopped and never unregisters; with --nats-url it publishes
//     router.register to NATS for every port of every garden container,
//     as the real one does for gorouter.
//   - bosh-agent: heartbeats on an interval until stopped, and, like the
//     real one, starts every monit job when a deploy applies to its
//     instance (a rep killed to keep its containers comes back and destroys
//     them); the director learns of it in the heartbeat's answer.
//
// Run them with Main (the standin command under cmd/standin does), or from a
// test binary or any program: call RunIfRequested first thing (TestMain,
// main) and start the binary itself with Command (the stand-in exits with
// its starter) or DetachedCommand (it outlives it).
package standins

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"code.cloudfoundry.org/garden"
	gclient "code.cloudfoundry.org/garden/client"
	"code.cloudfoundry.org/garden/client/connection"
	"code.cloudfoundry.org/lager/v3"

	"github.com/cloudfoundry-community/cell-sequestration/internal/cell/monit"
	"github.com/nats-io/nats.go"
)

// EnvVar, when set to "1", makes RunIfRequested run a stand-in instead of
// the tests.
const EnvVar = "SEQUESTER_STANDIN"

// OwnerProperty is the Garden property the real executor labels its
// containers with; the rep stand-in destroys those on start.
const OwnerProperty = "executor:owner"

// RunIfRequested runs the stand-in named by os.Args[1] and exits when EnvVar
// is set; otherwise it returns. Call it from TestMain.
func RunIfRequested() {
	if os.Getenv(EnvVar) != "1" {
		return
	}
	os.Exit(Main(os.Args[1:]))
}

// Command is the argv that runs a stand-in through the current test binary.
// It goes through /usr/bin/env because monit starts programs with a bare
// environment. The stand-in exits when this process is gone, so a test
// that dies without cleanup leaves no stand-in behind.
func Command(name string, args ...string) []string {
	self, err := os.Executable()
	if err != nil {
		panic(err)
	}
	argv := []string{"/usr/bin/env", EnvVar + "=1", self, name, "--exit-with=" + strconv.Itoa(os.Getpid())}
	return append(argv, args...)
}

// DetachedCommand is Command without the tie to this process, for a lab
// whose cells keep running after it exits.
func DetachedCommand(name string, args ...string) []string {
	self, err := os.Executable()
	if err != nil {
		panic(err)
	}
	return append([]string{"/usr/bin/env", EnvVar + "=1", self, name}, args...)
}

// exitWith ends the stand-in, without its shutdown behaviour, once pid is
// gone: monit and runit reparent stand-ins away from whoever started them.
func exitWith(pid int) {
	if pid <= 0 {
		return
	}
	go func() {
		for {
			time.Sleep(500 * time.Millisecond)
			if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
				fmt.Fprintf(os.Stderr, "stand-in: pid %d is gone, exiting\n", pid)
				os.Exit(3)
			}
		}
	}()
}

// Main runs the stand-in args[0] with flags args[1:] until it is signalled.
func Main(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: standin rep|route-emitter|bosh-agent [flags]")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	var err error
	switch args[0] {
	case "rep":
		err = rep(ctx, args[1:])
	case "route-emitter":
		err = routeEmitter(ctx, args[1:])
	case "bosh-agent":
		err = boshAgent(ctx, args[1:])
	default:
		err = fmt.Errorf("unknown stand-in %q", args[0])
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "standin %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

type containerKiller struct {
	gardenSocket string
	runcBinary   string
	runcRoot     string
}

// destroyAll destroys containers the way the rep does: through Garden, or
// (without Garden) through runc. ownedOnly limits Garden to executor-owned
// containers, as the executor initializer does.
func (k containerKiller) destroyAll(ownedOnly bool) ([]string, error) {
	if k.gardenSocket != "" {
		c := gclient.New(connection.New("unix", k.gardenSocket))
		props := garden.Properties{}
		if ownedOnly {
			props[OwnerProperty] = "executor"
		}
		list, err := c.Containers(props)
		if err != nil {
			return nil, err
		}
		var gone []string
		var errs []error
		for _, ctr := range list {
			// Like the rep, go on past a failure: a stand-in that stopped
			// at the first one would spare containers the real rep takes.
			if err := c.Destroy(ctr.Handle()); err != nil {
				errs = append(errs, err)
				continue
			}
			gone = append(gone, ctr.Handle())
		}
		return gone, errors.Join(errs...)
	}
	if k.runcRoot == "" {
		return nil, nil
	}
	out, err := exec.Command(k.runcBinary, "--root", k.runcRoot, "list", "-q").Output()
	if err != nil {
		return nil, fmt.Errorf("runc list: %w", err)
	}
	var gone []string
	var errs []error
	for _, h := range strings.Fields(string(out)) {
		if err := exec.Command(k.runcBinary, "--root", k.runcRoot, "delete", "--force", "--", h).Run(); err != nil {
			errs = append(errs, fmt.Errorf("runc delete %s: %w", h, err))
			continue
		}
		gone = append(gone, h)
	}
	return gone, errors.Join(errs...)
}

func rep(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("rep", flag.ContinueOnError)
	exitPid := fs.Int("exit-with", 0, "exit when this pid is gone")
	var k containerKiller
	fs.StringVar(&k.gardenSocket, "garden-socket", "", "garden unix socket")
	fs.StringVar(&k.runcBinary, "runc-binary", "runc", "runc binary (without garden)")
	fs.StringVar(&k.runcRoot, "runc-root", "", "runc --root (without garden)")
	startsFile := fs.String("starts-file", "", "append one line per start here")
	destroyOnStart := fs.Bool("destroy-on-start", true, "destroy executor-owned containers on start, like the real executor")
	if err := fs.Parse(args); err != nil {
		return err
	}
	exitWith(*exitPid)
	appendLine(*startsFile, fmt.Sprintf("start pid=%d at=%s", os.Getpid(), time.Now().UTC().Format(time.RFC3339Nano)))
	if *destroyOnStart {
		gone, err := k.destroyAll(true)
		fmt.Fprintf(os.Stderr, "rep stand-in: start cleanup destroyed %v (err %v)\n", gone, err)
	}
	<-ctx.Done()
	// The real rep's shutdown: every container goes.
	gone, err := k.destroyAll(false)
	appendLine(*startsFile, fmt.Sprintf("shutdown pid=%d destroyed=%s", os.Getpid(), strings.Join(gone, ",")))
	fmt.Fprintf(os.Stderr, "rep stand-in: shutdown destroyed %v (err %v)\n", gone, err)
	return err
}

func routeEmitter(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("route-emitter", flag.ContinueOnError)
	exitPid := fs.Int("exit-with", 0, "exit when this pid is gone")
	routerURL := fs.String("router-url", "", "POST each registration here")
	registerFile := fs.String("register-file", "", "append each registration here")
	cellID := fs.String("cell-id", "cell", "cell id sent with each registration")
	interval := fs.Duration("interval", 100*time.Millisecond, "re-registration interval")
	natsURLFile := fs.String("nats-url-file", "", "file holding the NATS URL (with credentials) to publish router.register for garden's containers to")
	gardenSocket := fs.String("garden-socket", "", "garden unix socket whose containers are routed (with --nats-url)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	exitWith(*exitPid)
	var nc *nats.Conn
	if *natsURLFile != "" {
		// A file, not a flag: the URL carries the NATS password.
		b, err := os.ReadFile(*natsURLFile)
		if err != nil {
			return fmt.Errorf("read the NATS URL: %w", err)
		}
		natsURL := strings.TrimSpace(string(b))
		// Reconnect forever, as the real one does: a NATS restart must
		// not end the stand-in.
		nc, err = nats.Connect(natsURL, nats.Name("route-emitter "+*cellID), nats.MaxReconnects(-1))
		if err != nil {
			return fmt.Errorf("connect to NATS: %w", err)
		}
		// Close, not Drain: the real route emitter sends no unregister and
		// flushes nothing on its way out.
		defer nc.Close()
	}
	// Like the real route emitter: no unregister on the way out.
	return emitUntilStopped(ctx, *interval, *registerFile, *routerURL, func() string {
		if nc != nil {
			if err := publishRoutes(nc, *gardenSocket, *cellID); err != nil {
				fmt.Fprintf(os.Stderr, "route-emitter stand-in: %v\n", err)
			}
		}
		return fmt.Sprintf(`{"cell_id":%q,"pid":%d,"at":%q}`, *cellID, os.Getpid(), time.Now().UTC().Format(time.RFC3339Nano))
	}, nil)
}

// RegisterSubject is gorouter's subject for route registrations.
const RegisterSubject = "router.register"

// Registration is a router.register message, with the fields gorouter
// reads from a route emitter in direct-instance mode (the container's own
// address and port) [gorouter: mbus/subscriber.go RegistryMessage].
type Registration struct {
	Host                 string            `json:"host"`
	Port                 int               `json:"port"`
	URIs                 []string          `json:"uris"`
	App                  string            `json:"app,omitempty"`
	PrivateInstanceID    string            `json:"private_instance_id,omitempty"`
	PrivateInstanceIndex string            `json:"private_instance_index,omitempty"`
	Tags                 map[string]string `json:"tags,omitempty"`
	StaleThreshold       int               `json:"stale_threshold_in_seconds,omitempty"`
}

// publishRoutes sends one registration per port of every garden container
// that has an IP.
func publishRoutes(nc *nats.Conn, socket, cellID string) error {
	g := gclient.New(connection.New("unix", socket))
	list, err := g.Containers(nil)
	if err != nil {
		return fmt.Errorf("list containers: %w", err)
	}
	handles := make([]string, 0, len(list))
	for _, c := range list {
		handles = append(handles, c.Handle())
	}
	infos, err := g.BulkInfo(handles)
	if err != nil {
		return fmt.Errorf("container info: %w", err)
	}
	for handle, e := range infos {
		if e.Err != nil || e.Info.ContainerIP == "" {
			continue
		}
		app := e.Info.Properties["network.app_id"]
		index := ""
		var lc struct {
			Index int `json:"index"`
		}
		if json.Unmarshal([]byte(e.Info.Properties["log_config"]), &lc) == nil {
			index = strconv.Itoa(lc.Index)
		}
		for _, p := range strings.Split(e.Info.Properties["network.ports"], ",") {
			port, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil {
				continue
			}
			b, _ := json.Marshal(Registration{
				Host: e.Info.ContainerIP, Port: port, URIs: []string{app + ".apps.lab.internal"},
				App: app, PrivateInstanceID: handle, PrivateInstanceIndex: index,
				Tags:           map[string]string{"component": "route-emitter", "cell_id": cellID},
				StaleThreshold: 120,
			})
			if err := nc.Publish(RegisterSubject, b); err != nil {
				return err
			}
		}
	}
	return nc.Flush()
}

func boshAgent(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bosh-agent", flag.ContinueOnError)
	exitPid := fs.Int("exit-with", 0, "exit when this pid is gone")
	heartbeatURL := fs.String("heartbeat-url", "", "POST each heartbeat here; the answer's applies count tells of deploys")
	heartbeatFile := fs.String("heartbeat-file", "", "append each heartbeat here")
	agentID := fs.String("agent-id", "agent", "agent id sent with each heartbeat")
	interval := fs.Duration("interval", 100*time.Millisecond, "heartbeat interval")
	monitAddress := fs.String("monit-address", "", "monit's HTTP address, to start every job on an apply")
	monitCredentials := fs.String("monit-credentials", "", "monit's user:password file")
	appliesFile := fs.String("applies-file", "", "append one line per apply acted on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	exitWith(*exitPid)
	var jobs *monit.Client
	if *monitAddress != "" {
		var err error
		if jobs, err = monit.NewClient(lager.NewLogger("bosh-agent-standin"), *monitAddress, *monitCredentials); err != nil {
			return err
		}
	}
	seen := -1
	return emitUntilStopped(ctx, *interval, *heartbeatFile, *heartbeatURL, func() string {
		return fmt.Sprintf(`{"agent_id":%q,"pid":%d,"at":%q}`, *agentID, os.Getpid(), time.Now().UTC().Format(time.RFC3339Nano))
	}, func(answer io.Reader) {
		var hb struct {
			Applies *int `json:"applies"`
		}
		if json.NewDecoder(answer).Decode(&hb) != nil || hb.Applies == nil {
			return
		}
		applies := *hb.Applies
		// The first answer is where this agent came in; later ones count
		// the deploys that applied to its instance since.
		if seen < 0 || applies <= seen {
			seen = max(seen, applies)
			return
		}
		seen = applies
		started, err := startEveryJob(ctx, jobs)
		appendLine(*appliesFile, fmt.Sprintf("apply n=%d at=%s started=%s err=%v", applies, time.Now().UTC().Format(time.RFC3339Nano), strings.Join(started, ","), err))
	})
}

// startEveryJob is what the real BOSH agent does after an apply: `monit
// start` for every job, which also monitors an unmonitored one again
// [bosh-agent: jobsupervisor/monit_job_supervisor.go Start].
func startEveryJob(ctx context.Context, jobs *monit.Client) ([]string, error) {
	if jobs == nil {
		return nil, errors.New("no monit address: cannot start jobs")
	}
	services, err := jobs.Services(ctx)
	if err != nil {
		return nil, err
	}
	var started []string
	var errs []error
	for _, svc := range services {
		if svc.Type != 3 {
			continue // the system check, not a job
		}
		if err := jobs.Action(ctx, svc.Name, "start"); err != nil {
			errs = append(errs, err)
			continue
		}
		started = append(started, svc.Name)
	}
	return started, errors.Join(errs...)
}

// emitUntilStopped appends a message to file and POSTs it to url (either
// may be empty) every interval until ctx ends, which is how both the route
// emitter's registrations and the BOSH agent's heartbeats look from outside.
// onAnswer, when set, reads each answer.
func emitUntilStopped(ctx context.Context, interval time.Duration, file, url string, message func() string, onAnswer func(io.Reader)) error {
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		msg := message()
		appendLine(file, msg)
		if url != "" {
			if resp, err := client.Post(url, "application/json", bytes.NewBufferString(msg)); err == nil {
				if onAnswer != nil {
					onAnswer(io.LimitReader(resp.Body, 1<<16))
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func appendLine(path, line string) {
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = f.WriteString(line + "\n")
}
