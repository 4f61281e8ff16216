package main

import (
	"context"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/litsigner/litsigner/hwwallet/walletcli"
)

// runWallet runs 'litsigner wallet list|accounts|sign-message|pair|forget|unlock'.
// The logic lives in hwwallet/walletcli; "unlock" and "pair CODE" (a
// code for the daemon's pending pairing) talk to the daemon (see client.go).
func runWallet(args []string) int {
	if len(args) > 0 && args[0] == "unlock" {
		return runDaemonCommand("wallet-unlock", args[1:])
	}
	if len(args) > 0 && args[0] == "pair" && hasPositional(args[1:]) {
		return runDaemonCommand("wallet-pair", args[1:])
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return walletcli.Run(ctx, args, walletcli.Env{
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Getenv: os.Getenv,
	})
}

// hasPositional reports whether args has an argument that is neither a
// flag nor the value of a flag of wallet pair (--device D, ...).
func hasPositional(args []string) bool {
	for i := 0; i < len(args); i++ {
		switch a := strings.TrimLeft(args[i], "-"); {
		case a == "device" || a == "mnemonic" || a == "timeout":
			i++ // its value follows
		case !strings.HasPrefix(args[i], "-"):
			return true
		}
	}
	return false
}
