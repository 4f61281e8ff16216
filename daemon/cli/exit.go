package cli

import (
	"context"
	"errors"

	"github.com/litsigner/litsigner/ipc"
)

// Exit codes of litsigner (the same values as cmd/litsigner's constants,
// documented in README.md).
const (
	ExitOK      = 0
	ExitFailure = 1 // anything not listed below
	ExitUsage   = 2 // bad command line or invalid params
	ExitDevice  = 3 // hardware wallet: rejected, locked, app closed, PIN, absent, approval timeout
	ExitNetwork = 4 // Lit network: below threshold, bad shares, timeout
	ExitDaemon  = 5 // litsignerd not reachable, stopping, refusing us, or another user's
	ExitAction  = 6 // the Lit Action itself failed
)

// UsageError is a bad command line.
type UsageError struct{ Msg string }

// Error returns the message.
func (e *UsageError) Error() string { return e.Msg }

// ExitCode maps an error of a command to the process exit code, using the
// daemon's JSON-RPC error code when there is one.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ue *UsageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	if errors.Is(err, ipc.ErrDaemonUnreachable) || errors.Is(err, ipc.ErrForeignDaemon) {
		return ExitDaemon
	}
	var ie *ipc.Error
	if errors.As(err, &ie) {
		return exitForCode(ie.Code)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ExitFailure
	}
	return ExitFailure
}

// exitForCode maps a daemon error code (see daemon.ErrorCodes).
func exitForCode(code int) int {
	switch {
	case code == -32602: // invalid params
		return ExitUsage
	case code >= 4001 && code <= 4099:
		return ExitDevice
	case code >= 4100 && code <= 4199:
		return ExitNetwork
	case code == 4200:
		return ExitAction
	case code == 4301 || code == ipc.CodeConnectionRefused:
		return ExitDaemon
	}
	return ExitFailure
}
