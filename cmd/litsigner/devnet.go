package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/lit/devnet"
)

// devnetChildCommand is the hidden first argument that makes litsigner the
// devnet's child process (devnet.RunChild).
const devnetChildCommand = "__devnet-child"

// runDevnet runs a local Lit-compatible network in the foreground until
// SIGINT or SIGTERM (see devnet.RunProcessCommand): the nodes run in a child
// process of this binary under a memory cap, restarted if an action kills
// it.
func runDevnet(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "litsigner devnet:", err)
		return rpcapi.ExitFailure
	}
	err = devnet.RunProcessCommand(ctx, args, []string{exe, devnetChildCommand}, os.Stdout, os.Stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return rpcapi.ExitOK
	case errors.Is(err, devnet.ErrBadConfig):
		fmt.Fprintln(os.Stderr, "litsigner:", err) // err says "devnet: bad configuration: ..."
		return rpcapi.ExitUsage
	default:
		fmt.Fprintln(os.Stderr, "litsigner:", err)
		return rpcapi.ExitFailure
	}
}

// runDevnetChild is litsigner as the devnet's child process.
func runDevnetChild() int {
	if err := devnet.RunChild(context.Background(), os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "litsigner:", err) // err says "devnet child: ..."
		return rpcapi.ExitFailure
	}
	return rpcapi.ExitOK
}
