package main

import (
	"testing"

	"github.com/litsigner/litsigner/daemon/rpcapi"
)

// TestEmulatorUsageExitCode: a bad 'litsigner emulator' command line is a
// usage error (exit 2), help is not an error.
func TestEmulatorUsageExitCode(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"emulator"}, rpcapi.ExitUsage},
		{[]string{"emulator", "nano"}, rpcapi.ExitUsage},
		{[]string{"emulator", "ledger", "--host", "0.0.0.0"}, rpcapi.ExitUsage},
		{[]string{"emulator", "--help"}, rpcapi.ExitOK},
	} {
		if got := run(tc.args); got != tc.want {
			t.Errorf("litsigner %q: exit %d, want %d", tc.args, got, tc.want)
		}
	}
}
