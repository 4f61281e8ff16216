// Package ipc serves litsignerd's JSON-RPC 2.0 API on a Unix socket with
// go-ethereum's rpc package, and dials it for the CLI.
//
// # Socket
//
// Listen creates the socket safely: its directory must be a real directory
// owned by us with no group/other permissions (created 0700 when missing), the
// socket is made 0600, a stale socket of ours is removed, and a socket a live
// server answers on is never removed (ErrAlreadyRunning). ActivationListener
// takes the listener passed by systemd socket activation instead. The default
// path is $XDG_RUNTIME_DIR/litsigner/litsigner.sock, or
// $TMPDIR/litsigner-<uid>/litsigner.sock without XDG_RUNTIME_DIR (checked like
// tmux's: a directory only we can enter, and a server of our own uid).
//
// # Connections
//
// Server runs its own accept loop. Before reading any byte of a connection it
// reads the peer's credentials (SO_PEERCRED); peers of another uid, unless
// listed in ServerOptions.AllowedUIDs, get one JSON-RPC error line (id null,
// code CodeConnectionRefused, a message saying why) and are closed.
//
// An accepted connection is served through a wrapper handed to
// rpc.Server.ServeCodec(rpc.NewCodec(wrapper)). The wrapper closes three gaps
// of go-ethereum's rpc package:
//
//   - Disconnects: go-ethereum does not cancel a handler when its client goes
//     away. The wrapper owns a per-connection context that it cancels as soon
//     as the client is gone (a read fails, a reply cannot be written) or the
//     server shuts down. A client that only shut down its write side
//     (shutdown(SHUT_WR), as ethers v5's IpcProvider, `nc -N` and socat do
//     after their request) is not gone: the wrapper tells the two apart by
//     asking poll(2) for POLLHUP when it reads EOF, answers every call in
//     flight, then closes; if such a client closes the rest of the way while
//     its calls run, a poll on the socket sees POLLHUP and cancels them at
//     once (hangup.go).
//   - Request size: IPC has no size limit in go-ethereum. The wrapper counts
//     the bytes read since the last response was written (each response is
//     one write) and, above ServerOptions.MaxRequestBytes, writes the error
//     line "request too large (limit N bytes)" and closes the connection.
//     So a single request, or a burst of unanswered ones, is capped.
//   - Calls in flight: go-ethereum starts a handler for every request it
//     reads. The wrapper reads a request that will be answered only once it
//     holds a slot of its connection (ServerOptions.ConnCalls) and of the
//     server (ServerOptions.ServerCalls); each answer written gives them
//     back (callSlots, expectsAnswer).
//   - Error messages: the wrapper decodes each request itself; an eth_ method
//     other than eth_chainId is redirected to a method that answers
//     "litsignerd is not an Ethereum node: eth_X is not supported" (code
//     CodeMethodNotFound) instead of go-ethereum's generic message. Malformed
//     JSON gets a parse error line; the requests read before it are still
//     answered, then the connection is closed.
//
// # Handlers
//
// The wrapper's RemoteAddr string reaches handlers as
// rpc.PeerInfoFromContext(ctx).RemoteAddr; it encodes a connection id that is looked up
// in a process-wide registry of live connections. So a handler (any method
// registered with RegisterName whose first argument is a context.Context)
// can call:
//
//   - PeerFromContext(ctx) for the caller's pid, uid, gid and executable;
//   - CallContext(ctx) for a context that is additionally cancelled (cause
//     ErrClientDisconnected) when the caller's connection ends, and its
//     release. go-ethereum's own ctx is only cancelled after the handler
//     returns, so blocking handlers must call CallContext first, use its
//     result, and release it when they return.
//
// Besides the registered namespaces the server answers rpc_modules,
// eth_chainId (ServerOptions.ChainID, default Lit Chronicle 175177) and
// web3_clientVersion ("litsigner/<version>"), so that ethers'
// IpcSocketProvider and `geth attach` connect cleanly. Batches are limited
// (ServerOptions.BatchItems, BatchBytes).
//
// Shutdown stops accepting, cancels every connection context (go-ethereum's
// Stop waits for in-flight calls, so they must be told first), closes the
// connections and waits for them. Go removes the socket file of a listener
// made by Listen when it is closed; an activated socket belongs to systemd
// and stays.
package ipc
