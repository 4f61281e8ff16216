package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/litsigner/litsigner/daemon/cli"
)

// runDaemonCommand runs one of the commands that talk to litsignerd; the
// logic is in daemon/cli. Ctrl-C or SIGTERM abandons the call, and the
// daemon then cancels its node requests.
func runDaemonCommand(name string, args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cli.Run(ctx, name, args, cli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
}

// runStatus runs 'litsigner status'.
func runStatus(args []string) int { return runDaemonCommand("status", args) }

// runSession runs 'litsigner session start|revoke'.
func runSession(args []string) int { return runDaemonCommand("session", args) }

// runExec runs 'litsigner exec'.
func runExec(args []string) int { return runDaemonCommand("exec", args) }
