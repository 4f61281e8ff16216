package ipc

import (
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSelectActivated(t *testing.T) {
	dir := shortDir(t)
	n := 0
	unixL := func(t *testing.T) net.Listener {
		n++
		l, err := net.Listen("unix", filepath.Join(dir, strings.Repeat("l", n)))
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	tcpL := func(t *testing.T) net.Listener {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	tests := []struct {
		name    string
		build   func(t *testing.T) (map[string][]net.Listener, net.Listener) // passed set, expected choice
		wantOK  bool
		wantErr string
	}{
		{"not activated", func(t *testing.T) (map[string][]net.Listener, net.Listener) {
			return map[string][]net.Listener{}, nil
		}, false, ""},
		{"named rpc", func(t *testing.T) (map[string][]net.Listener, net.Listener) {
			l := unixL(t)
			return map[string][]net.Listener{"rpc": {l}}, l
		}, true, ""},
		{"rpc among others", func(t *testing.T) (map[string][]net.Listener, net.Listener) {
			l := unixL(t)
			return map[string][]net.Listener{"metrics": {unixL(t)}, "rpc": {l}}, l
		}, true, ""},
		{"single unnamed", func(t *testing.T) (map[string][]net.Listener, net.Listener) {
			l := unixL(t)
			return map[string][]net.Listener{"LISTEN_FD_3": {l}}, l
		}, true, ""},
		{"two unnamed", func(t *testing.T) (map[string][]net.Listener, net.Listener) {
			return map[string][]net.Listener{"LISTEN_FD_3": {unixL(t)}, "LISTEN_FD_4": {unixL(t)}}, nil
		}, false, `passed 2 sockets (LISTEN_FD_3, LISTEN_FD_4), none named "rpc"`},
		{"single with another name", func(t *testing.T) (map[string][]net.Listener, net.Listener) {
			return map[string][]net.Listener{"web": {unixL(t)}}, nil
		}, false, `none named "rpc"`},
		{"rpc is tcp", func(t *testing.T) (map[string][]net.Listener, net.Listener) {
			return map[string][]net.Listener{"rpc": {tcpL(t)}}, nil
		}, false, "want a unix stream socket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			passed, want := tt.build(t)
			got, ok, err := selectActivated(passed)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if ok != tt.wantOK || got != want {
				t.Fatalf("got %v, %v; want %v, %v", got, ok, want, tt.wantOK)
			}
			// Every passed listener but the chosen one is closed.
			for _, ls := range passed {
				for _, l := range ls {
					acceptErr := acceptClosed(l)
					if l == got {
						if acceptErr {
							t.Error("chosen listener was closed")
						}
						l.Close()
					} else if !acceptErr {
						t.Errorf("unused listener %v left open", l.Addr())
					}
				}
			}
		})
	}
}

// acceptClosed reports whether l is closed (Accept fails with ErrClosed).
func acceptClosed(l net.Listener) bool {
	switch ul := l.(type) {
	case *net.UnixListener:
		ul.SetDeadline(deadlinePast)
	case *net.TCPListener:
		ul.SetDeadline(deadlinePast)
	}
	c, err := l.Accept()
	if c != nil {
		c.Close()
	}
	return errors.Is(err, net.ErrClosed)
}

var deadlinePast = time.Unix(1, 0)
