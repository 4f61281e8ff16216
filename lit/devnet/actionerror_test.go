package devnet

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/litsigner/litsigner/lit/devnet/action"
)

// TestActionErrorClipped checks that an action's thrown message and stack
// reach both protocols' replies clipped to MaxActionErrorSize (marked),
// so that a reply stays far below the client's 1 MiB limit even for
// characters JSON escapes to six bytes.
func TestActionErrorClipped(t *testing.T) {
	tests := []struct {
		name         string
		msg, stack   string
		clipped      bool
		wantMsgStart string
	}{
		{"short", "Error: boom", "at <action>:1:7(3)\n", false, "Error: boom"},
		{"at the limit", strings.Repeat("x", MaxActionErrorSize), "", false, "xxx"},
		{"long message", "Error: " + strings.Repeat("x", 600000), "", true, "Error: xxx"},
		{"control characters", strings.Repeat("\x01", 600000), strings.Repeat("\x02", 600000), true, "\x01"},
		{"cut inside a character", "é" + strings.Repeat("☃", 300000), "", true, "é☃"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := actionError(&action.ThrowError{Message: tc.msg, Stack: tc.stack})
			if e.ErrorCode != CodeJSExecutionError || !strings.HasPrefix(e.Message, tc.wantMsgStart) {
				t.Fatalf("error %s %.40q", e.ErrorCode, e.Message)
			}
			if got := strings.Contains(e.Message, "[clipped "); got != tc.clipped {
				t.Errorf("message clipped = %v, want %v", got, tc.clipped)
			}
			for _, s := range append([]string{e.Message}, e.Details...) {
				if !utf8.ValidString(s) {
					t.Errorf("invalid UTF-8 in %.40q", s)
				}
				if len(s) > MaxActionErrorSize+100 {
					t.Errorf("%d bytes in the reply, limit %d", len(s), MaxActionErrorSize)
				}
			}
			v2, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			naga := marshalResult(errorResult("id", e))
			for name, body := range map[string][]byte{"v2": v2, "naga": naga} {
				if len(body) > 512<<10 {
					t.Errorf("%s reply is %d bytes", name, len(body))
				}
			}
		})
	}
}
