package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/litsigner/litsigner/daemon"
	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/ipc"
	"github.com/litsigner/litsigner/lit"
)

func TestParseParams(t *testing.T) {
	tests := []struct {
		json   string
		params []string
		want   map[string]any
		err    bool
	}{
		{"", []string{"toSign=0x48656c6c6f", "sigName=sig1"}, map[string]any{"toSign": []int{72, 101, 108, 108, 111}, "sigName": "sig1"}, false},
		{"", []string{"n=42", "f=-1.5", "b=true", "s=hello world", "e=", "inf=inf", "k=a=b"},
			map[string]any{"n": json.Number("42"), "f": json.Number("-1.5"), "b": true, "s": "hello world", "e": "", "inf": "inf", "k": "a=b"}, false},
		{`{"a": 1, "o": {"x": [1]}}`, []string{"a=2"}, map[string]any{"a": json.Number("2"), "o": map[string]any{"x": []any{json.Number("1")}}}, false},
		{"", []string{"0x=1"}, map[string]any{"0x": json.Number("1")}, false},
		{"", []string{"noequals"}, nil, true},
		{"", []string{"=v"}, nil, true},
		{"", []string{"h=0xzz"}, nil, true},
		{"[1]", nil, nil, true},
		{"null", nil, nil, true},
		{`{"a":1} {}`, nil, nil, true},
		// JSON's number grammar only: the rest stays a string.
		{"", []string{"p=+5", "d=.5", "z=007", "e=1e3"}, map[string]any{"p": "+5", "d": ".5", "z": "007", "e": json.Number("1e3")}, false},
		// 2^53 is the largest integer a JavaScript number holds exactly.
		{"", []string{"n=9007199254740992", "m=-9007199254740992"}, map[string]any{"n": json.Number("9007199254740992"), "m": json.Number("-9007199254740992")}, false},
		{"", []string{"big=12345678901234567890"}, nil, true},
		{"", []string{"big=-9007199254740993"}, nil, true},
		{`{"big": "12345678901234567890"}`, nil, map[string]any{"big": "12345678901234567890"}, false},
		{`{"o": {"a": [1, 12345678901234567890]}}`, nil, nil, true},
	}
	for _, tt := range tests {
		got, err := ParseParams(tt.json, tt.params)
		if tt.err {
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Errorf("%q %v: err %v, want a usage error", tt.json, tt.params, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q %v: got %#v, %v; want %#v", tt.json, tt.params, got, err, tt.want)
		}
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, rpcapi.ExitOK},
		{&UsageError{Msg: "x"}, rpcapi.ExitUsage},
		{&ipc.UnreachableError{Reason: "gone"}, rpcapi.ExitDaemon},
		{fmt.Errorf("ipc: dial: %w", ipc.ErrForeignDaemon), rpcapi.ExitDaemon},
		{fmt.Errorf("exec: %w", &ipc.Error{Code: rpcapi.CodeUserRejected}), rpcapi.ExitDevice},
		{&ipc.Error{Code: rpcapi.CodeApprovalTimeout}, rpcapi.ExitDevice},
		{&ipc.Error{Code: rpcapi.CodeNoDevice}, rpcapi.ExitDevice},
		{&ipc.Error{Code: rpcapi.CodePINNeeded}, rpcapi.ExitDevice},
		{&ipc.Error{Code: rpcapi.CodeBelowThreshold}, rpcapi.ExitNetwork},
		{&ipc.Error{Code: rpcapi.CodeBadShares}, rpcapi.ExitNetwork},
		{&ipc.Error{Code: rpcapi.CodeNetworkTimeout}, rpcapi.ExitNetwork},
		{&ipc.Error{Code: rpcapi.CodePaymentRefused}, rpcapi.ExitNetwork},
		{&ipc.Error{Code: rpcapi.CodeChainError}, rpcapi.ExitNetwork},
		{&ipc.Error{Code: rpcapi.CodeActionError}, rpcapi.ExitAction},
		{&ipc.Error{Code: rpcapi.CodeInvalidParams}, rpcapi.ExitUsage},
		{&ipc.Error{Code: rpcapi.CodeShuttingDown}, rpcapi.ExitDaemon},
		{&ipc.Error{Code: ipc.CodeConnectionRefused}, rpcapi.ExitDaemon},
		{&ipc.Error{Code: rpcapi.CodeSessionEnded}, rpcapi.ExitFailure},
		{&ipc.Error{Code: rpcapi.CodeInternal}, rpcapi.ExitFailure},
		{context.DeadlineExceeded, rpcapi.ExitFailure},
		{errors.New("x"), rpcapi.ExitFailure},
	}
	for _, tt := range tests {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
	// Every documented daemon code has a deliberate exit code.
	for _, c := range rpcapi.ErrorCodes {
		got := exitForCode(c.Code)
		if c.Code >= 4001 && c.Code < 4100 && got != rpcapi.ExitDevice {
			t.Errorf("%s (%d) -> %d", c.Kind, c.Code, got)
		}
	}
}

// startDevDaemon runs an in-process litsignerd --dev for CLI tests.
func startDevDaemon(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "lsc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cfg := daemon.DefaultConfig()
	cfg.Dev, cfg.DevPort = true, 0
	off := false
	cfg.Notifications = &off
	cfg.Socket = filepath.Join(dir, "rpc.sock")
	ctx, cancel := context.WithCancel(context.Background())
	d, err := daemon.New(ctx, cfg, daemon.Options{Log: slog.New(slog.DiscardHandler), SkipHardening: true, DevNodes: 3})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("daemon did not stop")
		}
	})
	return cfg.Socket
}

