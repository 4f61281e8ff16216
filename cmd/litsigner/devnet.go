package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/litsigner/litsigner/lit/devnet"
)

// runDevnet runs a local Lit-compatible network in the foreground until
// SIGINT or SIGTERM (see devnet.RunCommand).
func runDevnet(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := devnet.RunCommand(ctx, args, os.Stdout, os.Stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, devnet.ErrBadConfig):
		fmt.Fprintln(os.Stderr, "litsigner devnet:", err)
		return exitUsage
	default:
		fmt.Fprintln(os.Stderr, "litsigner devnet:", err)
		return exitFailure
	}
}
