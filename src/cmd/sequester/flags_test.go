package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/cloudfoundry-community/cell-sequestration/internal/agentapi"
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