func runCLI(t *testing.T, sock string, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), args[0], append([]string{"--socket", sock}, args[1:]...),
		IO{In: strings.NewReader(stdin), Out: &out, Err: &errb})
	return out.String(), errb.String(), code
}

func TestCommandsAgainstDaemon(t *testing.T) {
	sock := startDevDaemon(t)
	seed, err := filepath.Abs("../testdata/sign-hello.js")
	if err != nil {
		t.Fatal(err)
	}

	out, _, code := runCLI(t, sock, "", "status")
	if code != 0 || !strings.Contains(out, "session:  none") || !strings.Contains(out, "pkp 0:") {
		t.Fatalf("status: %d %q", code, out)
	}

	// No publicKey: the CLI fills in the devnet PKP and says so.
	out, errOut, code := runCLI(t, sock, "", "exec", seed, "--param", "toSign=0x48656c6c6f20576f726c64", "--param", "sigName=sig1")
	if code != 0 || !strings.Contains(out, "signature sig1:") || !strings.Contains(errOut, "using the devnet's PKP") {
		t.Fatalf("exec: %d %q %q", code, out, errOut)
	}

	// The action from stdin, --json output.
	code0, _ := os.ReadFile(seed)
	out, _, code = runCLI(t, sock, string(code0), "exec", "-", "--params-json", `{"toSign":[1,2,3],"sigName":"s2"}`, "--json")
	var res lit.ExecuteJSResult
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.Signatures["s2"].Signature == "" {
		t.Fatalf("exec --json: %d %q", code, out)
	}

	out, _, code = runCLI(t, sock, "", "session", "start", "--json")
	var st rpcapi.SessionStatus
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.State != "active" || st.Approvals != 1 {
		t.Fatalf("session start: %d %q", code, out)
	}
	if out, _, code = runCLI(t, sock, "", "session", "revoke"); code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("session revoke: %d %q", code, out)
	}
	if out, _, code = runCLI(t, sock, "", "session", "start", "--ttl", "2h"); code != 0 || !strings.Contains(out, "active") {
		t.Fatalf("session start --ttl: %d %q", code, out)
	}

	// Errors and their exit codes.
	tests := []struct {
		args []string
		code int
	}{
		{[]string{"exec"}, rpcapi.ExitUsage},
		{[]string{"exec", seed, "--ipfs", "QmX"}, rpcapi.ExitUsage},
		{[]string{"exec", seed, "--param", "bad"}, rpcapi.ExitUsage},
		{[]string{"exec", "/nonexistent.js"}, rpcapi.ExitFailure},
		{[]string{"exec", seed, "--param", "toSign=0x01", "--param", "sigName=s", "--param", "publicKey=04ab"}, rpcapi.ExitAction},
		{[]string{"session"}, rpcapi.ExitUsage},
		{[]string{"session", "pause"}, rpcapi.ExitUsage},
		{[]string{"session", "start", "--ttl", "1s"}, rpcapi.ExitUsage},
		{[]string{"status", "extra"}, rpcapi.ExitUsage},
		{[]string{"wallet-unlock", "1234"}, rpcapi.ExitDevice}, // no PIN request pending
		{[]string{"wallet-unlock", "12x"}, rpcapi.ExitUsage},
		{[]string{"wallet-pair", "123456"}, rpcapi.ExitDevice}, // no pairing pending
		{[]string{"wallet-pair", "12345"}, rpcapi.ExitUsage},
		{[]string{"wallet-pair"}, rpcapi.ExitUsage},
	}
	for _, tt := range tests {
		if _, errOut, code := runCLI(t, sock, "", tt.args...); code != tt.code {
			t.Errorf("%v: exit %d, want %d (%s)", tt.args, code, tt.code, errOut)
		}
	}

	// Bad command lines say what is wrong, first, and exit 2.
	dir := t.TempDir()
	empty, big := filepath.Join(dir, "e.js"), filepath.Join(dir, "big.js")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, bytes.Repeat([]byte("//"), lit.DefaultMaxCodeSize/2+1), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"status", "--timeout", "0"}, "litsigner: --timeout 0s: must be positive"},
		{"", []string{"status", "--timeout=-1s"}, "litsigner: --timeout -1s: must be positive"},
		{"", []string{"status", "--socket", ""}, `litsigner: invalid value "" for flag -socket: empty path`},
		{"", []string{"exec", empty}, "litsigner: exec: action file " + empty + " is empty\n"},
		{"", []string{"exec", "-"}, "litsigner: exec: the action on stdin is empty\n"},
		{"", []string{"exec", big}, "litsigner: exec: action file " + big + " is larger than 1048576 bytes (1 MiB), the limit on an action's code\n"},
		{"", []string{"exec", empty, "--param", "big=12345678901234567890"}, "litsigner: exec: action file"},
		{"1", []string{"exec", "-", "--param", "big=12345678901234567890"}, "litsigner: --param big: 12345678901234567890 is an integer beyond 2^53"},
	} {
		_, errOut, code := runCLI(t, sock, tt.stdin, tt.args...)
		if code != rpcapi.ExitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit 2, %q", tt.args, code, errOut, tt.want)
		}
	}
	if _, _, code := runCLI(t, filepath.Join(t.TempDir(), "none.sock"), "", "status"); code != rpcapi.ExitDaemon {
		t.Errorf("no daemon: exit %d", code)
	}
	var help bytes.Buffer
	if code := Run(context.Background(), "exec", []string{"-h"}, IO{In: strings.NewReader(""), Out: io.Discard, Err: &help}); code != 0 || !strings.Contains(help.String(), "--param") {
		t.Errorf("exec -h: %d %q", code, help.String())
	}
}

