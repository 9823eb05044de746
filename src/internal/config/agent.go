// Package config holds the JSON documents the job templates render with
// JSON.dump; the field tags are the contract between the ERB templates and
// the Go code, so change both together.
package config

import (
	"encoding/json"
	"fmt"
	"os"
)

// Agent is /var/vcap/jobs/sequester-agent/config/agent.json.
type Agent struct {
	// ListenAddress is host:port of the mTLS API.
	ListenAddress string `json:"listen_address"`
	TLS           TLS    `json:"tls"`
	// CellID is the rep's cell_id, which is spec.id on a BOSH-deployed cell.
	CellID   string `json:"cell_id"`
	StateDir string `json:"state_dir"`
	LogLevel string `json:"log_level"`

	Garden    Garden    `json:"garden"`
	Runc      Runc      `json:"runc"`
	Monit     Monit     `json:"monit"`
	BBS       BBS       `json:"bbs"`
	Evidence  Evidence  `json:"evidence"`
	BoshAgent BoshAgent `json:"bosh_agent"`
	SSH       SSH       `json:"ssh"`
	DState    DState    `json:"dstate"`
	Prune     Prune     `json:"prune"`
	Isolation Isolation `json:"isolation"`

	Metrics        Metrics        `json:"metrics"`
	FirstResponder FirstResponder `json:"first_responder"`
}

// TLS names PEM files. For the agent: its server cert and the CA its clients
// must chain to. For the errand: its client cert and the CA the agent's
// server cert must chain to.
type TLS struct {
	CAFile   string `json:"ca_file"`
	CertFile string `json:"cert_file"`
	KeyFile  string `json:"key_file"`
}

type Garden struct {
	// Socket is garden's unix socket; empty or absent means use runc only.
	Socket    string `json:"socket"`
	DepotPath string `json:"depot_path"`
	// DestroyTimeoutSeconds bounds garden's destroy of one container; past
	// it runc takes over (0: the default).
	DestroyTimeoutSeconds int `json:"destroy_timeout_seconds"`
}

type Runc struct {
	Binary string `json:"binary"`
	// Root is runc's --root: /run/containerd/runc/garden in containerd mode,
	// /run/runc in plain runc mode.
	Root string `json:"root"`
	// CgroupRoot is where cgroup hierarchies are mounted (/sys/fs/cgroup).
	CgroupRoot string `json:"cgroup_root"`
	// TimeoutSeconds bounds each runc call; a blocked one is abandoned
	// (0: the default).
	TimeoutSeconds int `json:"timeout_seconds"`
}

type Monit struct {
	Address         string `json:"address"`
	CredentialsFile string `json:"credentials_file"`
	// TimeoutSeconds bounds each monit call; past it the stoppers go on
	// without monit (0: the default).
	TimeoutSeconds      int    `json:"timeout_seconds"`
	RouteEmitterService string `json:"route_emitter_service"`
	RepService          string `json:"rep_service"`
	// RepPidFile is read to SIGKILL the rep after it is unmonitored.
	RepPidFile string `json:"rep_pid_file"`
	// RouteEmitterPidFile finds a route emitter monit no longer monitors
	// (monit reports no pid for it and ignores a stop).
	RouteEmitterPidFile string `json:"route_emitter_pid_file"`
}

type BBS struct {
	// URL empty disables the replacement wait (and says so in the status).
	URL      string `json:"url"`
	CAFile   string `json:"ca_file"`
	CertFile string `json:"cert_file"`
	KeyFile  string `json:"key_file"`
	// ReplacementTimeoutSeconds bounds the wait for replacements elsewhere.
	ReplacementTimeoutSeconds int `json:"replacement_timeout_seconds"`
}

type Evidence struct {
	Dir      string   `json:"dir"`
	MaxBytes int64    `json:"max_bytes"`
	LogFiles []string `json:"log_files"`
}

type BoshAgent struct {
	Stop bool `json:"stop"`
	// Supervisor is "auto", "runit" or "systemd".
	Supervisor   string `json:"supervisor"`
	RunitService string `json:"runit_service"` // /etc/sv/agent
	SvBinary     string `json:"sv_binary"`
	SystemdUnit  string `json:"systemd_unit"`
}

type SSH struct {
	User       string   `json:"user"`
	PublicKeys []string `json:"public_keys"`
	Sudo       bool     `json:"sudo"`
	// SourceCIDRs may still reach kept containers after isolation.
	SourceCIDRs []string `json:"source_cidrs"`
	// Port sshd is expected to listen on.
	Port int `json:"port"`
}

type DState struct {
	PollIntervalSeconds int `json:"poll_interval_seconds"`
	// SuspectAfterSeconds: a process in D state this long marks its
	// container a suspect.
	SuspectAfterSeconds int `json:"suspect_after_seconds"`
	// KmsgPath is the kernel log followed for hung-task reports
	// (default /dev/kmsg; "-" turns the follower off).
	KmsgPath string `json:"kmsg_path,omitempty"`
}

// Metrics is the Prometheus endpoint: mTLS only, with a client CA of its
// own (the metrics scraper's), never the API's.
type Metrics struct {
	Enabled bool `json:"enabled"`
	// ListenAddress is host:port of the metrics endpoint.
	ListenAddress string `json:"listen_address"`
	TLS           TLS    `json:"tls"`
}

// FirstResponder bounds the evidence captured when a container first
// becomes a suspect.
type FirstResponder struct {
	Enabled        bool   `json:"enabled"`
	Dir            string `json:"dir"`
	MaxPerHour     int    `json:"max_per_hour"`
	MaxTotalBytes  int64  `json:"max_total_bytes"`
	MaxBundleBytes int64  `json:"max_bundle_bytes"`
}

type Prune struct {
	Workers int `json:"workers"`
}

type Isolation struct {
	BlockEgress bool `json:"block_egress"`
	Freeze      bool `json:"freeze"`
}

// Load reads a rendered config and fails with the file name in the error.
func Load(path string, into any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config %s: %w", path, err)
	}
	if err := json.Unmarshal(b, into); err != nil {
		return fmt.Errorf("parse config %s: %w", path, err)
	}
	return nil
}
