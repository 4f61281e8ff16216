// Package cli implements litsigner's daemon commands (status, session,
// exec, wallet unlock): flag parsing, the JSON-RPC calls to litsignerd and
// the human or --json output. cmd/litsigner only dispatches to Run.
package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/ipc"
	"github.com/litsigner/litsigner/lit"
)

// SocketEnv names the environment variable that overrides the default
// socket path.
const SocketEnv = "LITSIGNER_SOCKET"

// DefaultTimeout bounds one command; it covers a device approval (2 min by
// default) plus the network call.
const DefaultTimeout = 3 * time.Minute

// Caller is a JSON-RPC connection to the daemon; *ipc.Client satisfies it.
type Caller interface {
	Call(ctx context.Context, result any, method string, args ...any) error
}

// IO are a command's standard streams.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
}

// common are the flags every daemon command takes.
type common struct {
	socket  string
	timeout time.Duration
	json    bool
}

func newFlagSet(name, usage string, std IO, c *common) *flag.FlagSet {
	fs := flag.NewFlagSet("litsigner "+name, flag.ContinueOnError)
	fs.SetOutput(std.Err)
	fs.Usage = func() {
		fmt.Fprintf(std.Err, "usage: litsigner %s\n\nflags:\n", usage)
		fs.PrintDefaults()
	}
	c.socket = os.Getenv(SocketEnv)
	fs.Func("socket", "litsignerd socket `path` (default $"+SocketEnv+" or $XDG_RUNTIME_DIR/litsigner/litsigner.sock)", func(s string) error {
		if s == "" {
			return errors.New("empty path (leave --socket out for the default)")
		}
		c.socket = s
		return nil
	})
	fs.DurationVar(&c.timeout, "timeout", DefaultTimeout, "give up after this long (includes waiting for approval on the device); must be positive")
	fs.BoolVar(&c.json, "json", false, "print the JSON result (for scripts)")
	return fs
}

// Run runs one daemon command (status, session, exec, wallet-unlock,
// wallet-pair) and returns the process exit code. Errors are printed to std.Err.
// Cancelling ctx (Ctrl-C) abandons the call; the daemon then cancels its
// node requests.
func Run(ctx context.Context, command string, args []string, std IO) int {
	err := run(ctx, command, args, std)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		printError(std.Err, err)
	}
	if errors.Is(err, flag.ErrHelp) {
		return rpcapi.ExitOK
	}
	return ExitCode(err)
}

