package main

import "testing"

// TestEmulatorUsageExitCode: a bad 'litsigner emulator' command line is a
// usage error (exit 2), help is not an error.
func TestEmulatorUsageExitCode(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"emulator"}, exitUsage},
		{[]string{"emulator", "nano"}, exitUsage},
		{[]string{"emulator", "ledger", "--host", "0.0.0.0"}, exitUsage},
		{[]string{"emulator", "--help"}, exitOK},
	} {
		if got := run(tc.args); got != tc.want {
			t.Errorf("litsigner %q: exit %d, want %d", tc.args, got, tc.want)
		}
	}
}
