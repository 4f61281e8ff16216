package main

import (
	"testing"

	"github.com/litsigner/litsigner/daemon/rpcapi"
)

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
