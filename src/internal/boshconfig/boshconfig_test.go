package boshconfig_test

import (
	"os"
	"path/filepath"
	"testing"

	boshuaa "github.com/cloudfoundry/bosh-cli/v7/uaa"

	"github.com/cloudfoundry-community/cell-sequestration/internal/boshconfig"
)

// A config as bosh alias-env and bosh log-in write it: one basic-auth (or
// UAA client) environment, one UAA user's.
const written = `environments:
- url: https://10.0.0.6:25555
  ca_cert: |
    -----BEGIN CERTIFICATE-----
    prod
    -----END CERTIFICATE-----
  alias: prod
  username: admin
  password: s3cret
- url: https://10.0.1.6:25555
  ca_cert: staging-ca
  alias: staging
  access_token_type: bearer
  access_token: old-access
  refresh_token: old-refresh
`

func load(t *testing.T) *boshconfig.File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(written), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := boshconfig.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestResolveCompletesTheCommandLineFromTheFile(t *testing.T) {
	cases := []struct {
		name                            string
		environment, ca, client, secret string
		want                            boshconfig.Target
	}{
		{name: "an alias gives its URL, CA and stored client", environment: "prod",
			want: boshconfig.Target{Environment: "prod", URL: "https://10.0.0.6:25555", CACert: "-----BEGIN CERTIFICATE-----\nprod\n-----END CERTIFICATE-----\n", Client: "admin", ClientSecret: "s3cret"}},
		{name: "the URL finds the same entry", environment: "https://10.0.0.6:25555",
			want: boshconfig.Target{Environment: "https://10.0.0.6:25555", URL: "https://10.0.0.6:25555", CACert: "-----BEGIN CERTIFICATE-----\nprod\n-----END CERTIFICATE-----\n", Client: "admin", ClientSecret: "s3cret"}},
		{name: "a UAA user's alias gives its tokens", environment: "staging",
			want: boshconfig.Target{Environment: "staging", URL: "https://10.0.1.6:25555", CACert: "staging-ca", RefreshToken: "old-refresh"}},
		{name: "a given CA wins over the alias's", environment: "prod", ca: "given-ca",
			want: boshconfig.Target{Environment: "prod", URL: "https://10.0.0.6:25555", CACert: "given-ca", Client: "admin", ClientSecret: "s3cret"}},
		{name: "a given client wins and comes with its own secret, never the stored one", environment: "staging", client: "ops",
			want: boshconfig.Target{Environment: "staging", URL: "https://10.0.1.6:25555", CACert: "staging-ca", Client: "ops"}},
		{name: "an unknown environment is a URL as given", environment: "https://10.9.9.9:25555", client: "c", secret: "s",
			want: boshconfig.Target{Environment: "https://10.9.9.9:25555", URL: "https://10.9.9.9:25555", Client: "c", ClientSecret: "s"}},
		{name: "no environment resolves to nothing", want: boshconfig.Target{}},
	}
	f := load(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := f.Resolve(tc.environment, tc.ca, tc.client, tc.secret); got != tc.want {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestAMissingFileIsAnEmptyConfig(t *testing.T) {
	f, err := boshconfig.Load(filepath.Join(t.TempDir(), "nope"))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Resolve("prod", "", "", ""); got.URL != "prod" || got.Client != "" {
		t.Fatalf("got %+v", got)
	}
}

func TestABrokenFileIsAnErrorNamingIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	_ = os.WriteFile(path, []byte("environments: {"), 0o600)
	if _, err := boshconfig.Load(path); err == nil {
		t.Fatal("a broken config loaded")
	}
}

func TestARefreshedTokenIsSavedForTheNextRunOwnerOnly(t *testing.T) {
	f := load(t)
	token := boshuaa.NewRefreshableAccessToken("bearer", "new-access", "new-refresh")
	if err := f.UpdateConfigWithToken("https://10.0.1.6:25555", token); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(f.Path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("saved file: %v, %v; want mode 0600", st, err)
	}
	again, err := boshconfig.Load(f.Path)
	if err != nil {
		t.Fatal(err)
	}
	got := again.Resolve("staging", "", "", "")
	if got.RefreshToken != "new-refresh" || got.CACert != "staging-ca" {
		t.Fatalf("after the refresh: %+v", got)
	}
	if prod := again.Resolve("prod", "", "", ""); prod.Client != "admin" || prod.ClientSecret != "s3cret" {
		t.Fatalf("the other environment changed: %+v", prod)
	}
	if err := f.UpdateConfigWithToken("https://10.7.7.7:25555", token); err == nil {
		t.Fatal("a token for an environment the file lacks was saved")
	}
}

func TestDefaultPathIsTheBoshCLIs(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	cases := []struct{ boshConfig, want string }{
		{"", filepath.Join(home, ".bosh", "config")},
		{"/etc/bosh/config", "/etc/bosh/config"},
		{"~/ops/bosh-config", filepath.Join(home, "ops", "bosh-config")},
	}
	for _, tc := range cases {
		t.Run("BOSH_CONFIG="+tc.boshConfig, func(t *testing.T) {
			t.Setenv("BOSH_CONFIG", tc.boshConfig)
			if got := boshconfig.DefaultPath(); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}
