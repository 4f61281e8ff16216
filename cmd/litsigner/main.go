// Command litsigner is the command-line client of litsignerd: it runs Lit
// Actions through the daemon, manages the session, talks to hardware wallets
// directly, and runs a local devnet.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/litsigner/litsigner/daemon/cli"
	"github.com/litsigner/litsigner/daemon/rpcapi"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

type command struct {
	name, summary string
	run           func(args []string) int
}

func commands() []command {
	return []command{
		{"status", "show the session and the network", runStatus},
		{"session", "start or revoke the session (session start|revoke)", runSession},
		{"exec", "run a Lit Action: exec FILE | --ipfs CID [--param k=v]... [--params-json JSON]", runExec},
		{"wallet", "hardware wallets: wallet list|accounts|sign-message|pair|forget|unlock", runWallet},
		{"devnet", "run a local Lit-compatible network in the foreground", runDevnet},
		{"emulator", "run an emulated Ledger (Speculos TCP) or Trezor (UDP): emulator ledger|trezor", runEmulator},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: litsigner <command> [flags]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "  version  print the version (also --version)")
	cli.PrintCommonFlags(w)
	fmt.Fprintln(w, "\nRun 'litsigner <command> -h' for a command's flags.")
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 {
		usage(os.Stderr)
		return rpcapi.ExitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(os.Stdout)
		return rpcapi.ExitOK
	case "--version", "-version", "version":
		fmt.Fprintf(os.Stdout, "litsigner %s\n", version)
		return rpcapi.ExitOK
	case devnetChildCommand:
		return runDevnetChild()
	}
	if strings.HasPrefix(args[0], "-") {
		hoisted := cli.HoistCommonFlags(args)
		if hoisted == nil {
			fmt.Fprintf(os.Stderr, "litsigner: %q before the command: only --socket, --timeout and --json may come before it; a command's other flags go after it\n\n", args[0])
			usage(os.Stderr)
			return rpcapi.ExitUsage
		}
		args = hoisted
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:])
		}
	}
	fmt.Fprintf(os.Stderr, "litsigner: unknown command %q\n\n", args[0])
	usage(os.Stderr)
	return rpcapi.ExitUsage
}
