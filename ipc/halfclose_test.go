package ipc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// logWatch is a slog handler that passes every message to a channel, so a
// test can wait for the server to reach a state it logs.
type logWatch struct{ msgs chan string }

func newLogWatch() *logWatch { return &logWatch{msgs: make(chan string, 256)} }

func (w *logWatch) Enabled(context.Context, slog.Level) bool { return true }
func (w *logWatch) WithAttrs([]slog.Attr) slog.Handler       { return w }
func (w *logWatch) WithGroup(string) slog.Handler            { return w }
func (w *logWatch) Handle(_ context.Context, r slog.Record) error {
	select {
	case w.msgs <- r.Message:
	default:
	}
	return nil
}

// waitLog waits (5 s bound) until the server logs a message containing want.
func (w *logWatch) waitLog(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case m := <-w.msgs:
			if strings.Contains(m, want) {
				return
			}
		case <-deadline:
			t.Fatalf("server never logged %q", want)
		}
	}
}

const logHalfClosed = "peer closed its write side"

// TestHalfCloseGetsEveryReply: a client that writes its requests and shuts
// down its write side (ethers v5, nc -N, socat) gets every reply, including
// that of a call still running when the server read EOF, then EOF. So
// does one whose input turns into malformed JSON (the stream cannot be
// read past it), without shutting down anything.
func TestHalfCloseGetsEveryReply(t *testing.T) {
	tests := []struct {
		name      string
		send      string
		halfClose bool
		log       string            // what the server logs once it stopped reading
		want      map[string]string // id -> result, or "error CODE message-fragment"
	}{
		{"pipelined calls and a batch",
			`{"jsonrpc":"2.0","id":1,"method":"test_echo","params":["a"]}` +
				`{"jsonrpc":"2.0","id":2,"method":"test_gate"}` +
				`[{"jsonrpc":"2.0","id":3,"method":"test_echo","params":["b"]},{"jsonrpc":"2.0","id":4,"method":"eth_chainId"},{"jsonrpc":"2.0","id":5,"method":"eth_getBalance","params":["0x0","latest"]}]` +
				`{"jsonrpc":"2.0","id":6,"method":"test_echo","params":["c"]}`, true, logHalfClosed,
			map[string]string{"1": `"a"`, "2": `"open"`, "3": `"b"`, "4": `"0x2ac49"`, "5": "error -32601 eth_getBalance is not supported", "6": `"c"`}},
		{"request cut short by the end of input",
			`{"jsonrpc":"2.0","id":2,"method":"test_gate"}{"jsonrpc":"2.0","id":7,"meth`, true, logHalfClosed,
			map[string]string{"2": `"open"`, "null": "error -32700 request cut short"}},
		{"garbage line after calls",
			`{"jsonrpc":"2.0","id":1,"method":"test_echo","params":["a"]}` + "\n" +
				`{"jsonrpc":"2.0","id":2,"method":"test_gate"}` + "\ngarbage\n", false, "malformed JSON",
			map[string]string{"1": `"a"`, "2": `"open"`, "null": "error -32700 invalid character 'g'"}},
		{"broken object after a call",
			`{"jsonrpc":"2.0","id":2,"method":"test_gate"}{"jsonrpc":"2.0","id":3,"method":}`, false, "malformed JSON",
			map[string]string{"2": `"open"`, "null": "error -32700 parse error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := newLogWatch()
			ts := startServer(t, ServerOptions{Logger: slog.New(logs)})
			c := dialRaw(t, ts.path)
			c.send(tt.send)
			if tt.halfClose {
				if err := c.conn.(*net.UnixConn).CloseWrite(); err != nil {
					t.Fatal(err)
				}
			}
			// The gate opens only once the server has stopped reading:
			// the call in flight must survive it.
			waitFor(t, ts.svc.started, "gate call")
			logs.waitLog(t, tt.log)
			close(ts.svc.gate)
			checkReplies(t, c, tt.want)
		})
	}
}

// checkReplies reads replies from c until it has one per id of want (id ->
// result, or "error CODE message-fragment"), checks them, and checks that
// the server then closes the connection.
func checkReplies(t *testing.T, c *rawConn, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for len(got) < len(want) {
		line := c.line()
		var rs []rpcResponse
		if strings.HasPrefix(line, "[") {
			if err := json.Unmarshal([]byte(line), &rs); err != nil {
				t.Fatalf("batch reply %q: %v", line, err)
			}
		} else {
			rs = []rpcResponse{decodeResponse(t, line)}
		}
		for _, r := range rs {
			if r.Error != nil {
				got[string(r.ID)] = fmt.Sprintf("error %d %s", r.Error.Code, r.Error.Message)
			} else {
				got[string(r.ID)] = string(r.Result)
			}
		}
	}
	for id, w := range want {
		ok := got[id] == w
		if rest, isErr := strings.CutPrefix(w, "error "); isErr {
			code, frag, _ := strings.Cut(rest, " ")
			ok = strings.HasPrefix(got[id], "error "+code+" ") && strings.Contains(got[id], frag)
		}
		if !ok {
			t.Errorf("reply %s = %q, want %q", id, got[id], w)
		}
	}
	if !c.closedByServer() {
		t.Fatal("server did not close the connection after the last reply")
	}
}

