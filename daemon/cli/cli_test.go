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
	if _, _, code := runCLI(t, filepath.Join(t.TempDir(), "none.sock"), "", "status"); code != rpcapi.ExitDaemon {
		t.Errorf("no daemon: exit %d", code)
	}
	var help bytes.Buffer
	if code := Run(context.Background(), "exec", []string{"-h"}, IO{In: strings.NewReader(""), Out: io.Discard, Err: &help}); code != 0 || !strings.Contains(help.String(), "--param") {
		t.Errorf("exec -h: %d %q", code, help.String())
	}
}
