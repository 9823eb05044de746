package monit

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Kinds of Reachability: whether this process gets an answer from monit,
// and if not, why.
const (
	// Reachable: monit answered its status with our credentials.
	Reachable = "reachable"
	// Firewalled: a process listens on monit's port, yet our connection
	// attempts time out. On stemcells that is the monit firewall dropping
	// the packets of a process that did not ask for access
	// (bosh-linux-stemcell-builder: stages/bosh_monit/assets/restrict-monit-api-access
	// on Jammy; bosh-agent: platform/firewall/nftables_firewall.go on Noble).
	Firewalled = "dropped-by-firewall"
	// Down: nothing listens on monit's port.
	Down = "monit-down"
	// Stuck: monit accepts connections but does not answer.
	Stuck = "monit-stuck"
	// CredentialsRejected: monit answered 401 to our credentials.
	CredentialsRejected = "credentials-rejected"
	// Failing: monit answered, but not with a status document.
	Failing = "monit-failing"
)

// Probe timeouts: a connect on loopback completes at once unless a
// firewall drops it, and monit answers its status within a poll cycle.
const (
	probeConnectTimeout = 3 * time.Second
	probeAnswerTimeout  = 5 * time.Second
)

// Reachability says how this process reaches monit.
type Reachability struct {
	Kind    string `json:"kind"`
	Address string `json:"address"`
	// Version is monit's own version when it answered (stemcells: 5.2.5).
	Version string `json:"version,omitempty"`
	// Listening tells whether a process listens on monit's port here.
	Listening bool `json:"listening"`
	// Explanation is one sentence: what is wrong and what fixes it.
	Explanation string `json:"explanation,omitempty"`
}

// OK tells whether monit answered.
func (r Reachability) OK() bool { return r.Kind == Reachable }