// TestGoneClientCancelsCalls: a client that can no longer get its replies
// has its calls cancelled at once (cause ErrClientDisconnected), whether it
// closed at once, half-closed first, or stopped reading so that a reply
// write failed.
func TestGoneClientCancelsCalls(t *testing.T) {
	tests := []struct {
		name  string
		leave func(t *testing.T, c *rawConn, logs *logWatch)
	}{
		{"close", func(t *testing.T, c *rawConn, _ *logWatch) { c.conn.Close() }},
		{"half-close, then close", func(t *testing.T, c *rawConn, logs *logWatch) {
			if err := c.conn.(*net.UnixConn).CloseWrite(); err != nil {
				t.Fatal(err)
			}
			logs.waitLog(t, logHalfClosed)
			c.conn.Close()
		}},
		{"shut down both directions", func(t *testing.T, c *rawConn, _ *logWatch) {
			uc := c.conn.(*net.UnixConn)
			if err := uc.CloseRead(); err != nil {
				t.Fatal(err)
			}
			if err := uc.CloseWrite(); err != nil {
				t.Fatal(err)
			}
		}},
		{"reply write fails", func(t *testing.T, c *rawConn, _ *logWatch) {
			// After shutdown(SHUT_RD) the server's writes fail with EPIPE,
			// but the socket shows no hangup: only the failed write of the
			// echo reply can tell.
			if err := c.conn.(*net.UnixConn).CloseRead(); err != nil {
				t.Fatal(err)
			}
			c.send(`{"jsonrpc":"2.0","id":2,"method":"test_echo","params":["x"]}`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := newLogWatch()
			ts := startServer(t, ServerOptions{Logger: slog.New(logs)})
			c := dialRaw(t, ts.path)
			c.send(`{"jsonrpc":"2.0","id":1,"method":"test_gate"}`)
			waitFor(t, ts.svc.started, "gate call")
			tt.leave(t, c, logs)
			if cause := waitFor(t, ts.svc.ended, "gate call cancelled"); !errors.Is(cause, ErrClientDisconnected) {
				t.Fatalf("cause = %v, want ErrClientDisconnected", cause)
			}
		})
	}
}

// TestHalfCloseTools runs the command-line clients that half-close after
// their input (OpenBSD nc -N, socat) when they are installed (.ci/run
// installs them). One call is still running when the server reads EOF.
func TestHalfCloseTools(t *testing.T) {
	req := `{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}` + "\n" +
		`{"jsonrpc":"2.0","id":2,"method":"test_gate"}` + "\n" +
		`{"jsonrpc":"2.0","id":3,"method":"lit_sessionStatus"}` + "\n"
	tools := []struct {
		name string
		args func(path string) []string
	}{
		{"nc", func(path string) []string { return []string{"-N", "-U", path} }},
		{"socat", func(path string) []string { return []string{"-t", "30", "-", "UNIX-CONNECT:" + path} }},
	}
	for _, tool := range tools {
		t.Run(tool.name, func(t *testing.T) {
			bin, err := exec.LookPath(tool.name)
			if err != nil {
				t.Skipf("%s not installed", tool.name)
			}
			logs := newLogWatch()
			ts := startServer(t, ServerOptions{Logger: slog.New(logs)})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, tool.args(ts.path)...)
			cmd.Stdin = strings.NewReader(req)
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitFor(t, ts.svc.started, "gate call")
			logs.waitLog(t, logHalfClosed)
			close(ts.svc.gate)
			if err := cmd.Wait(); err != nil {
				t.Fatalf("%s: %v\n%s", tool.name, err, out.String())
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			got := map[string]string{}
			for _, l := range lines {
				r := decodeResponse(t, l)
				got[string(r.ID)] = string(r.Result)
			}
			if len(lines) != 3 || got["1"] != `"0x2ac49"` || got["2"] != `"open"` || got["3"] != `{"approvals":0,"state":"none"}` {
				t.Fatalf("%s printed:\n%s", tool.name, out.String())
			}
		})
	}
}

// TestManyHalfClosedConnections: one poller watches every half-closed
// connection; the clients that close are cancelled, exactly those, the
// others get their replies, and the poller's goroutine ends once no
// connection is left to watch.
func TestManyHalfClosedConnections(t *testing.T) {
	const n = 20
	logs := newLogWatch()
	ts := startServer(t, ServerOptions{Logger: slog.New(logs)})
	conns := make([]*rawConn, n)
	for i := range conns {
		conns[i] = dialRaw(t, ts.path)
		conns[i].send(`{"jsonrpc":"2.0","id":1,"method":"test_gate"}`)
		waitFor(t, ts.svc.started, "gate call")
		if err := conns[i].conn.(*net.UnixConn).CloseWrite(); err != nil {
			t.Fatal(err)
		}
		logs.waitLog(t, logHalfClosed)
	}
	for _, c := range conns[:n/2] {
		c.conn.Close()
	}
	for range n / 2 {
		if cause := waitFor(t, ts.svc.ended, "cancelled gate call"); !errors.Is(cause, ErrClientDisconnected) {
			t.Fatalf("cause = %v, want ErrClientDisconnected", cause)
		}
	}
	close(ts.svc.gate)
	for _, c := range conns[n/2:] {
		if r := decodeResponse(t, c.line()); string(r.Result) != `"open"` {
			t.Fatalf("reply %+v, want \"open\"", r)
		}
		if !c.closedByServer() {
			t.Fatal("server did not close after the reply")
		}
	}
	select {
	case cause := <-ts.svc.ended:
		t.Fatalf("a call of a client still reading was cancelled: %v", cause)
	default:
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		hangups.mu.Lock()
		running, watched := hangups.running, len(hangups.watches)
		hangups.mu.Unlock()
		if !running && watched == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("poller still running with %d watches after every connection ended", watched)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
