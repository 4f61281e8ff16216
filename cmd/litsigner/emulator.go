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
	"github.com/litsigner/litsigner/hwwallet/emulator/serve"
)

// runEmulator runs one emulated device on the vendor's emulator transport
// in the foreground until SIGINT or SIGTERM (see serve.Run).
func runEmulator(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := serve.Run(ctx, args, serve.Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return rpcapi.ExitOK
	case errors.Is(err, serve.ErrUsage):
		fmt.Fprintln(os.Stderr, "litsigner emulator:", err)
		return rpcapi.ExitUsage
	default:
		fmt.Fprintln(os.Stderr, "litsigner emulator:", err)
		return rpcapi.ExitFailure
	}
}