// UnreachableError is a call to monit that failed, with why monit cannot
// be reached from here.
type UnreachableError struct {
	Reach Reachability
	Err   error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("%s [%s] (%v)", e.Reach.Explanation, e.Reach.Kind, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Probe finds out whether monit answers this process, and if not, tells
// the firewall from monit being down or stuck: a refused connect, or one
// that times out with nothing listening, is monit down; a connect that
// times out while a process listens on the port is the firewall; a connect
// that succeeds without an answer is monit stuck.
func (c *Client) Probe(ctx context.Context) Reachability {
	addr := strings.TrimPrefix(strings.TrimPrefix(c.base, "http://"), "https://")
	r := Reachability{Address: addr, Listening: listening(addr)}
	dialCtx, cancel := context.WithTimeout(ctx, probeConnectTimeout)
	conn, err := (&net.Dialer{}).DialContext(dialCtx, "tcp", addr)
	cancel()
	if err != nil {
		switch {
		case errors.Is(err, syscall.ECONNREFUSED):
			r.Kind = Down
			r.Explanation = fmt.Sprintf("nothing listens on monit's address %s (connection refused): monit is not running; start it (`sv start monit` on Jammy, `systemctl start monit` on Noble)", addr)
		case r.Listening:
			r.Kind = Firewalled
			r.Explanation = fmt.Sprintf("monit listens on %s but this agent's connections to it time out: the stemcell's monit firewall drops them because the agent did not ask for access (Jammy: the monit-api-access net_cls cgroup; Noble: bosh-agent's nftables rules); restart it with `monit restart sequester-agent` so its ctl asks for access", addr)
		default:
			r.Kind = Down
			r.Explanation = fmt.Sprintf("nothing listens on monit's address %s and connections to it time out (%v): monit is not running; start it (`sv start monit` on Jammy, `systemctl start monit` on Noble)", addr, err)
		}
		return r
	}
	defer conn.Close()
	// Our own request on the connection we opened, so that an answer that
	// never comes is told from a connect that never completes.
	_ = conn.SetDeadline(time.Now().Add(probeAnswerTimeout))
	req, _ := http.NewRequest(http.MethodGet, c.base+"/_status?format=xml", nil)
	req.SetBasicAuth(c.user, c.password)
	req.Close = true
	if err := req.Write(conn); err != nil {
		return stuck(r, addr, err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		return stuck(r, addr, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return stuck(r, addr, err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		r.Kind = CredentialsRejected
		r.Explanation = fmt.Sprintf("monit at %s rejects the agent's credentials (HTTP 401): point monit.credentials_file at the file the BOSH agent writes (/var/vcap/monit/monit.user)", addr)
		return r
	case resp.StatusCode != http.StatusOK:
		r.Kind = Failing
		r.Explanation = fmt.Sprintf("monit at %s answers its status with HTTP %d: check monit's log (/var/vcap/monit/monit.log)", addr, resp.StatusCode)
		return r
	}
	r.Version = serverVersion(body)
	r.Kind = Reachable
	return r
}

func stuck(r Reachability, addr string, err error) Reachability {
	r.Kind = Stuck
	r.Explanation = fmt.Sprintf("monit accepts connections on %s but does not answer within %s (%v): it is stuck, often in D state on a sick disk; look at `ps -o pid,stat,wchan -C monit` and restart monit (`sv restart monit` on Jammy, `systemctl restart monit` on Noble)", addr, probeAnswerTimeout, err)
	return r
}

// explain turns a failed request into an UnreachableError when monit
// cannot be reached, so a failed step says whether the firewall, a dead or
// a stuck monit is to blame. Other errors pass through.
func (c *Client) explain(ctx context.Context, err error) error {
	var ne net.Error
	if err == nil || ctx.Err() != nil || !errors.As(err, &ne) && !errors.Is(err, syscall.ECONNREFUSED) {
		return err
	}
	r := c.Probe(context.WithoutCancel(ctx))
	if r.OK() {
		// monit answers now: the failure was a passing one.
		return err
	}
	return &UnreachableError{Reach: r, Err: err}
}

// serverVersion reads <server><version> from a status document; monit
// 5.2.5 and 5.33 both carry it.
func serverVersion(body []byte) string {
	var doc struct {
		Version string `xml:"server>version"`
	}
	dec := xml.NewDecoder(strings.NewReader(string(body)))
	dec.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	if dec.Decode(&doc) != nil {
		return ""
	}
	return doc.Version
}

// listening tells whether a TCP socket on this machine listens on addr
// (or on the wildcard address with its port), from /proc/net/tcp: a
// listener that still exists means monit's process is alive, whatever a
// firewall does to our packets.
func listening(addr string) bool {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	if ip == nil {
		if ips, err := net.LookupIP(host); err == nil && len(ips) > 0 {
			ip = ips[0]
		}
	}
	file, any := "/proc/net/tcp", net.IPv4zero
	if ip != nil && ip.To4() == nil {
		file, any = "/proc/net/tcp6", net.IPv6zero
	}
	f, err := os.Open(file)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		// sl local_address rem_address st ...; st 0A is LISTEN.
		if len(fields) < 4 || fields[3] != "0A" {
			continue
		}
		lip, lport, ok := parseProcAddr(fields[1])
		if ok && lport == port && (lip.Equal(any) || ip != nil && lip.Equal(ip)) {
			return true
		}
	}
	return false
}

// parseProcAddr parses /proc/net/tcp's "0100007F:0B06": the kernel prints
// each 32-bit word of the address as the number it holds in memory (so in
// this machine's byte order), and the port in hex.
func parseProcAddr(s string) (net.IP, int, bool) {
	hexIP, hexPort, ok := strings.Cut(s, ":")
	if !ok || len(hexIP)%8 != 0 {
		return nil, 0, false
	}
	raw := make([]byte, len(hexIP)/2)
	for i := 0; i < len(hexIP); i += 8 {
		word, err := strconv.ParseUint(hexIP[i:i+8], 16, 32)
		if err != nil {
			return nil, 0, false
		}
		binary.NativeEndian.PutUint32(raw[i/2:], uint32(word))
	}
	port, err := strconv.ParseUint(hexPort, 16, 16)
	if err != nil {
		return nil, 0, false
	}
	return net.IP(raw), int(port), true
}
