// Package boshconfig reads the bosh CLI's own config file, where `bosh
// alias-env` keeps environment aliases with their CA certificates and `bosh
// log-in` the credentials (a basic-auth user or UAA client with its secret,
// or a UAA user's access and refresh tokens). The format is bosh-cli's
// (bosh-cli: cmd/config/fs_config.go); that package is not vendored here, so
// this reads and writes the same schema. Precedence follows bosh-cli's
// cmd/session_context.go: flags and BOSH_* variables win over the file.
package boshconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	boshuaa "github.com/cloudfoundry/bosh-cli/v7/uaa"
	"gopkg.in/yaml.v3"
)

// Environment is one entry of the file (bosh-cli's fsConfigSchema_Environment).
type Environment struct {
	URL    string `yaml:"url"`
	CACert string `yaml:"ca_cert,omitempty"`
	Alias  string `yaml:"alias,omitempty"`

	// Username and Password are a basic-auth user or a UAA client and its
	// secret; the tokens are a UAA user's, from `bosh log-in`.
	Username        string `yaml:"username,omitempty"`
	Password        string `yaml:"password,omitempty"`
	AccessTokenType string `yaml:"access_token_type,omitempty"`
	AccessToken     string `yaml:"access_token,omitempty"`
	RefreshToken    string `yaml:"refresh_token,omitempty"`
}

// File is the bosh CLI's config, as loaded from Path.
type File struct {
	Path         string        `yaml:"-"`
	Environments []Environment `yaml:"environments"`

	// mu serialises token updates: director calls run concurrently and
	// each may refresh the token.
	mu sync.Mutex
}

// DefaultPath is where the bosh CLI looks: $BOSH_CONFIG, else
// ~/.bosh/config (bosh-cli: cmd/opts/opts.go, ConfigPathOpt), with a
// leading ~ expanded as the bosh CLI does.
func DefaultPath() string {
	p := os.Getenv("BOSH_CONFIG")
	if p == "" {
		p = "~/.bosh/config"
	}
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		p = filepath.Join(home, rest)
	}
	return p
}

// Load reads the file at path. A missing file is an empty config, as for
// the bosh CLI before its first alias-env.
func Load(path string) (*File, error) {
	f := &File{Path: path}
	if path == "" {
		return f, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, fmt.Errorf("bosh CLI config: %w", err)
	}
	if err := yaml.Unmarshal(b, f); err != nil {
		return nil, fmt.Errorf("bosh CLI config %s: %w", path, err)
	}
	return f, nil
}

// find is the entry whose URL or alias is urlOrAlias.
func (f *File) find(urlOrAlias string) (int, bool) {
	if urlOrAlias == "" {
		return -1, false
	}
	for i, e := range f.Environments {
		if e.URL == urlOrAlias || e.Alias == urlOrAlias {
			return i, true
		}
	}
	return -1, false
}

// Target is a director to connect to and how: what the flags and BOSH_*
// variables said, completed from the file.
type Target struct {
	// Environment is the URL or alias given; URL what it resolves to.
	Environment string
	URL         string
	CACert      string

	Client       string
	ClientSecret string
	// RefreshToken is a UAA user's, from `bosh log-in`.
	RefreshToken string
}

// Resolve completes what the command line gave (each may be empty) from the
// file: the alias's URL, its CA when none was given, and the stored
// credentials unless a client was given, which then comes with its own
// secret (bosh-cli: SessionContextImpl.Credentials).
func (f *File) Resolve(environment, caCert, client, clientSecret string) Target {
	t := Target{Environment: environment, URL: environment, CACert: caCert, Client: client, ClientSecret: clientSecret}
	i, ok := f.find(environment)
	if !ok {
		return t
	}
	e := f.Environments[i]
	t.URL = e.URL
	if t.CACert == "" {
		t.CACert = e.CACert
	}
	if client == "" {
		t.Client, t.ClientSecret = e.Username, e.Password
		t.RefreshToken = e.RefreshToken
	}
	return t
}

// UpdateConfigWithToken stores a refreshed UAA token for the environment
// and saves the file, as the bosh CLI does after each refresh (UAA may
// rotate refresh tokens, so the old one stops working). It makes File a
// boshuaa.ConfigUpdater for boshuaa.NewAccessTokenSession.
func (f *File) UpdateConfigWithToken(environment string, t boshuaa.AccessToken) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	i, ok := f.find(environment)
	if !ok {
		return fmt.Errorf("bosh CLI config %s: no environment %q to store the refreshed token in", f.Path, environment)
	}
	e := &f.Environments[i]
	// bosh-cli's FSConfig.UpdateConfigWithToken replaces the credentials
	// with the token.
	e.Username, e.Password = "", ""
	e.AccessTokenType, e.AccessToken = t.Type(), t.Value()
	if r, ok := t.(boshuaa.RefreshableAccessToken); ok {
		e.RefreshToken = r.RefreshValue()
	}
	return f.Save()
}

// Save writes the file back, readable only by its owner (it holds
// credentials), replacing it atomically so a concurrent bosh CLI never
// reads half of it. UpdateConfigWithToken saves already; Save is part of
// boshuaa.ConfigUpdater.
func (f *File) Save() error {
	b, err := yaml.Marshal(f)
	if err != nil {
		return fmt.Errorf("bosh CLI config: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.Path), ".config-*")
	if err != nil {
		return fmt.Errorf("bosh CLI config: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("bosh CLI config: %w", err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("bosh CLI config: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("bosh CLI config: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.Path); err != nil {
		return fmt.Errorf("bosh CLI config: %w", err)
	}
	return nil
}

var _ boshuaa.ConfigUpdater = (*File)(nil)
