package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"time"

	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/ipc"
)

// auditor writes one structured record per API call to the "audit" logger:
// who called (pid, uid, executable), what (method, code hash or IPFS id),
// the outcome (ok, or the error code and its kind) and how long it took. It
// never logs parameters beyond the code's identity, nor error messages
// (which may quote them), and nothing secret.
type auditor struct {
	handler slog.Handler
}

// newAuditor returns an auditor writing to log's handler with
// logger=audit, whatever log's level: every call is audited, and
// --log-level warn or error quiets the rest of the log, not the audit.
func newAuditor(log *slog.Logger) *auditor {
	return &auditor{handler: log.Handler().WithAttrs([]slog.Attr{slog.String("logger", "audit")})}
}

// codeHash is the hex SHA-256 of action source code, the identity audited
// for inline code.
func codeHash(code string) string {
	h := sha256.Sum256([]byte(code))
	return hex.EncodeToString(h[:])
}

// Record logs one call. err is the error returned to the client (nil = ok);
// extra attributes (codeSha256, ipfsId) describe the call.
func (a *auditor) Record(ctx context.Context, method string, start time.Time, err error, extra ...slog.Attr) {
	attrs := make([]slog.Attr, 0, 8+len(extra))
	attrs = append(attrs, slog.String("method", method))
	if p, ok := ipc.PeerFromContext(ctx); ok {
		attrs = append(attrs, slog.Int("pid", p.PID), slog.Int("uid", p.UID), slog.String("exe", p.Exe))
	}
	attrs = append(attrs, extra...)
	level := slog.LevelInfo
	if err == nil {
		attrs = append(attrs, slog.String("outcome", "ok"))
	} else {
		level = slog.LevelWarn
		code := rpcapi.CodeInternal
		var ie *ipc.Error
		if errors.As(err, &ie) {
			code = ie.Code
		}
		// The code's kind, not the message: an action's error message, and
		// node errors that quote it, may carry the call's params
		// (throw new Error("bad key " + apiKey)). The caller has the message.
		attrs = append(attrs, slog.String("outcome", "error"), slog.Int("code", code), slog.String("kind", rpcapi.Kind(code)))
	}
	attrs = append(attrs, slog.Duration("duration", time.Since(start)))
	// The record goes to the handler directly, past its level (a
	// slog.Logger would ask the handler's Enabled) and without a caller's
	// program counter, which no handler here prints and which a Logger
	// finds by walking the stack.
	r := slog.NewRecord(time.Now(), level, "call", 0)
	r.AddAttrs(attrs...)
	_ = a.handler.Handle(ctx, r)
}
