package ipc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

type rpcResponse struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int             `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	} `json:"error"`
}

func decodeResponse(t *testing.T, line string) rpcResponse {
	t.Helper()
	var r rpcResponse
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		t.Fatalf("response %q is not JSON: %v", line, err)
	}
	return r
}

// checkResponse compares a response with an expected result (JSON) or an
// expected error code and message fragment.
func checkResponse(t *testing.T, r rpcResponse, wantResult string, wantCode int, wantMsg string) {
	t.Helper()
	if wantResult != "" {
		if r.Error != nil {
			t.Fatalf("got error %d %q, want result %s", r.Error.Code, r.Error.Message, wantResult)
		}
		if string(r.Result) != wantResult {
			t.Fatalf("result = %s, want %s", r.Result, wantResult)
		}
		return
	}
	if r.Error == nil {
		t.Fatalf("got result %s, want error %d %q", r.Result, wantCode, wantMsg)
	}
	if r.Error.Code != wantCode || !strings.Contains(r.Error.Message, wantMsg) {
		t.Fatalf("error = %d %q, want %d containing %q", r.Error.Code, r.Error.Message, wantCode, wantMsg)
	}
}

func TestRequestsThroughSocket(t *testing.T) {
	ts := startServer(t, ServerOptions{Version: "test-1"})
	tests := []struct {
		name       string
		send       string
		wantResult string
		wantCode   int
		wantMsg    string
	}{
		{"echo", `{"jsonrpc":"2.0","id":1,"method":"test_echo","params":["hi"]}`, `"hi"`, 0, ""},
		{"chain id", `{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}`, `"0x2ac49"`, 0, ""},
		{"client version", `{"jsonrpc":"2.0","id":1,"method":"web3_clientVersion"}`, `"litsigner/test-1"`, 0, ""},
		{"other eth method", `{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}`, "", CodeMethodNotFound,
			"litsignerd is not an Ethereum node: eth_blockNumber is not supported"},
		{"eth method with params", `{"jsonrpc":"2.0","id":7,"method":"eth_sendTransaction","params":[{"to":"0x00"}]}`, "", CodeMethodNotFound,
			"eth_sendTransaction is not supported"},
		{"eth method upper-case key", `{"jsonrpc":"2.0","id":1,"METHOD":"eth_accounts"}`, "", CodeMethodNotFound,
			"eth_accounts is not supported"},
		{"eth subscribe", `{"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}`, "", CodeMethodNotFound,
			"eth_subscribe is not supported"},
		{"unknown method", `{"jsonrpc":"2.0","id":1,"method":"test_nope","params":[]}`, "", -32601, "test_nope does not exist"},
		{"unknown namespace", `{"jsonrpc":"2.0","id":1,"method":"foo_bar"}`, "", -32601, "foo_bar does not exist"},
		{"wrong param type", `{"jsonrpc":"2.0","id":1,"method":"test_add","params":["a",1]}`, "", -32602, "invalid argument 0"},
		{"missing param", `{"jsonrpc":"2.0","id":1,"method":"test_add","params":[1]}`, "", -32602, "missing value for required argument 1"},
		{"params not array", `{"jsonrpc":"2.0","id":1,"method":"test_add","params":"x"}`, "", -32602, "non-array args"},
		{"typed error with data", `{"jsonrpc":"2.0","id":1,"method":"test_fail","params":[4242,"boom"]}`, "", 4242, "boom"},
		{"no method", `{"jsonrpc":"2.0","id":1}`, "", -32600, "invalid request"},
		{"rpc_modules", `{"jsonrpc":"2.0","id":1,"method":"rpc_modules"}`,
			`{"eth":"1.0","lit":"1.0","rpc":"1.0","test":"1.0","web3":"1.0"}`, 0, ""},
		{"eth_ inside a param is not rewritten", `{"jsonrpc":"2.0","id":1,"method":"test_echo","params":["eth_call"]}`, `"eth_call"`, 0, ""},
	}
	c := dialRaw(t, ts.path)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.send(tt.send)
			checkResponse(t, decodeResponse(t, c.line()), tt.wantResult, tt.wantCode, tt.wantMsg)
		})
	}
}

func TestErrorData(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	c := dialRaw(t, ts.path)
	c.send(`{"jsonrpc":"2.0","id":1,"method":"test_fail","params":[4242,"boom"]}`)
	r := decodeResponse(t, c.line())
	if r.Error == nil || string(r.Error.Data) != `{"why":"boom"}` {
		t.Fatalf("error data = %+v, want {\"why\":\"boom\"}", r.Error)
	}
}