func run(ctx context.Context, command string, args []string, std IO) error {
	var c common
	switch command {
	case "status":
		fs := newFlagSet("status", "status [--json]", std, &c)
		if err := parse(fs, args, 0); err != nil {
			return err
		}
		return withClient(ctx, c, func(ctx context.Context, cl Caller) error { return Status(ctx, cl, std.Out, c.json) })
	case "session":
		fs := newFlagSet("session", "session start [--ttl 1h] | session revoke", std, &c)
		ttl := fs.String("ttl", "", "session lifetime for start, e.g. 1h (default: the daemon's)")
		if err := parse(fs, args, 1); err != nil {
			return err
		}
		sub := fs.Arg(0)
		if sub == "" {
			fs.Usage()
			return &UsageError{Msg: "session: want start or revoke"}
		}
		switch sub {
		case "start":
			return withClient(ctx, c, func(ctx context.Context, cl Caller) error { return SessionStart(ctx, cl, *ttl, std.Out, c.json) })
		case "revoke":
			return withClient(ctx, c, func(ctx context.Context, cl Caller) error { return SessionRevoke(ctx, cl, std.Out, c.json) })
		}
		return &UsageError{Msg: fmt.Sprintf("session: unknown subcommand %q (want start or revoke)", sub)}
	case "exec":
		fs := newFlagSet("exec", "exec FILE | --ipfs CID [--param k=v]... [--params-json JSON]", std, &c)
		ipfs := fs.String("ipfs", "", "run the action with this IPFS CID instead of a file")
		paramsJSON := fs.String("params-json", "", "jsParams as a JSON object")
		var params multiFlag
		fs.Var(&params, "param", "jsParam k=v (repeatable): numbers, 0x-hex byte arrays, true/false, else strings")
		if err := fs.Parse(reorder(args)); err != nil {
			return usageErr(err)
		}
		req, err := execRequest(fs.Args(), *ipfs, *paramsJSON, params, std.In)
		if err != nil {
			return err
		}
		return withClient(ctx, c, func(ctx context.Context, cl Caller) error { return Exec(ctx, cl, req, std.Out, std.Err, c.json) })
	case "wallet-pair":
		fs := newFlagSet("wallet pair", "wallet pair CODE", std, &c)
		if err := fs.Parse(reorder(args)); err != nil {
			return usageErr(err)
		}
		if fs.NArg() != 1 {
			return &UsageError{Msg: "wallet pair: give the 6-digit code the Trezor shows"}
		}
		return withClient(ctx, c, func(ctx context.Context, cl Caller) error { return WalletPair(ctx, cl, fs.Arg(0), std.Out) })
	case "wallet-unlock":
		fs := newFlagSet("wallet unlock", "wallet unlock [POSITIONS]", std, &c)
		if err := fs.Parse(reorder(args)); err != nil {
			return usageErr(err)
		}
		if fs.NArg() > 1 {
			return &UsageError{Msg: "wallet unlock: at most one argument (the positions)"}
		}
		positions := fs.Arg(0)
		return withClient(ctx, c, func(ctx context.Context, cl Caller) error {
			if positions == "" {
				var err error
				if positions, err = promptPositions(std); err != nil {
					return err
				}
			}
			return WalletUnlock(ctx, cl, positions, std.Out)
		})
	}
	return &UsageError{Msg: fmt.Sprintf("unknown command %q", command)}
}

// parse parses flags (anywhere on the line) and allows at most maxArgs
// positional arguments.
func parse(fs *flag.FlagSet, args []string, maxArgs int) error {
	if err := fs.Parse(reorder(args)); err != nil {
		return usageErr(err)
	}
	if fs.NArg() > maxArgs {
		return &UsageError{Msg: fmt.Sprintf("unexpected argument %q", fs.Arg(maxArgs))}
	}
	return nil
}

func usageErr(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return &UsageError{Msg: err.Error()}
}

