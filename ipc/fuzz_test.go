package ipc

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// FuzzRemoteAddr: parsing never panics, only accepts what formatRemoteAddr
// can produce, and round-trips every connection id.
func FuzzRemoteAddr(f *testing.F) {
	for _, s := range []string{"litsigner-conn=1 pid=2 uid=3", "litsigner-conn=", "litsigner-conn=+1", "litsigner-conn=0",
		"litsigner-conn=18446744073709551615", "litsigner-conn=18446744073709551616", "@", "/tmp/x.sock", "litsigner-conn=7x"} {
		f.Add(s, uint64(len(s)))
	}
	f.Fuzz(func(t *testing.T, s string, id uint64) {
		if got, ok := parseRemoteAddr(s); ok {
			if got == 0 || !strings.HasPrefix(s, remoteAddrPrefix) {
				t.Fatalf("parseRemoteAddr(%q) accepted %d", s, got)
			}
		}
		if id == 0 {
			return
		}
		addr := formatRemoteAddr(Peer{ConnID: id, PID: int(id % 1000), UID: 1000})
		if got, ok := parseRemoteAddr(addr); !ok || got != id {
			t.Fatalf("round trip of %d via %q gave %d, %v", id, addr, got, ok)
		}
	})
}

// FuzzRedirectEth: the request filter never panics, leaves input without an
// unsupported eth_ call unchanged, and only ever produces valid JSON from
// valid JSON in which no unsupported eth_ method remains.
func FuzzRedirectEth(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}`,
		`{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}`,
		`[{"id":1,"method":"eth_call","params":[{}]},{"id":2,"method":"lit_executeJs","params":["eth_x"]}]`,
		`{"Method":"eth_x","PARAMS":[1],"params":2}`,
		`{"method":1}`, `[1,2,"eth_"]`, `"eth_"`, `null`, `{"method":"eth_\u0000"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out := redirectEth(in)
		if !bytes.Contains(in, []byte("eth_")) && !bytes.Equal(in, out) {
			t.Fatalf("changed input without eth_: %q -> %q", in, out)
		}
		if bytes.Equal(in, out) || !json.Valid(in) {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid output %q from %q", out, in)
		}
		var single struct {
			Method string `json:"method"`
		}
		var batch []struct {
			Method string `json:"method"`
		}
		check := func(m string) {
			if strings.HasPrefix(m, "eth_") && !ethSupported[m] {
				t.Fatalf("method %q left in %q", m, out)
			}
		}
		if json.Unmarshal(out, &batch) == nil {
			for _, b := range batch {
				check(b.Method)
			}
		} else if json.Unmarshal(out, &single) == nil {
			check(single.Method)
		}
	})
}

// FuzzRequestFraming feeds arbitrary bytes through the connection wrapper
// (the budget reader and request filter in front of go-ethereum): it never
// panics, what it hands on is a stream of valid JSON values, and any
// error line it writes back is a valid JSON-RPC error with id null.
func FuzzRequestFraming(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}{"id":2,"method":"test_echo","params":["a"]}`,
		`[{"id":1,"method":"eth_x"}] [1] null 12 "s"`,
		`{"id":1,"method":`, "hello", "[" + strings.Repeat(" ", 300), "\n\n\t{}", "{\n}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		const limit = 256
		server, client := socketPair(t)
		defer client.Close()
		ctx, cancel := context.WithCancelCause(context.Background())
		// The budget (limit) admits fewer answered requests than a
		// connection's call slots: reading never waits for a slot here.
		sc := newServerConn(server, Peer{ConnID: 1}, cancel, limit, newCallSlots(ctx, DefaultConnCalls, make(chan struct{}, DefaultServerCalls), DefaultBatchItems), slog.New(slog.DiscardHandler))
		defer sc.Close()

		written := make(chan []byte, 1)
		go func() {
			client.SetDeadline(time.Now().Add(5 * time.Second))
			client.Write(in)
			client.CloseWrite()
		}()
		go func() {
			// Collect what the server writes back until it closes.
			var out []byte
			buf := make([]byte, 4096)
			for {
				n, err := client.Read(buf)
				out = append(out, buf[:n]...)
				if err != nil {
					written <- out
					return
				}
			}
		}()

		var handed []byte
		buf := make([]byte, 512)
		for {
			sc.raw.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, err := sc.Read(buf)
			handed = append(handed, buf[:n]...)
			if err != nil {
				break
			}
		}
		sc.Close()
		back := <-written

		if len(handed) > 0 && handed[len(handed)-1] != '\n' {
			t.Fatalf("handed on %q without a final newline", handed)
		}
		dec := json.NewDecoder(bytes.NewReader(handed))
		for {
			var v json.RawMessage
			if err := dec.Decode(&v); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("handed on invalid JSON %q: %v", handed, err)
			}
		}
		for line := range strings.Lines(string(back)) {
			var r struct {
				ID    json.RawMessage `json:"id"`
				Error *struct{ Code int }
			}
			if err := json.Unmarshal([]byte(line), &r); err != nil || string(r.ID) != "null" || r.Error == nil {
				t.Fatalf("wrote back %q", line)
			}
		}
	})
}

// socketPair returns the two ends of a connected Unix stream socket pair.
func socketPair(t *testing.T) (*net.UnixConn, *net.UnixConn) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	conns := make([]*net.UnixConn, 2)
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "socketpair")
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c.(*net.UnixConn)
	}
	return conns[0], conns[1]
}
