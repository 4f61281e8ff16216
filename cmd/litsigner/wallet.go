package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/litsigner/litsigner/hwwallet/walletcli"
)

// runWallet runs 'litsigner wallet list|accounts|sign-message|unlock'. The
// logic lives in hwwallet/walletcli; "unlock" talks to the daemon (see
// client.go).
func runWallet(args []string) int {
	if len(args) > 0 && args[0] == "unlock" {
		return runDaemonCommand("wallet-unlock", args[1:])
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
