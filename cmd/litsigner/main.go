// Command litsigner is the command-line client of litsignerd: it runs Lit
// Actions through the daemon, manages the session, talks to hardware wallets
// directly, and runs a local devnet.
package main

import (
	"fmt"
	"io"
	"os"
	"slices"
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
	fmt.Fprintln(w, "\ncommon flags of the commands that talk to litsignerd (status, session, exec,")
	fmt.Fprintln(w, "wallet unlock, wallet pair CODE), before or after the command:")
	fmt.Fprintln(w, "  --socket PATH  litsignerd's socket (default $"+cli.SocketEnv+", else")
	fmt.Fprintln(w, "                 $XDG_RUNTIME_DIR/litsigner/litsigner.sock)")
	fmt.Fprintf(w, "  --timeout D    give up after D (default %s)\n", cli.DefaultTimeout)
	fmt.Fprintln(w, "  --json         print JSON (for scripts)")
	fmt.Fprintln(w, "\nRun 'litsigner <command> -h' for a command's flags.")
}

// commonFlags are the flags of the daemon commands (daemon/cli) that may
// also come before the command; their value, if any, is the next argument
// unless given as --flag=value.
var commonFlags = map[string]bool{"socket": true, "timeout": true, "json": false}

// hoistCommonFlags moves common flags given before the command ("litsigner
// --socket S status") to after it, where the command's own parser reads
// them: at the end, or before a "--" that ends the flags. It returns nil
// when args start with a flag that is not a common flag.
func hoistCommonFlags(args []string) []string {
	var lead []string
	i := 0
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "-" && args[i] != "--" {
		name, _, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		takesValue, ok := commonFlags[name]
		if !ok {
			return nil
		}
		if takesValue && !hasValue {
			if i+1 >= len(args) {
				return nil
			}
			lead = append(lead, args[i], args[i+1])
			i += 2
			continue
		}
		lead = append(lead, args[i])
		i++
	}
	rest := slices.Clone(args[i:])
	if len(lead) == 0 {
		return rest
	}
	if len(rest) == 0 {
		return nil
	}
	at := len(rest)
	if j := slices.Index(rest, "--"); j >= 0 {
		at = j
	}
	return slices.Insert(rest, at, lead...)
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
		hoisted := hoistCommonFlags(args)
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
