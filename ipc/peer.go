package ipc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/ethereum/go-ethereum/rpc"
	"golang.org/x/sys/unix"
)

// Peer identifies the process at the other end of a connection, as the kernel
// reported it when the connection was accepted (SO_PEERCRED).
type Peer struct {
	ConnID uint64 // server-assigned id of the connection, unique in this process
	PID    int
	UID    int
	GID    int
	Exe    string // /proc/PID/exe, best effort; empty when unreadable
}

// remoteAddrPrefix starts every RemoteAddr string of our connections.
const remoteAddrPrefix = "litsigner-conn="

// formatRemoteAddr encodes the connection id (the lookup key) followed by a
// human-readable description, used by go-ethereum in its log lines.
func formatRemoteAddr(p Peer) string {
	return fmt.Sprintf("%s%d pid=%d uid=%d", remoteAddrPrefix, p.ConnID, p.PID, p.UID)
}

// parseRemoteAddr returns the connection id encoded by formatRemoteAddr.
func parseRemoteAddr(s string) (uint64, bool) {
	rest, ok := strings.CutPrefix(s, remoteAddrPrefix)
	if !ok {
		return 0, false
	}
	if i := strings.IndexByte(rest, ' '); i >= 0 {
		rest = rest[:i]
	}
	if rest == "" || rest[0] == '+' {
		return 0, false
	}
	id, err := strconv.ParseUint(rest, 10, 64)
	if err != nil || id == 0 {
		return 0, false
	}
	return id, true
}

// connEntry is what the registry knows about one live connection.
type connEntry struct {
	peer Peer
	ctx  context.Context // cancelled when the connection ends
}

// registry maps connection ids to live connections. It is process-wide
// because handlers only see the RemoteAddr string, not the server.
var registry = struct {
	sync.RWMutex
	conns map[uint64]connEntry
}{conns: make(map[uint64]connEntry)}

func registerConn(p Peer, ctx context.Context) {
	registry.Lock()
	registry.conns[p.ConnID] = connEntry{peer: p, ctx: ctx}
	registry.Unlock()
}

func unregisterConn(id uint64) {
	registry.Lock()
	delete(registry.conns, id)
	registry.Unlock()
}

func lookupConn(ctx context.Context) (connEntry, bool) {
	info := rpc.PeerInfoFromContext(ctx)
	if info.Transport != "ipc" {
		return connEntry{}, false
	}
	id, ok := parseRemoteAddr(info.RemoteAddr)
	if !ok {
		return connEntry{}, false
	}
	registry.RLock()
	e, ok := registry.conns[id]
	registry.RUnlock()
	return e, ok
}

// PeerFromContext returns the peer of the connection a handler is serving.
// ok is false outside a handler called through an ipc.Server connection.
func PeerFromContext(ctx context.Context) (Peer, bool) {
	e, ok := lookupConn(ctx)
	return e.peer, ok
}

// CallContext returns a context derived from a handler's ctx that is also
// cancelled when the caller's connection ends (context.Cause is
// ErrClientDisconnected; "request too large" or a parse error when the server
// dropped the client) or the server shuts down (ErrServerClosed), and the
// function that releases it, which the handler calls when it is done (as
// with context.WithCancel). Outside an ipc.Server connection it returns ctx
// unchanged and a no-op release.
//
// The release is explicit: releasing the call's watch when go-ethereum
// cancels ctx after the handler returns (context.AfterFunc) started a
// goroutine for every call.
func CallContext(ctx context.Context) (context.Context, context.CancelFunc) {
	e, ok := lookupConn(ctx)
	if !ok {
		return ctx, func() {}
	}
	callCtx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(e.ctx, func() { cancel(context.Cause(e.ctx)) })
	return callCtx, func() {
		// Drop the registration on the connection context, so a
		// long-lived connection does not accumulate callbacks.
		stop()
		cancel(context.Canceled)
	}
}

// peerCredentials reads SO_PEERCRED from a Unix connection without reading
// from it, and resolves the executable (best effort).
func peerCredentials(c net.Conn) (Peer, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return Peer{}, fmt.Errorf("ipc: peer credentials: %T is not a unix socket", c)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return Peer{}, fmt.Errorf("ipc: peer credentials: %w", err)
	}
	var cred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return Peer{}, fmt.Errorf("ipc: peer credentials: %w", err)
	}
	if credErr != nil {
		return Peer{}, fmt.Errorf("ipc: peer credentials: SO_PEERCRED: %w", credErr)
	}
	if cred == nil {
		return Peer{}, errors.New("ipc: peer credentials: SO_PEERCRED returned nothing")
	}
	p := Peer{PID: int(cred.Pid), UID: int(cred.Uid), GID: int(cred.Gid)}
	if p.PID > 0 {
		// Best effort: a process of another user, or one that already exited,
		// leaves Exe empty. The pid may be reused later; this is an audit
		// hint, not an authorization input.
		if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", p.PID)); err == nil {
			p.Exe = exe
		}
	}
	return p, nil
}
