package ipc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDialUnreachable(t *testing.T) {
	dir := shortDir(t)
	stale := filepath.Join(dir, "stale.sock")
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ul.SetUnlinkOnClose(false)
	ul.Close()
	missing := filepath.Join(dir, "missing.sock")
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		path    string
		env     string
		wantMsg string
	}{
		{"no socket", missing, "/run/user/1000",
			"litsignerd is not running: no socket at " + missing + "; start it with `litsignerd --dev --socket " + missing + "`"},
		{"stale socket", stale, "/run/user/1000", "litsignerd is not running: " + stale + " is a stale socket (nobody is listening); start it with `litsignerd --dev --socket " + stale + "`"},
		{"regular file", file, "/run/user/1000", "cannot connect to litsignerd: " + file + " is not a socket"},
		{"directory", dir, "/run/user/1000", "cannot connect to litsignerd: " + dir + " is not a socket"},
		{"default path", "", dir, fmt.Sprintf("litsignerd is not running: no socket at %s/litsigner/litsigner.sock; start it with `litsignerd --dev` or `systemctl --user start litsignerd.socket`", dir)},
		{"relative runtime dir", "", "relative/dir", "cannot locate litsignerd's socket"},
		{"no runtime dir: the TMPDIR fallback", "", "",
			fmt.Sprintf("litsignerd is not running: no socket at %s/litsigner-%d/litsigner.sock;", dir, os.Geteuid())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("XDG_RUNTIME_DIR", tt.env)
			t.Setenv("TMPDIR", dir)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, err := Dial(ctx, tt.path)
			if err == nil {
				c.Close()
				t.Fatal("Dial succeeded")
			}
			if !errors.Is(err, ErrDaemonUnreachable) {
				t.Errorf("err %v does not match ErrDaemonUnreachable", err)
			}
			if !strings.HasPrefix(err.Error(), tt.wantMsg) {
				t.Errorf("err = %q, want prefix %q", err, tt.wantMsg)
			}
		})
	}
}

func TestClientCalls(t *testing.T) {
	ts := startServer(t, ServerOptions{MaxRequestBytes: 8192})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, ts.path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	tests := []struct {
		name     string
		method   string
		args     []any
		want     string
		wantCode int
		wantMsg  string
		check    func(t *testing.T, e *Error)
	}{
		{name: "result", method: "test_echo", args: []any{"hi"}, want: "hi"},
		{name: "chain id", method: "eth_chainId", want: "0x2ac49"},
		{name: "typed error with data", method: "test_fail", args: []any{4321, "nope"}, wantCode: 4321, wantMsg: "nope",
			check: func(t *testing.T, e *Error) {
				m, ok := e.Data.(map[string]any)
				if !ok || m["why"] != "nope" {
					t.Errorf("data = %#v", e.Data)
				}
			}},
		{name: "unknown method", method: "test_nope", wantCode: CodeMethodNotFound, wantMsg: "test_nope does not exist"},
		{name: "eth method", method: "eth_getBalance", args: []any{"0x00", "latest"}, wantCode: CodeMethodNotFound,
			wantMsg: "litsignerd is not an Ethereum node: eth_getBalance is not supported"},
		{name: "wrong params", method: "test_add", args: []any{"x", 1}, wantCode: -32602, wantMsg: "invalid argument 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			err := c.Call(ctx, &got, tt.method, tt.args...)
			if tt.wantCode == 0 {
				if err != nil || got != tt.want {
					t.Fatalf("got %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %#v, want *Error", err)
			}
			if e.Code != tt.wantCode || !strings.Contains(e.Message, tt.wantMsg) {
				t.Fatalf("err = %d %q, want %d %q", e.Code, e.Message, tt.wantCode, tt.wantMsg)
			}
			if tt.check != nil {
				tt.check(t, e)
			}
		})
	}

	// An oversized request ends the connection; the client reports why.
	err = c.Call(ctx, nil, "test_echo", strings.Repeat("z", 10000))
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeInvalidRequest || !strings.Contains(e.Message, "request too large (limit 8192 bytes)") {
		t.Fatalf("oversized call err = %v", err)
	}
}

func TestClientContextAndShutdown(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, ts.path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	short, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancelShort()
	if err := c.Call(short, nil, "test_block"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("blocked call err = %v, want DeadlineExceeded", err)
	}
	waitFor(t, ts.svc.started, "handler start")

	sctx, scancel := context.WithTimeout(ctx, 5*time.Second)
	defer scancel()
	if err := ts.srv.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	if cause := waitFor(t, ts.svc.ended, "handler end"); !errors.Is(cause, ErrServerClosed) {
		t.Fatalf("handler cause = %v", cause)
	}
	if err := c.Call(ctx, nil, "test_echo", "x"); !errors.Is(err, ErrDaemonUnreachable) {
		t.Fatalf("call after shutdown err = %v, want ErrDaemonUnreachable", err)
	}
}