func TestBatches(t *testing.T) {
	ts := startServer(t, ServerOptions{BatchItems: 3})
	tests := []struct {
		name  string
		items []string
		check func(t *testing.T, rs []rpcResponse)
	}{
		{"mixed eth and echo", []string{
			`{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["0x00","latest"]}`,
			`{"jsonrpc":"2.0","id":2,"method":"test_echo","params":["x"]}`,
			`{"jsonrpc":"2.0","id":3,"method":"eth_chainId"}`,
		}, func(t *testing.T, rs []rpcResponse) {
			byID := map[string]rpcResponse{}
			for _, r := range rs {
				byID[string(r.ID)] = r
			}
			checkResponse(t, byID["1"], "", CodeMethodNotFound, "eth_getBalance is not supported")
			checkResponse(t, byID["2"], `"x"`, 0, "")
			checkResponse(t, byID["3"], `"0x2ac49"`, 0, "")
		}},
		{"over the item limit", []string{
			`{"jsonrpc":"2.0","id":1,"method":"test_echo","params":["a"]}`,
			`{"jsonrpc":"2.0","id":2,"method":"test_echo","params":["b"]}`,
			`{"jsonrpc":"2.0","id":3,"method":"test_echo","params":["c"]}`,
			`{"jsonrpc":"2.0","id":4,"method":"test_echo","params":["d"]}`,
		}, func(t *testing.T, rs []rpcResponse) {
			if len(rs) == 0 {
				t.Fatal("empty batch response")
			}
			for _, r := range rs {
				checkResponse(t, r, "", -32600, "batch too large")
			}
		}},
	}
	c := dialRaw(t, ts.path)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.send("[" + strings.Join(tt.items, ",") + "]")
			var rs []rpcResponse
			if err := json.Unmarshal([]byte(c.line()), &rs); err != nil {
				t.Fatal(err)
			}
			tt.check(t, rs)
		})
	}
}

func TestBackToBackRequests(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	c := dialRaw(t, ts.path)
	// A notification (no id) gets no answer, redirected or not.
	c.send(`{"jsonrpc":"2.0","method":"eth_blockNumber"}{"jsonrpc":"2.0","id":1,"method":"test_echo","params":["a"]}{"jsonrpc":"2.0","id":2,"method":"eth_chainId"}`)
	got := map[string]string{}
	for range 2 {
		r := decodeResponse(t, c.line())
		got[string(r.ID)] = string(r.Result)
	}
	if got["1"] != `"a"` || got["2"] != `"0x2ac49"` {
		t.Fatalf("responses = %v", got)
	}
}

// TestConnectionErrors covers inputs after which the server answers one
// error line (id null) and closes the connection.
func TestConnectionErrors(t *testing.T) {
	const limit = 4096
	ts := startServer(t, ServerOptions{MaxRequestBytes: limit})
	big := strings.Repeat("x", 2*limit)
	tests := []struct {
		name     string
		send     string
		wantCode int
		wantMsg  string
	}{
		{"not JSON", "hello\n", CodeParseError, "parse error: invalid character 'h'"},
		{"broken object", `{"jsonrpc":"2.0","id":1,"method":}`, CodeParseError, "parse error"},
		{"oversized request", `{"jsonrpc":"2.0","id":1,"method":"test_echo","params":["` + big + `"]}`, CodeInvalidRequest,
			fmt.Sprintf("request too large (limit %d bytes)", limit)},
		{"oversized without an end", "[" + strings.Repeat(" ", 3*limit), CodeInvalidRequest, "request too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialRaw(t, ts.path)
			// The server may close while we still write: write from a
			// goroutine and ignore its error.
			go c.conn.Write([]byte(tt.send))
			r := decodeResponse(t, c.line())
			if string(r.ID) != "null" {
				t.Errorf("id = %s, want null", r.ID)
			}
			checkResponse(t, r, "", tt.wantCode, tt.wantMsg)
			if !c.closedByServer() {
				t.Error("connection still open after the error line")
			}
		})
	}
}

