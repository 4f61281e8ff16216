package ipc

import (
	"bufio"
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

// shortDir returns a fresh 0700 directory with a short path (Unix socket
// paths must stay under 108 bytes; t.TempDir can be longer).
func shortDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "ipct")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// testService is a real receiver registered under "test".
type testService struct {
	started chan struct{} // receives when Block or Gate starts
	ended   chan error    // receives Block's or a cancelled Gate's context cause
	gate    chan struct{} // closed by a test to let Gate calls return
}

func newTestService() *testService {
	return &testService{started: make(chan struct{}, 16), ended: make(chan error, 16), gate: make(chan struct{})}
}

// Echo returns its argument.
func (s *testService) Echo(v string) string { return v }

// Add adds two ints (for wrong-type tests).
func (s *testService) Add(a, b int) int { return a + b }

// Fail returns an *Error with data.
func (s *testService) Fail(code int, msg string) error {
	return &Error{Code: code, Message: msg, Data: map[string]any{"why": msg}}
}

// Peer returns the caller as PeerFromContext sees it.
func (s *testService) Peer(ctx context.Context) (*Peer, error) {
	p, ok := PeerFromContext(ctx)
	if !ok {
		return nil, errors.New("no peer in context")
	}
	return &p, nil
}

// Block waits until its CallContext is cancelled (or 30 s).
func (s *testService) Block(ctx context.Context) error {
	ctx, release := CallContext(ctx)
	defer release()
	s.started <- struct{}{}
	select {
	case <-ctx.Done():
		s.ended <- context.Cause(ctx)
		return context.Cause(ctx)
	case <-time.After(30 * time.Second):
		s.ended <- errors.New("not cancelled")
		return errors.New("not cancelled")
	}
}

// Released takes a CallContext and releases it at once; it reports the
// released context's cause and whether the handler's own ctx is still live.
func (s *testService) Released(ctx context.Context) (map[string]any, error) {
	callCtx, release := CallContext(ctx)
	if callCtx == ctx {
		return nil, errors.New("CallContext returned the handler's own ctx on a connection")
	}
	release()
	release() // a second release is harmless
	return map[string]any{"cause": fmt.Sprint(context.Cause(callCtx)), "handlerCtxLive": ctx.Err() == nil}, nil
}

// Gate waits until the test closes s.gate (then returns "open"), or until
// its CallContext is cancelled.
func (s *testService) Gate(ctx context.Context) (string, error) {
	ctx, release := CallContext(ctx)
	defer release()
	s.started <- struct{}{}
	select {
	case <-s.gate:
		return "open", nil
	case <-ctx.Done():
		s.ended <- context.Cause(ctx)
		return "", context.Cause(ctx)
	}
}

// SessionStatus mimics the daemon's lit_sessionStatus for the ethers check.
func (s *testService) SessionStatus() map[string]any {
	return map[string]any{"state": "none", "approvals": 0}
}

// ExecuteJs mimics lit_executeJs: it echoes jsParams as the response, or
// fails with code 4000 when params.fail is true.
func (s *testService) ExecuteJs(params map[string]any) (map[string]any, error) {
	if fail, _ := params["fail"].(bool); fail {
		return nil, &Error{Code: 4000, Message: "action failed", Data: map[string]any{"node": 1}}
	}
	return map[string]any{"response": params["jsParams"]}, nil
}

type testServer struct {
	srv  *Server
	svc  *testService
	path string
	done chan error
}

// startServer serves a Server with the test receiver under "test" and "lit"
// on a fresh socket made by Listen, and shuts it down at cleanup.
func startServer(t testing.TB, opts ServerOptions) *testServer {
	t.Helper()
	path := filepath.Join(shortDir(t), "s", "litsigner.sock")
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	return serveOn(t, l, path, opts)
}

func serveOn(t testing.TB, l net.Listener, path string, opts ServerOptions) *testServer {
	t.Helper()
	ts := &testServer{srv: NewServer(opts), svc: newTestService(), path: path, done: make(chan error, 1)}
	for _, ns := range []string{"test", "lit"} {
		if err := ts.srv.RegisterName(ns, ts.svc); err != nil {
			t.Fatal(err)
		}
	}
	go func() { ts.done <- ts.srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := ts.srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-ts.done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return ts
}

// rawConn is a test client speaking raw bytes.
type rawConn struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

func dialRaw(t testing.TB, path string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, conn: c, r: bufio.NewReaderSize(c, 1<<16)}
}

func (c *rawConn) send(s string) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.conn.Write([]byte(s)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// line reads one response line (5 s bound).
func (c *rawConn) line() string {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	s, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read line: %v (got %q)", err, s)
	}
	return strings.TrimSuffix(s, "\n")
}

// closedByServer reports whether the server closed the connection (EOF
// within 5 s, with no further data).
func (c *rawConn) closedByServer() bool {
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.r.ReadByte()
	return err != nil && !errors.Is(err, os.ErrDeadlineExceeded)
}
