package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/ipc"
	"github.com/litsigner/litsigner/lit"
)

// TestHandle: handle maps the body's error to the client's JSON-RPC error
// and writes one audit record under the method's name with the attributes.
func TestHandle(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		code    int // 0: no error
		outcome string
	}{
		{"ok", nil, 0, "ok"},
		{"invalid params", fmt.Errorf("%w: ttl", errInvalidParams), rpcapi.CodeInvalidParams, "error"},
		{"session ended", errSessionEnded, rpcapi.CodeSessionEnded, "error"},
		{"unexpected", errors.New("surprise"), rpcapi.CodeInternal, "error"},
		{"action error quoting a param", &lit.ActionError{Code: "NodeJsExecutionError", Message: "Error: bad apiKey SECRET-abc123"}, rpcapi.CodeActionError, "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			a := newCallGate(newAuditor(slog.New(slog.NewJSONHandler(&buf, nil))))
			got, err := handle(context.Background(), a, "lit_test", nonBlocking, func(context.Context) (int, error) {
				return 7, tt.err
			}, slog.String("ipfsId", "QmX"))
			if got != 7 {
				t.Errorf("result %d, want 7", got)
			}
			var ie *ipc.Error
			switch {
			case tt.code == 0 && err != nil:
				t.Fatalf("error %v, want nil", err)
			case tt.code != 0 && (!errors.As(err, &ie) || ie.Code != tt.code):
				t.Fatalf("error %#v, want code %d", err, tt.code)
			}
			var rec map[string]any
			if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
				t.Fatalf("audit record %q: %v", buf.String(), err)
			}
			if rec["logger"] != "audit" || rec["method"] != "lit_test" || rec["ipfsId"] != "QmX" || rec["outcome"] != tt.outcome {
				t.Errorf("audit record %v", rec)
			}
			if tt.code != 0 && (rec["code"] != float64(tt.code) || rec["kind"] != rpcapi.Kind(tt.code)) {
				t.Errorf("audit code %v kind %v, want %d %s", rec["code"], rec["kind"], tt.code, rpcapi.Kind(tt.code))
			}
			if tt.err != nil && strings.Contains(buf.String(), tt.err.Error()) {
				t.Errorf("audit record %s has the error message %q", buf.String(), tt.err)
			}
		})
	}
}

// TestAuditIgnoresLogLevel: a successful call is audited (at info) even
// when the log level is warn or error; the daemon's own info lines are not.
func TestAuditIgnoresLogLevel(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelWarn, slog.LevelError} {
		var buf bytes.Buffer
		log := newLogger(&buf, level)
		g := newCallGate(newAuditor(log))
		if _, err := handle(context.Background(), g, "lit_test", nonBlocking, func(context.Context) (int, error) { return 1, nil }); err != nil {
			t.Fatal(err)
		}
		log.Info("chatter")
		if out := buf.String(); !strings.Contains(out, "logger=audit") || !strings.Contains(out, "method=lit_test") || strings.Contains(out, "chatter") {
			t.Fatalf("level %v: log %q, want the audit line only", level, out)
		}
	}
}

// TestHandleNamesTheCancellationCause: a body that fails because its
// context was cancelled gets the cause's code (here the session's end),
// not a bare "cancelled".
func TestHandleNamesTheCancellationCause(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errSessionEnded)
	a := newCallGate(newAuditor(slog.New(slog.DiscardHandler)))
	_, err := handle(ctx, a, "lit_test", blocking, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, ctx.Err()
	})
	var ie *ipc.Error
	if !errors.As(err, &ie) || ie.Code != rpcapi.CodeSessionEnded {
		t.Fatalf("error %#v, want code %d", err, rpcapi.CodeSessionEnded)
	}
}

// TestHandleRefusedAfterStop: once the daemon stops, a call that arrives
// gets 4301 (shutting_down) and its body does not run.
func TestHandleRefusedAfterStop(t *testing.T) {
	g := newCallGate(newAuditor(slog.New(slog.DiscardHandler)))
	g.stop()
	ran := false
	_, err := handle(context.Background(), g, "lit_test", nonBlocking, func(context.Context) (int, error) { ran = true; return 1, nil })
	var ie *ipc.Error
	if ran || !errors.As(err, &ie) || ie.Code != rpcapi.CodeShuttingDown {
		t.Fatalf("ran %v, error %#v, want code %d and no run", ran, err, rpcapi.CodeShuttingDown)
	}
}