// TestBudgetRefilledByResponses checks the cap is on unanswered input: many
// requests below the limit in sequence, totalling far more, all succeed.
func TestBudgetRefilledByResponses(t *testing.T) {
	const limit = 1024
	ts := startServer(t, ServerOptions{MaxRequestBytes: limit})
	c := dialRaw(t, ts.path)
	arg := strings.Repeat("y", limit/2)
	for i := range 20 {
		c.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"test_echo","params":["%s"]}`, i, arg))
		checkResponse(t, decodeResponse(t, c.line()), `"`+arg+`"`, 0, "")
	}
}

func TestPeerFromContext(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	c := dialRaw(t, ts.path)
	c.send(`{"jsonrpc":"2.0","id":1,"method":"test_peer"}`)
	r := decodeResponse(t, c.line())
	if r.Error != nil {
		t.Fatal(r.Error.Message)
	}
	var p Peer
	if err := json.Unmarshal(r.Result, &p); err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	if p.PID != os.Getpid() || p.UID != os.Getuid() || p.GID != os.Getgid() || p.ConnID == 0 || p.Exe != exe {
		t.Fatalf("peer = %+v, want pid %d uid %d gid %d exe %s", p, os.Getpid(), os.Getuid(), os.Getgid(), exe)
	}
	if _, ok := PeerFromContext(context.Background()); ok {
		t.Fatal("PeerFromContext found a peer in a bare context")
	}
	ctx := context.Background()
	callCtx, release := CallContext(ctx)
	defer release()
	if callCtx != ctx {
		t.Fatal("CallContext changed a context without a connection")
	}
}

// TestDisconnectCancelsHandler: a handler blocked on its CallContext returns
// soon after its client closes the connection.
func TestDisconnectCancelsHandler(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	c := dialRaw(t, ts.path)
	c.send(`{"jsonrpc":"2.0","id":1,"method":"test_block"}`)
	waitFor(t, ts.svc.started, "handler start")
	c.conn.Close()
	select {
	case cause := <-ts.svc.ended:
		if !errors.Is(cause, ErrClientDisconnected) {
			t.Fatalf("cause = %v, want ErrClientDisconnected", cause)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("handler not cancelled within 5 s of the disconnect")
	}
}

// TestCallContextRelease: releasing a CallContext cancels it with
// context.Canceled (not a disconnect) and leaves the handler's ctx alone,
// and the connection serves the next calls.
func TestCallContextRelease(t *testing.T) {
	ts := startServer(t, ServerOptions{})
	c := dialRaw(t, ts.path)
	for id := 1; id <= 3; id++ {
		c.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"test_released"}`, id))
		var r struct {
			Result json.RawMessage `json:"result"`
			Error  any             `json:"error"`
		}
		if err := json.Unmarshal([]byte(c.line()), &r); err != nil || r.Error != nil {
			t.Fatalf("call %d: %v, error %v", id, err, r.Error)
		}
		var got struct {
			Cause          string `json:"cause"`
			HandlerCtxLive bool   `json:"handlerCtxLive"`
		}
		if err := json.Unmarshal(r.Result, &got); err != nil {
			t.Fatal(err)
		}
		if got.Cause != context.Canceled.Error() || !got.HandlerCtxLive {
			t.Fatalf("call %d: released context cause %q, handler ctx live %v; want %q and true", id, got.Cause, got.HandlerCtxLive, context.Canceled)
		}
	}
}

// TestShutdownCancelsHandlers: Shutdown cancels in-flight calls, whose
// answers (their errors) still reach the clients, returns, and removes the
// socket file Listen made.
func TestShutdownCancelsHandlers(t *testing.T) {
	path := shortDir(t) + "/litsigner.sock"
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(ServerOptions{})
	svc := newTestService()
	if err := srv.RegisterName("test", svc); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	var clients []*rawConn
	for range 3 {
		c := dialRaw(t, path)
		c.send(`{"jsonrpc":"2.0","id":1,"method":"test_block"}`)
		waitFor(t, svc.started, "handler start")
		clients = append(clients, c)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for range clients {
		if cause := <-svc.ended; !errors.Is(cause, ErrServerClosed) {
			t.Fatalf("handler cause = %v, want ErrServerClosed", cause)
		}
	}
	for i, c := range clients {
		r := decodeResponse(t, c.line())
		if string(r.ID) != "1" || r.Error == nil || !strings.Contains(r.Error.Message, ErrServerClosed.Error()) {
			t.Errorf("client %d: answer %+v, want the call's error (%v)", i, r, ErrServerClosed)
		}
	}
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve = %v, want ErrServerClosed", err)
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Fatalf("socket file still there after Shutdown (%v)", err)
	}
	if err := srv.Serve(l); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve after Shutdown = %v", err)
	}
}

func TestReservedNamespaces(t *testing.T) {
	srv := NewServer(ServerOptions{})
	for _, ns := range []string{"eth", "web3", "rpc"} {
		if err := srv.RegisterName(ns, newTestService()); err == nil {
			t.Errorf("RegisterName(%q) succeeded", ns)
		}
	}
}

func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("timeout waiting for %s", what)
	}
	var zero T
	return zero
}

