package config

// Errand is /var/vcap/jobs/sequester-cell/config/errand.json.
type Errand struct {
	Director Director `json:"director"`
	// Deployment and Instance name the cell; Instance is GROUP/ID.
	Deployment string `json:"deployment"`
	Instance   string `json:"instance"`

	Keep Keep `json:"keep"`

	Reason string `json:"reason"`
	CaseID string `json:"case_id"`
	// RequestedBy is recorded as who asked for the sequestration.
	RequestedBy string `json:"requested_by"`

	MaxSequestered int `json:"max_sequestered"`
	// RecordConfigType is the director config type holding records.
	RecordConfigType string `json:"record_config_type"`

	Agent ErrandAgent `json:"agent"`
	BBS   BBS         `json:"bbs"`

	UnresponsiveTimeoutSeconds int  `json:"unresponsive_timeout_seconds"`
	ResurrectionWaitSeconds    int  `json:"resurrection_wait_seconds"`
	Freeze                     bool `json:"freeze"`
	BlockEgress                bool `json:"block_egress"`
	AllowWithoutSSH            bool `json:"allow_without_ssh"`
	// IgnoreCapacity goes on when BBS says the other cells cannot take
	// the cell's app instances.
	IgnoreCapacity bool `json:"ignore_capacity"`

	// Added by the director-side flow; absent (zero) means the default.
	// CellTimeoutSeconds bounds the agent's cell-side sequence (900).
	CellTimeoutSeconds int `json:"cell_timeout_seconds,omitempty"`
	// PollIntervalSeconds is how often the errand polls agent and director (5).
	PollIntervalSeconds int `json:"poll_interval_seconds,omitempty"`
	// ResurrectionMode is "scoped" (default) or "global".
	ResurrectionMode string `json:"resurrection_mode,omitempty"`
	// LogLevel of the errand's stderr log: debug, info (default), error.
	LogLevel string `json:"log_level,omitempty"`
}

type Director struct {
	URL          string `json:"url"`
	CACertFile   string `json:"ca_cert_file"`
	Client       string `json:"client"`
	ClientSecret string `json:"client_secret"`
}

type Keep struct {
	Handles  []string `json:"handles"`
	AppGUIDs []string `json:"app_guids"`
	Pids     []int    `json:"pids"`
	Suspects bool     `json:"suspects"`
	None     bool     `json:"none"`
}

// ErrandAgent is how the errand reaches sequester-agent on the cell.
type ErrandAgent struct {
	Port int `json:"port"`
	TLS  TLS `json:"tls"`
	// ServerName is the name the agent's certificate carries.
	ServerName string `json:"server_name"`
}
