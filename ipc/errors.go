package ipc

import (
	"errors"
	"fmt"
	"strings"
)

// JSON-RPC error codes produced by package ipc itself. The daemon defines the
// codes of its own methods; it must not reuse CodeConnectionRefused.
const (
	// CodeParseError is the JSON-RPC 2.0 code for input that is not JSON.
	CodeParseError = -32700
	// CodeInvalidRequest is the JSON-RPC 2.0 code for a request that cannot be
	// served; ipc uses it for requests above the size limit.
	CodeInvalidRequest = -32600
	// CodeMethodNotFound is the JSON-RPC 2.0 code for an unknown method; ipc
	// uses it for every eth_ method other than eth_chainId.
	CodeMethodNotFound = -32601
	// CodeConnectionRefused is sent (with id null) to a peer whose uid is not
	// allowed, just before the server closes the connection.
	CodeConnectionRefused = -32090
)

// Error is a JSON-RPC error with a code, a message and optional data. Handlers
// return it to choose the code; *Client.Call returns server errors as *Error.
// It implements go-ethereum's rpc.Error and rpc.DataError.
type Error struct {
	Code    int
	Message string
	Data    any
}

// Error returns the message (go-ethereum sends it as the JSON-RPC message).
func (e *Error) Error() string { return e.Message }

// ErrorCode returns the JSON-RPC error code.
func (e *Error) ErrorCode() int { return e.Code }

// ErrorData returns the JSON-RPC error data (nil when absent).
func (e *Error) ErrorData() any { return e.Data }

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("ipc: server closed")

// ErrAlreadyRunning is returned by Listen when a live server answers on the path.
var ErrAlreadyRunning = errors.New("another litsignerd is already listening")

// ErrUnsafePath is returned by Listen when the socket directory or an existing
// file at the socket path could be used by another user.
var ErrUnsafePath = errors.New("unsafe socket path")

// ErrForeignDaemon is returned by Dial when the daemon answering on the
// default socket path runs under another uid: a client never sends its
// actions to someone else's daemon by accident or by a planted socket.
var ErrForeignDaemon = errors.New("the daemon at the default socket runs as another user")

// ErrClientDisconnected is the cause of a CallContext cancelled because the
// client closed its connection (see context.Cause).
var ErrClientDisconnected = errors.New("ipc: client disconnected")

// ErrDaemonUnreachable is matched (errors.Is) by every error of Dial and
// Client.Call that means the daemon could not be talked to: no socket, nobody
// listening, connection refused or lost.
var ErrDaemonUnreachable = errors.New("litsignerd is not reachable")

// UnreachableError describes why the daemon could not be reached. It matches
// ErrDaemonUnreachable with errors.Is and unwraps to the underlying cause.
type UnreachableError struct {
	Path   string // socket path
	Reason string // a full sentence for the user
	Err    error  // underlying cause, may be nil
}

// Error returns the user-facing sentence.
func (e *UnreachableError) Error() string { return e.Reason }

// Unwrap returns ErrDaemonUnreachable and the cause.
func (e *UnreachableError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrDaemonUnreachable}
	}
	return []error{ErrDaemonUnreachable, e.Err}
}

// startHint tells how to start the daemon on path; custom is a path the
// user chose (--socket or $LITSIGNER_SOCKET), where the systemd socket unit
// does not listen.
func startHint(path string, custom bool) string {
	if custom {
		return "start it with `litsignerd --dev --socket " + shellQuote(path) + "`"
	}
	return "start it with `litsignerd --dev` or `systemctl --user start litsignerd.socket`"
}

// shellQuote quotes s for a POSIX shell when it has characters the shell
// would interpret.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func notRunning(path string, custom bool, err error) *UnreachableError {
	return &UnreachableError{Path: path, Err: err,
		Reason: fmt.Sprintf("litsignerd is not running: no socket at %s; %s", path, startHint(path, custom))}
}
