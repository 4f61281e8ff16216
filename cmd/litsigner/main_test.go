package main

import (
	"slices"
	"testing"

	"github.com/litsigner/litsigner/daemon/rpcapi"
)

// TestHoistCommonFlags: --socket, --timeout and --json may come before the
// command; they move to where the command's parser reads them.
func TestHoistCommonFlags(t *testing.T) {
	for _, tc := range []struct {
		args, want []string
	}{
		{[]string{"status"}, []string{"status"}},
		{[]string{"--socket", "/s", "status"}, []string{"status", "--socket", "/s"}},
		{[]string{"--socket=/s", "--json", "-timeout", "1m", "exec", "a.js", "--param", "k=v"},
			[]string{"exec", "a.js", "--param", "k=v", "--socket=/s", "--json", "-timeout", "1m"}},
		{[]string{"--json", "wallet", "list"}, []string{"wallet", "list", "--json"}},
		{[]string{"--json", "exec", "--", "-odd.js"}, []string{"exec", "--json", "--", "-odd.js"}},
		{[]string{"--device", "x", "wallet"}, nil}, // not a common flag
		{[]string{"--socket"}, nil},
		{[]string{"--json"}, nil}, // no command
	} {
		if got := hoistCommonFlags(tc.args); !slices.Equal(got, tc.want) {
			t.Errorf("hoistCommonFlags(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}

// TestTopLevelExitCodes: help and --version are not errors; a flag that
// is not a common one before the command is a usage error.
func TestTopLevelExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"--version"}, rpcapi.ExitOK},
		{[]string{"version"}, rpcapi.ExitOK},
		{[]string{"--help"}, rpcapi.ExitOK},
		{[]string{"--device", "x", "wallet", "list"}, rpcapi.ExitUsage},
		{[]string{"--json"}, rpcapi.ExitUsage},
		{[]string{"--timeout", "0", "status"}, rpcapi.ExitUsage},
	} {
		if got := run(tc.args); got != tc.want {
			t.Errorf("litsigner %q: exit %d, want %d", tc.args, got, tc.want)
		}
	}
}
