// Package sshaccess checks, without any network traffic, that investigators
// can still log in once the BOSH agent is gone (`bosh ssh` creates its users
// through the agent, so it cannot help then). Stemcells let sshd admit only
// members of bosh_sshers, by key; members of bosh_sudoers may sudo.
package sshaccess

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
)

// Groups of a BOSH stemcell's sshd and sudo configuration.
const (
	SSHersGroup  = "bosh_sshers"
	SudoersGroup = "bosh_sudoers"
)

// Checker checks one investigator account. The file paths default to the
// system's; tests point them elsewhere.
type Checker struct {
	User string
	Sudo bool
	Port int
	// PublicKeys, when set, must each appear in authorized_keys.
	PublicKeys []string

	PasswdFile string // /etc/passwd
	GroupFile  string // /etc/group
	ProcNetDir string // /proc/net
}

// Check returns the account's status; Ready only when every condition
// holds, and Problem names the first that does not.
func (c Checker) Check() agentapi.SSHStatus {
	st := agentapi.SSHStatus{User: c.User}
	var problems []string
	if c.User == "" {
		st.Problem = "no investigator user is configured"
		return st
	}
	home, gid, err := c.lookupUser()
	if err != nil {
		st.Problem = err.Error()
		return st
	}
	groups, err := c.groupsOf(gid)
	if err != nil {
		st.Problem = err.Error()
		return st
	}
	st.InSSHers = groups[SSHersGroup]
	if !st.InSSHers {
		problems = append(problems, fmt.Sprintf("user %s is not in group %s (sshd refuses it)", c.User, SSHersGroup))
	}
	if c.Sudo {
		st.InSudoers = groups[SudoersGroup]
		if !st.InSudoers {
			problems = append(problems, fmt.Sprintf("user %s may sudo but is not in group %s", c.User, SudoersGroup))
		}
	}
	keys, err := readKeys(filepath.Join(home, ".ssh", "authorized_keys"))
	st.Keys = len(keys)
	switch {
	case err != nil:
		problems = append(problems, err.Error())
	case len(keys) == 0:
		problems = append(problems, fmt.Sprintf("%s has no keys in ~/.ssh/authorized_keys", c.User))
	}
	for _, want := range c.PublicKeys {
		if f := strings.Fields(want); len(f) >= 2 && !keys[f[1]] {
			problems = append(problems, fmt.Sprintf("configured key %s... is missing from %s's authorized_keys", abbreviate(f[1]), c.User))
		}
	}
	port := c.Port
	if port == 0 {
		port = 22
	}
	st.Listening, err = c.listening(port)
	if err != nil {
		problems = append(problems, err.Error())
	} else if !st.Listening {
		problems = append(problems, fmt.Sprintf("nothing listens on TCP port %d (sshd)", port))
	}
	if len(problems) > 0 {
		st.Problem = strings.Join(problems, "; ")
		return st
	}
	st.Ready = true
	return st
}

func (c Checker) lookupUser() (home, gid string, err error) {
	f, err := os.Open(orDefault(c.PasswdFile, "/etc/passwd"))
	if err != nil {
		return "", "", fmt.Errorf("read users: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Split(sc.Text(), ":")
		if len(p) >= 7 && p[0] == c.User {
			return p[5], p[3], nil
		}
	}
	return "", "", fmt.Errorf("investigator user %s does not exist", c.User)
}

// groupsOf returns the groups the user is in, by member list or as the
// primary group.
func (c Checker) groupsOf(primaryGID string) (map[string]bool, error) {
	f, err := os.Open(orDefault(c.GroupFile, "/etc/group"))
	if err != nil {
		return nil, fmt.Errorf("read groups: %w", err)
	}
	defer f.Close()
	in := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Split(sc.Text(), ":")
		if len(p) < 4 {
			continue
		}
		if p[2] == primaryGID {
			in[p[0]] = true
		}
		for _, m := range strings.Split(p[3], ",") {
			if strings.TrimSpace(m) == c.User {
				in[p[0]] = true
			}
		}
	}
	return in, sc.Err()
}

// readKeys returns the key blobs of authorized_keys (options and comments
// aside).
func readKeys(path string) (map[string]bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return map[string]bool{}, nil
		}
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	keys := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		// A line is [options] keytype blob [comment]; the blob follows the
		// first field that names a key type.
		for i := 0; i+1 < len(f); i++ {
			if isKeyType(f[i]) {
				keys[f[i+1]] = true
				break
			}
		}
	}
	return keys, nil
}

func isKeyType(s string) bool {
	return strings.HasPrefix(s, "ssh-") || strings.HasPrefix(s, "ecdsa-") || strings.HasPrefix(s, "sk-")
}

// listening reads /proc/net/tcp and tcp6 for a socket in LISTEN (state 0A)
// on port, so the check sends no traffic.
func (c Checker) listening(port int) (bool, error) {
	dir := orDefault(c.ProcNetDir, "/proc/net")
	read := 0
	for _, name := range []string{"tcp", "tcp6"} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		read++
		found := scanListen(f, port)
		f.Close()
		if found {
			return true, nil
		}
	}
	if read == 0 {
		return false, fmt.Errorf("cannot read %s/tcp or tcp6", dir)
	}
	return false, nil
}

func scanListen(f *os.File, port int) bool {
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || fields[3] != "0A" {
			continue
		}
		i := strings.LastIndexByte(fields[1], ':')
		if i < 0 {
			continue
		}
		p, err := strconv.ParseUint(fields[1][i+1:], 16, 16)
		if err == nil && int(p) == port {
			return true
		}
	}
	return false
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func abbreviate(s string) string {
	if len(s) > 16 {
		return s[:16]
	}
	return s
}
