package main

import (
	"crypto/tls"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi/agentapitest"
	"github.com/cloudfoundry-community/cell-sequestration/internal/director"
)

func TestKeepFlagsSelectOrRefuse(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		want    agentapi.Keep
		wantErr string
	}{
		{name: "repeated pids are kept, in order", args: []string{"--keep-pid", "4242", "--keep-pid", "77"},
			want: agentapi.Keep{Pids: []int{4242, 77}}},
		{name: "pids combine with handles, apps and suspects", args: []string{"--keep", "h-1", "--keep-app", "app-1", "--keep-pid", "9", "--keep-suspects"},
			want: agentapi.Keep{Handles: []string{"h-1"}, AppGUIDs: []string{"app-1"}, Pids: []int{9}, Suspects: true}},
		{name: "keep none alone prunes everything", args: []string{"--keep-none"}, want: agentapi.Keep{None: true}},
		{name: "a pid contradicts keep none", args: []string{"--keep-pid", "4242", "--keep-none"}, wantErr: "--keep-none contradicts"},
		{name: "no selection is refused", wantErr: "say what to keep (--keep, --keep-app, --keep-pid, --keep-suspects) or --keep-none"},
		{name: "a pid that is no number is bad input", args: []string{"--keep-pid", "nginx"}, wantErr: "invalid argument"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var f keepFlags
			cmd := &cobra.Command{}
			f.bind(cmd)
			err := cmd.ParseFlags(tc.args)
			var got agentapi.Keep
			if err == nil {
				got, err = f.keep()
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v; want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestAgentServerNameDefaultsToTheNameInTheShippedCertificates(t *testing.T) {
	ca, caFile := agentapitest.NewCA(t, "agents")
	client := ca.Issue(t, "operator")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"by default the name the manifests give every agent", nil, agentapi.DefaultServerName},
		{"a name of the operator's", []string{"--agent-server-name", "agents.example"}, "agents.example"},
		{"empty checks each cell's IP", []string{"--agent-server-name", ""}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got *tls.Config
			prev := agentDialer
			agentDialer = func(_ int, cfg *tls.Config) director.AgentDialer { got = cfg; return nil }
			defer func() { agentDialer = prev }()
			f := agentFlags{}
			cmd := &cobra.Command{}
			f.bind(cmd)
			if err := cmd.ParseFlags(append([]string{"--agent-ca", caFile, "--agent-cert", client.CertFile, "--agent-key", client.KeyFile}, tc.args...)); err != nil {
				t.Fatal(err)
			}
			if _, err := f.dialer(); err != nil {
				t.Fatal(err)
			}
			if got == nil || got.ServerName != tc.want {
				t.Fatalf("server name %q; want %q", got.ServerName, tc.want)
			}
		})
	}
}