// TestAbandoned: a call given up by --timeout or Ctrl-C says so; the
// daemon's own answer is kept.
func TestAbandoned(t *testing.T) {
	live := context.Background()
	cancelled, cancel := context.WithCancel(live)
	cancel()
	expired, cancel2 := context.WithTimeout(live, time.Nanosecond)
	defer cancel2()
	<-expired.Done()
	daemonErr := &ipc.Error{Code: rpcapi.CodeNetworkTimeout, Message: "network timeout"}
	for _, tt := range []struct {
		name            string
		parent, callCtx context.Context
		err             error
		want            string
		code            int
	}{
		{"timeout", live, expired, fmt.Errorf("exec: ipc: call lit_executeJs: %w", context.DeadlineExceeded), "gave up after 1s (--timeout)", rpcapi.ExitFailure},
		{"timeout while connecting", live, expired, &ipc.UnreachableError{Reason: "cannot connect: i/o timeout"}, "gave up after 1s (--timeout)", rpcapi.ExitFailure},
		{"interrupted", cancelled, cancelled, fmt.Errorf("exec: %w", context.Canceled), "interrupted", rpcapi.ExitFailure},
		{"the daemon's answer", live, expired, fmt.Errorf("exec: %w", daemonErr), "exec: network timeout", rpcapi.ExitNetwork},
		{"not abandoned", live, live, errors.New("x"), "x", rpcapi.ExitFailure},
	} {
		err := abandoned(tt.parent, tt.callCtx, time.Second, tt.err)
		if err.Error() != tt.want || ExitCode(err) != tt.code {
			t.Errorf("%s: %q (exit %d), want %q (exit %d)", tt.name, err, ExitCode(err), tt.want, tt.code)
		}
	}
}
