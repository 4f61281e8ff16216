package main

import (
	"testing"

	"github.com/litsigner/litsigner/hwwallet/walletcli"
)

// TestWalletExitCodesMatch keeps walletcli's exit codes equal to the ones
// documented for the whole command.
func TestWalletExitCodesMatch(t *testing.T) {
	for _, tc := range []struct{ got, want int }{
		{walletcli.ExitOK, exitOK},
		{walletcli.ExitFailure, exitFailure},
		{walletcli.ExitUsage, exitUsage},
		{walletcli.ExitDevice, exitDevice},
	} {
		if tc.got != tc.want {
			t.Errorf("walletcli exit code %d, cmd/litsigner %d", tc.got, tc.want)
		}
	}
}
