package main

import (
	"testing"

	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/hwwallet/walletcli"
)

// TestWalletExitCodesMatch keeps walletcli's exit codes equal to the ones
// documented for the whole command (rpcapi's). walletcli keeps its own four
// because hwwallet never imports daemon, not even daemon/rpcapi; this test is
// what keeps the README's single table true for 'litsigner wallet'.
func TestWalletExitCodesMatch(t *testing.T) {
	for _, tc := range []struct{ got, want int }{
		{walletcli.ExitOK, rpcapi.ExitOK},
		{walletcli.ExitFailure, rpcapi.ExitFailure},
		{walletcli.ExitUsage, rpcapi.ExitUsage},
		{walletcli.ExitDevice, rpcapi.ExitDevice},
	} {
		if tc.got != tc.want {
			t.Errorf("walletcli exit code %d, cmd/litsigner %d", tc.got, tc.want)
		}
	}
}

// TestPairGoesToTheDaemonOnlyWithACode: 'wallet pair CODE' answers the
// daemon; 'wallet pair [--device D]' pairs here.
func TestPairGoesToTheDaemonOnlyWithACode(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{nil, false},
		{[]string{"--device", "trezor-udp:127.0.0.1:21324"}, false},
		{[]string{"--device=emulator:trezor-safe7", "--json"}, false},
		{[]string{"--timeout", "1m", "--mnemonic", "all all"}, false},
		{[]string{"123456"}, true},
		{[]string{"--json", "123456"}, true},
	} {
		if got := hasPositional(tc.args); got != tc.want {
			t.Errorf("hasPositional(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}
