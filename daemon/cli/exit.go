package cli

import (
	"errors"

	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/ipc"
)

// UsageError is a bad command line.
type UsageError struct{ Msg string }

// Error returns the message.
func (e *UsageError) Error() string { return e.Msg }

// ExitCode maps an error of a command to the process exit code, using the
// daemon's JSON-RPC error code when there is one.
func ExitCode(err error) int {
	if err == nil {
		return rpcapi.ExitOK
	}
	var ue *UsageError
	if errors.As(err, &ue) {
		return rpcapi.ExitUsage
	}
	if errors.Is(err, ipc.ErrDaemonUnreachable) || errors.Is(err, ipc.ErrForeignDaemon) {
		return rpcapi.ExitDaemon
	}
	var ie *ipc.Error
	if errors.As(err, &ie) {
		return exitForCode(ie.Code)
	}
	return rpcapi.ExitFailure
}

// exitForCode maps a daemon error code (rpcapi.ExitFor) or ipc's
// connection-refused code to the exit status.
func exitForCode(code int) int {
	if code == ipc.CodeConnectionRefused {
		return rpcapi.ExitDaemon
	}
	return rpcapi.ExitFor(code)
}