// reorder moves flags before positional arguments so that
// "exec FILE --param k=v" works as well as "exec --param k=v FILE".
func reorder(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if strings.HasPrefix(a, "-") && a != "-" {
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && !isBoolFlag(name) && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(flags, pos...)
}

func isBoolFlag(name string) bool { return name == "json" || name == "h" || name == "help" }

type multiFlag []string

// String joins the values (flag.Value).
func (m *multiFlag) String() string { return strings.Join(*m, ",") }

// Set appends one value (flag.Value).
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// withClient dials the daemon and runs f under the --timeout.
func withClient(ctx context.Context, c common, f func(ctx context.Context, cl Caller) error) error {
	if c.timeout <= 0 {
		return &UsageError{Msg: fmt.Sprintf("--timeout %s: must be positive (e.g. 30s)", c.timeout)}
	}
	callCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	cl, err := ipc.Dial(callCtx, c.socket)
	if err == nil {
		defer cl.Close()
		err = f(callCtx, cl)
	}
	return abandoned(ctx, callCtx, c.timeout, err)
}

// AbandonedError is a call given up because --timeout expired or the user
// interrupted it (Ctrl-C). It unwraps to the context's error.
type AbandonedError struct {
	Msg string
	Err error
}

// Error returns the sentence for the user.
func (e *AbandonedError) Error() string { return e.Msg }

// Unwrap returns the context's error.
func (e *AbandonedError) Unwrap() error { return e.Err }

// abandoned replaces the context error of a call that ended because
// callCtx expired (--timeout) or parent was cancelled (Ctrl-C) with a
// sentence saying so. An answer of the daemon (*ipc.Error, such as a
// network timeout) is kept: it says more than our own deadline.
func abandoned(parent, callCtx context.Context, timeout time.Duration, err error) error {
	var ie *ipc.Error
	if err == nil || errors.As(err, &ie) {
		return err
	}
	switch {
	case parent.Err() != nil:
		return &AbandonedError{Msg: "interrupted", Err: parent.Err()}
	case callCtx.Err() != nil:
		return &AbandonedError{Msg: fmt.Sprintf("gave up after %s (--timeout)", timeout), Err: callCtx.Err()}
	}
	return err
}

func execRequest(args []string, ipfs, paramsJSON string, params []string, stdin io.Reader) (rpcapi.ExecuteJsParams, error) {
	var req rpcapi.ExecuteJsParams
	switch {
	case ipfs != "" && len(args) > 0:
		return req, &UsageError{Msg: "exec: give a FILE or --ipfs, not both"}
	case ipfs != "":
		req.IPFSID = ipfs
	case len(args) == 1:
		code, err := readAction(args[0], stdin)
		if err != nil {
			return req, err
		}
		req.Code = string(code)
	case len(args) == 0:
		return req, &UsageError{Msg: "exec: give the action FILE (or - for stdin) or --ipfs CID"}
	default:
		return req, &UsageError{Msg: fmt.Sprintf("exec: unexpected argument %q", args[1])}
	}
	p, err := ParseParams(paramsJSON, params)
	if err != nil {
		return req, err
	}
	req.JSParams = p
	return req, nil
}

// readAction reads an action's code from name ("-" is stdin) and refuses,
// before anything is sent, an empty one or one above the nodes' limit on
// an action's code (lit.DefaultMaxCodeSize).
func readAction(name string, stdin io.Reader) ([]byte, error) {
	what := "action file " + name
	r := stdin
	if name == "-" {
		what = "the action on stdin"
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("exec: read action: %w", err)
		}
		defer f.Close()
		r = f
	}
	code, err := io.ReadAll(io.LimitReader(r, lit.DefaultMaxCodeSize+1))
	if err != nil {
		return nil, fmt.Errorf("exec: read %s: %w", what, err)
	}
	switch {
	case len(code) == 0:
		return nil, &UsageError{Msg: fmt.Sprintf("exec: %s is empty", what)}
	case len(code) > lit.DefaultMaxCodeSize:
		return nil, &UsageError{Msg: fmt.Sprintf("exec: %s is larger than %d bytes (1 MiB), the limit on an action's code", what, lit.DefaultMaxCodeSize)}
	}
	return code, nil
}

func promptPositions(std IO) (string, error) {
	fmt.Fprintln(std.Err, "Enter the PIN positions shown on the Trezor's scrambled keypad, using this layout:")
	fmt.Fprintln(std.Err, "  7 8 9\n  4 5 6\n  1 2 3")
	fmt.Fprint(std.Err, "positions: ")
	line, err := bufio.NewReader(std.In).ReadString('\n')
	if err != nil && line == "" {
		return "", &UsageError{Msg: "wallet unlock: no positions entered"}
	}
	return strings.TrimSpace(line), nil
}

// printError prints err for a human, with the daemon's code and action
// message when present.
func printError(w io.Writer, err error) {
	var ie *ipc.Error
	if errors.As(err, &ie) {
		fmt.Fprintf(w, "litsigner: %s (code %d)\n", ie.Message, ie.Code)
		m, _ := ie.Data.(map[string]any)
		if msg, ok := m["message"].(string); ok && msg != "" && !strings.Contains(ie.Message, msg) {
			fmt.Fprintf(w, "  node message: %s\n", msg)
		}
		// An action error's per-node detail follows its message.
		if nodes, ok := m["nodes"].([]any); ok && len(nodes) > 0 {
			fmt.Fprintf(w, "  reported by %d node(s): %s\n", len(nodes), joinAny(nodes))
		}
		if reasons, ok := m["reasons"].([]any); ok {
			for _, r := range reasons {
				if r, ok := r.(map[string]any); ok {
					fmt.Fprintf(w, "  %v: %v\n", r["node"], r["error"])
				}
			}
		}
		return
	}
	fmt.Fprintf(w, "litsigner: %v\n", err)
}

func joinAny(xs []any) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprint(x)
	}
	return strings.Join(parts, ", ")
}