// TestRequestSizeBoundary: a request of exactly MaxRequestBytes is served,
// one byte more is refused.
func TestRequestSizeBoundary(t *testing.T) {
	const limit = 2048
	ts := startServer(t, ServerOptions{MaxRequestBytes: limit})
	request := func(size int) string {
		head, tail := `{"jsonrpc":"2.0","id":1,"method":"test_echo","params":["`, `"]}`
		return head + strings.Repeat("p", size-len(head)-len(tail)) + tail
	}
	tests := []struct {
		size   int
		wantOK bool
	}{{limit - 1, true}, {limit, true}, {limit + 1, false}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.size), func(t *testing.T) {
			c := dialRaw(t, ts.path)
			req := request(tt.size)
			if len(req) != tt.size {
				t.Fatalf("built %d bytes", len(req))
			}
			go c.conn.Write([]byte(req))
			r := decodeResponse(t, c.line())
			if tt.wantOK {
				if r.Error != nil {
					t.Fatalf("error %d %q", r.Error.Code, r.Error.Message)
				}
				return
			}
			checkResponse(t, r, "", CodeInvalidRequest, fmt.Sprintf("request too large (limit %d bytes)", limit))
		})
	}
}

// TestCallsInFlightBounded: a connection has at most ConnCalls calls in
// flight and all connections ServerCalls; the server reads the next
// request once an answer went out. Notifications take no slot.
func TestCallsInFlightBounded(t *testing.T) {
	ts := startServer(t, ServerOptions{ConnCalls: 2, ServerCalls: 3})
	const note = `{"jsonrpc":"2.0","method":"test_echo","params":["n"]}`
	gate := func(id int) string { return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"test_gate"}`, id) }
	a, b := dialRaw(t, ts.path), dialRaw(t, ts.path)
	a.send(note + gate(1) + note + gate(2) + gate(3) + gate(4))
	for range 2 {
		waitFor(t, ts.svc.started, "gate call on a")
	}
	b.send(gate(5) + gate(6))
	waitFor(t, ts.svc.started, "gate call on b")
	// Two on a (its bound), one on b (the server's): nothing else starts.
	select {
	case <-ts.svc.started:
		t.Fatal("a call started beyond the bounds")
	case <-time.After(200 * time.Millisecond):
	}
	close(ts.svc.gate)
	for _, c := range []struct {
		conn *rawConn
		ids  []string
	}{{a, []string{"1", "2", "3", "4"}}, {b, []string{"5", "6"}}} {
		got := map[string]bool{}
		for range c.ids {
			r := decodeResponse(t, c.conn.line())
			checkResponse(t, r, `"open"`, 0, "")
			got[string(r.ID)] = true
		}
		for _, id := range c.ids {
			if !got[id] {
				t.Errorf("no answer to id %s (got %v)", id, got)
			}
		}
	}
}

// TestNotificationsTakeNoSlot: notifications (no answer) never hold a
// call slot, however many, and requests whose answer frees their slot
// keep a connection going far beyond its bound.
func TestNotificationsTakeNoSlot(t *testing.T) {
	ts := startServer(t, ServerOptions{ConnCalls: 1, ServerCalls: 1})
	c := dialRaw(t, ts.path)
	var b strings.Builder
	for i := range 200 {
		fmt.Fprintf(&b, `{"jsonrpc":"2.0","method":"test_echo","params":["n"]}{"jsonrpc":"2.0","id":%d,"method":"test_echo","params":["x"]}`, i)
		fmt.Fprint(&b, `[{"jsonrpc":"2.0","method":"test_echo","params":["n"]}]`)
	}
	c.send(b.String())
	for range 200 {
		checkResponse(t, decodeResponse(t, c.line()), `"x"`, 0, "")
	}
}

// TestExpectsAnswerMatchesServer holds expectsAnswer to go-ethereum: for
// each message, whether the server writes an answer (read until it
// closes, after a half-close).
func TestExpectsAnswerMatchesServer(t *testing.T) {
	const batchItems = 3
	ts := startServer(t, ServerOptions{BatchItems: batchItems})
	for _, msg := range answerSeeds {
		c := dialRaw(t, ts.path)
		c.send(msg)
		if err := c.conn.(*net.UnixConn).CloseWrite(); err != nil {
			t.Fatal(err)
		}
		c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		out, err := io.ReadAll(c.r)
		if err != nil {
			t.Fatalf("%s: read until the server closes: %v (got %q)", msg, err, out)
		}
		if want := len(out) > 0; expectsAnswer([]byte(msg), batchItems) != want {
			t.Errorf("expectsAnswer(%s) = %v; the server wrote %q", msg, !want, out)
		}
	}
}

// TestConnClosedHook: ServerOptions.ConnClosed runs once per served
// connection, after it closed.
func TestConnClosedHook(t *testing.T) {
	closed := make(chan struct{}, 4)
	ts := startServer(t, ServerOptions{ConnClosed: func() { closed <- struct{}{} }})
	c := dialRaw(t, ts.path)
	c.send(`{"jsonrpc":"2.0","id":1,"method":"test_echo","params":["a"]}`)
	checkResponse(t, decodeResponse(t, c.line()), `"a"`, 0, "")
	select {
	case <-closed:
		t.Fatal("ConnClosed ran while the connection was open")
	default:
	}
	c.conn.Close()
	waitFor(t, closed, "ConnClosed")
}
