package nodehttp

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var testHeader = mustRender(http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"lit_1"}})

func mustRender(h http.Header) []byte {
	b, err := RenderHeader(h)
	if err != nil {
		panic(err)
	}
	return b
}

// countingServer is an httptest server that counts the connections it
// accepted and tells when one closes.
type countingServer struct {
	*httptest.Server
	accepted atomic.Int64
	closed   chan struct{}
}

func newCountingServer(t *testing.T, h http.HandlerFunc) *countingServer {
	t.Helper()
	s := &countingServer{closed: make(chan struct{}, 100)}
	s.Server = httptest.NewUnstartedServer(h)
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			s.accepted.Add(1)
		case http.StateClosed, http.StateHijacked:
			s.closed <- struct{}{}
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func TestPostRequestAndReuse(t *testing.T) {
	var got []string
	var mu sync.Mutex
	s := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, fmt.Sprintf("%s %s %s host=%s ct=%s id=%s ua=%s len=%d body=%s", r.Method, r.URL.Path, r.Proto,
			r.Host, r.Header.Get("Content-Type"), r.Header.Get("X-Request-Id"), r.Header.Get("User-Agent"), r.ContentLength, body))
		mu.Unlock()
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"n":%d}`, len(body))
	})
	c := New(Options{})
	defer c.Close()
	for i := range 5 {
		body := strings.Repeat("x", i*3000) // past one 4 KiB buffer too
		reply, err := c.Post(context.Background(), s.URL, "/web/execute", testHeader, [][]byte{[]byte(body)}, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf(`{"n":%d}`, len(body)); reply.Status != 201 || string(reply.Body) != want {
			t.Fatalf("reply %d %q, want 201 %q", reply.Status, reply.Body, want)
		}
	}
	if n := s.accepted.Load(); n != 1 {
		t.Errorf("%d connections for 5 sequential posts, want 1", n)
	}
	host := strings.TrimPrefix(s.URL, "http://")
	if want := "POST /web/execute HTTP/1.1 host=" + host + " ct=application/json id=lit_1 ua=litsigner len=0 body="; got[0] != want {
		t.Errorf("request seen as\n%s\nwant\n%s", got[0], want)
	}
}

// TestPostBodyParts: a body given in parts is sent as one body, the
// parts one after the other, with their total length.
func TestPostBodyParts(t *testing.T) {
	s := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "len=%d body=%s", r.ContentLength, body)
	})
	c := New(Options{})
	defer c.Close()
	for _, tt := range []struct {
		parts [][]byte
		want  string
	}{
		{[][]byte{[]byte("ab"), nil, []byte("cdef"), []byte("g")}, "len=7 body=abcdefg"},
		{[][]byte{[]byte(strings.Repeat("h", 5000)), []byte("i")}, "len=5001 body=" + strings.Repeat("h", 5000) + "i"},
		{nil, "len=0 body="},
	} {
		// A length that disagrees with the bytes sent would leave the
		// server waiting for more: bounded, so that fails fast.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		reply, err := c.Post(ctx, s.URL, "/", testHeader, tt.parts, 1<<20)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if string(reply.Body) != tt.want {
			t.Errorf("server saw %.40q, want %.40q", reply.Body, tt.want)
		}
	}
}

// rawServer serves each connection with handle, on a loopback listener.
func rawServer(t *testing.T, handle func(n int, c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 0; ; n++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handle(n, c)
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// readRequest reads one request from br, body included.
func readRequest(br *bufio.Reader) (*http.Request, error) {
	req, err := http.ReadRequest(br)
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(io.Discard, req.Body)
	return req, err
}

// replies serves a fixed list of raw replies, one per request, on each
// connection.
func replies(raw ...string) func(int, net.Conn) {
	return func(_ int, c net.Conn) {
		br := bufio.NewReader(c)
		for _, r := range raw {
			if _, err := readRequest(br); err != nil {
				return
			}
			if _, err := io.WriteString(c, r); err != nil {
				return
			}
		}
		_, _ = io.Copy(io.Discard, br)
	}
}

func TestReplyForms(t *testing.T) {
	tests := []struct {
		name   string
		raw    string
		limit  int64
		status int
		body   string
		err    error
		errHas string
		reuse  bool // a second post goes on the same connection
		close  bool // the server closes the connection after the reply
	}{
		{name: "content-length", raw: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", limit: 10, status: 200, body: "ok", reuse: true},
		{name: "exactly the limit", raw: "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfour", limit: 4, status: 200, body: "four", reuse: true},
		{name: "chunked", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n", limit: 10, status: 200, body: "abcde", reuse: true},
		{name: "no body", raw: "HTTP/1.1 204 No Content\r\n\r\n", limit: 10, status: 204, reuse: true},
		{name: "error status", raw: "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops", limit: 10, status: 500, body: "oops", reuse: true},
		{name: "early hints first", raw: "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", limit: 10, status: 200, body: "x", reuse: true},
		{name: "connection close", raw: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx", limit: 10, status: 200, body: "x"},
		{name: "until close", raw: "HTTP/1.1 200 OK\r\n\r\nto the end", limit: 100, status: 200, body: "to the end", close: true},
		{name: "HTTP/1.0", raw: "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", limit: 10, status: 200, body: "x"},
		{name: "extra bytes after the body", raw: "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxyz", limit: 10, status: 200, body: "x"},
		{name: "over the limit, announced", raw: "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n01234567890", limit: 10, err: ErrReplyTooBig},
		{name: "over the limit, chunked", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nb\r\n01234567890\r\n0\r\n\r\n", limit: 10, err: ErrReplyTooBig},
		{name: "over the limit, until close", raw: "HTTP/1.1 200 OK\r\n\r\n01234567890", limit: 10, err: ErrReplyTooBig, close: true},
		{name: "short body", raw: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", limit: 10, err: io.ErrUnexpectedEOF, close: true},
		{name: "not HTTP", raw: "SSH-2.0-OpenSSH\r\n\r\n", limit: 10, errHas: "malformed HTTP"},
		{name: "switching protocols", raw: "HTTP/1.1 101 Switching Protocols\r\n\r\n", limit: 10, errHas: "101"},
		{name: "five interim replies", raw: strings.Repeat("HTTP/1.1 103 Early Hints\r\n\r\n", 5) + "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", limit: 10, status: 200, body: "x", reuse: true},
		{name: "six interim replies", raw: strings.Repeat("HTTP/1.1 103 Early Hints\r\n\r\n", 6) + "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", limit: 10, errHas: "interim"},
		{name: "head at the bound", raw: "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", maxReplyHeadBytes-100) + "\r\nContent-Length: 1\r\n\r\nx", limit: 10, status: 200, body: "x", reuse: true},
		{name: "head too big", raw: "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", maxReplyHeadBytes+8192) + "\r\nContent-Length: 1\r\n\r\nx", limit: 10, err: ErrReplyHeadTooBig},
		{name: "bad chunk", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", limit: 10, errHas: "chunk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var conns atomic.Int64
			url := rawServer(t, func(n int, c net.Conn) {
				conns.Add(1)
				if tt.close {
					_, _ = readRequest(bufio.NewReader(c))
					_, _ = io.WriteString(c, tt.raw)
					return
				}
				replies(tt.raw, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond")(n, c)
			})
			c := New(Options{})
			defer c.Close()
			reply, err := c.Post(context.Background(), url, "/", testHeader, [][]byte{[]byte("{}")}, tt.limit)
			switch {
			case tt.err != nil || tt.errHas != "":
				if err == nil || (tt.err != nil && !errors.Is(err, tt.err)) || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("err %v, want %v %q", err, tt.err, tt.errHas)
				}
			case err != nil:
				t.Fatal(err)
			case reply.Status != tt.status || string(reply.Body) != tt.body:
				t.Fatalf("reply %d %q, want %d %q", reply.Status, reply.Body, tt.status, tt.body)
			}
			// A second post works either way, on the same connection only
			// when the first left it clean.
			reply, err = c.Post(context.Background(), url, "/", testHeader, [][]byte{[]byte("{}")}, 100)
			if tt.reuse {
				if err != nil || string(reply.Body) != "second" {
					t.Fatalf("second post: %q, %v", reply.Body, err)
				}
			} else if err != nil && (tt.err == nil && tt.errHas == "") {
				t.Fatalf("second post: %v", err)
			}
			if want := int64(2); !tt.reuse && err == nil && conns.Load() != want {
				t.Errorf("%d connections, want %d (the first one not reused)", conns.Load(), want)
			}
			if tt.reuse && conns.Load() != 1 {
				t.Errorf("%d connections, want 1", conns.Load())
			}
		})
	}
}

// TestClosedIdleConnection checks the connections a server closes while
// they are idle: one idle past probeIdleAfter is found closed before a
// request is written on it; a request that could not be written at all is
// sent on another; a request that was written is not sent again.
func TestClosedIdleConnection(t *testing.T) {
	tests := []struct {
		name  string
		idle  time.Duration // between the posts
		reset bool          // the server resets the connection instead of closing it
		err   bool          // the second post fails
	}{
		{name: "found closed before use", idle: 2 * probeIdleAfter},
		{name: "reset, nothing written", idle: probeIdleAfter / 5, reset: true},
		{name: "closed, request written", idle: probeIdleAfter / 5, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var runs, conns atomic.Int64
			// Each connection answers one request, then closes.
			url := rawServer(t, func(_ int, c net.Conn) {
				conns.Add(1)
				br := bufio.NewReader(c)
				if _, err := readRequest(br); err != nil {
					return
				}
				runs.Add(1)
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				if tt.reset {
					_ = c.(*net.TCPConn).SetLinger(0)
				}
			})
			c := New(Options{})
			defer c.Close()
			if _, err := c.Post(context.Background(), url, "/", testHeader, nil, 10); err != nil {
				t.Fatal(err)
			}
			time.Sleep(tt.idle)
			_, err := c.Post(context.Background(), url, "/", testHeader, nil, 10)
			if (err != nil) != tt.err {
				t.Fatalf("second post: %v, want an error: %v", err, tt.err)
			}
			wantRuns, wantConns := int64(2), int64(2)
			if tt.err {
				wantRuns = 1 // the request reached a closed connection, and no other
				wantConns = 1
			}
			time.Sleep(50 * time.Millisecond) // the server counts what it got
			if runs.Load() != wantRuns || conns.Load() != wantConns {
				t.Errorf("server ran %d requests on %d connections, want %d on %d", runs.Load(), conns.Load(), wantRuns, wantConns)
			}
		})
	}
}

func TestNoRetryOnFreshConnectionOrStartedReply(t *testing.T) {
	tests := []struct {
		name   string
		handle func(int, net.Conn)
		runs   int64 // requests the server read
	}{
		{"fresh connection closed without a reply", func(_ int, c net.Conn) {
			_, _ = readRequest(bufio.NewReader(c))
		}, 1},
		{"reused connection closed after part of a reply", func(n int, c net.Conn) {
			br := bufio.NewReader(c)
			_, _ = readRequest(br)
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
			_, _ = readRequest(br)
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Len")
		}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var runs atomic.Int64
			url := rawServer(t, func(n int, c net.Conn) { runs.Add(1); tt.handle(n, c) })
			c := New(Options{})
			defer c.Close()
			var err error
			for i := int64(0); i < tt.runs && err == nil; i++ {
				_, err = c.Post(context.Background(), url, "/", testHeader, nil, 10)
			}
			if err == nil {
				t.Fatal("no error")
			}
			if n := runs.Load(); n != 1 {
				t.Errorf("%d connections, want 1 (no retry): %v", n, err)
			}
		})
	}
}

func TestCancelAndDeadline(t *testing.T) {
	release := make(chan struct{})
	s := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c := New(Options{})
	defer c.Close()

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Post(ctx, s.URL, "/", testHeader, nil, 10)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("cancel took %v", d)
	}
	select {
	case <-s.closed: // the cancelled request's connection is not kept
	case <-time.After(5 * time.Second):
		t.Fatal("connection of a cancelled request left open")
	}

	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Post(ctx, s.URL, "/", testHeader, nil, 10); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want context.DeadlineExceeded", err)
	}
	if _, err := c.Post(ctx, s.URL, "/", testHeader, nil, 10); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("post with an ended context: err %v", err)
	}
}

func TestMaxConnsPerHost(t *testing.T) {
	var busy, most atomic.Int64
	release := make(chan struct{})
	s := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := busy.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-release
		busy.Add(-1)
		_, _ = io.WriteString(w, "ok")
	})
	c := New(Options{MaxConnsPerHost: 2})
	defer c.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for range 6 {
		wg.Go(func() {
			_, err := c.Post(context.Background(), s.URL, "/", testHeader, nil, 10)
			errs <- err
		})
	}
	// A waiter gives up with its context.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	time.Sleep(50 * time.Millisecond)
	if _, err := c.Post(ctx, s.URL, "/", testHeader, nil, 10); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiter: %v, want context.DeadlineExceeded", err)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if most.Load() != 2 || s.accepted.Load() != 2 {
		t.Errorf("%d requests at once on %d connections, want 2 and 2", most.Load(), s.accepted.Load())
	}
}

func TestIdleTimeoutAndClose(t *testing.T) {
	s := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	c := New(Options{IdleTimeout: 50 * time.Millisecond})
	if _, err := c.Post(context.Background(), s.URL, "/", testHeader, nil, 10); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("idle connection not closed after its idle timeout")
	}
	// Close closes idle connections at once, and a request in flight's
	// after it.
	c = New(Options{})
	if _, err := c.Post(context.Background(), s.URL, "/", testHeader, nil, 10); err != nil {
		t.Fatal(err)
	}
	c.Close()
	select {
	case <-s.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("idle connection not closed by Close")
	}
	if _, err := c.Post(context.Background(), s.URL, "/", testHeader, nil, 10); !errors.Is(err, ErrClosed) {
		t.Fatalf("post after Close: %v", err)
	}
}

func TestCloseWhileInFlight(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	s := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		_, _ = io.WriteString(w, "ok")
	})
	c := New(Options{})
	done := make(chan error, 1)
	go func() {
		_, err := c.Post(context.Background(), s.URL, "/", testHeader, nil, 10)
		done <- err
	}()
	<-entered
	c.Close()
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("request in flight at Close: %v", err)
	}
	select {
	case <-s.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("connection of a request in flight at Close left open")
	}
}

func TestTLS(t *testing.T) {
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %v", r.Proto, r.TLS != nil)
	}))
	s.EnableHTTP2 = true // the node offers h2: the client asks for http/1.1
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.StartTLS()
	defer s.Close()
	roots := x509.NewCertPool()
	roots.AddCert(s.Certificate())
	c := New(Options{TLSConfig: &tls.Config{RootCAs: roots}})
	defer c.Close()
	reply, err := c.Post(context.Background(), s.URL, "/", testHeader, nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	if string(reply.Body) != "HTTP/1.1 true" {
		t.Fatalf("reply %q", reply.Body)
	}
	untrusted := New(Options{})
	defer untrusted.Close()
	if _, err := untrusted.Post(context.Background(), s.URL, "/", testHeader, nil, 100); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("untrusted certificate: %v", err)
	}
}

func TestBadBase(t *testing.T) {
	c := New(Options{})
	defer c.Close()
	for _, base := range []string{"ftp://x", "http://", "http://u:p@x", "http://x?q=1", "http://x#f", "::"} {
		if _, err := c.Post(context.Background(), base, "/", testHeader, nil, 10); err == nil {
			t.Errorf("%q: no error", base)
		}
	}
	// A dial failure is an error, not a hang.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if _, err := c.Post(context.Background(), "http://"+addr, "/", testHeader, nil, 10); err == nil {
		t.Error("closed port: no error")
	}
}

func TestRenderHeader(t *testing.T) {
	tests := []struct {
		name string
		h    http.Header
		want string
		err  bool
	}{
		{"sorted, agent added", http.Header{"X-B": {"2"}, "Accept": {"a"}}, "User-Agent: litsigner\r\nAccept: a\r\nX-B: 2\r\n", false},
		{"own agent kept", http.Header{"User-Agent": {"me"}}, "User-Agent: me\r\n", false},
		{"line breaks flattened", http.Header{"X-A": {"a\r\nInjected: 1"}}, "User-Agent: litsigner\r\nX-A: a  Injected: 1\r\n", false},
		{"host", http.Header{"Host": {"x"}}, "", true},
		{"content-length, any case", http.Header{"content-length": {"1"}}, "", true},
		{"transfer-encoding", http.Header{"Transfer-Encoding": {"chunked"}}, "", true},
		{"connection", http.Header{"Connection": {"close"}}, "", true},
		{"name with a space", http.Header{"X A": {"1"}}, "", true},
		{"name with a colon", http.Header{"X:A": {"1"}}, "", true},
		{"empty name", http.Header{"": {"1"}}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RenderHeader(tt.h)
			if (err != nil) != tt.err || string(got) != tt.want {
				t.Fatalf("RenderHeader = %q, %v; want %q, error %v", got, err, tt.want, tt.err)
			}
		})
	}
}
