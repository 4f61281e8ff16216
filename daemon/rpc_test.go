package daemon

import (
	"bufio"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/litsigner/litsigner/daemon/rpcapi"
)

// rawReply sends raw bytes on a fresh connection and returns the first
// reply line's error code.
func rawReply(t *testing.T, sock string, req string) (code int, line string) {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatalf("write: %v", err)
	}
	l, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("read reply to %.60q: %v", req, err)
	}
	var resp struct {
		Error *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(l), &resp); err != nil {
		t.Fatalf("reply %q: %v", l, err)
	}
	if resp.Error == nil {
		return 0, l
	}
	return resp.Error.Code, l
}

func TestJSONRPCErrorsThroughDaemon(t *testing.T) {
	cfg := devConfig(t)
	cfg.MaxRequestBytes = 4096
	td := startDaemon(t, cfg, Options{DevNodes: 3})
	big := `{"jsonrpc":"2.0","id":9,"method":"lit_executeJs","params":[{"code":"` + strings.Repeat("a", 8192) + `"}]}`
	tests := []struct {
		name, req string
		code      int
		msg       string // in the reply, when set
	}{
		{"malformed JSON", `{"jsonrpc":"2.0","id":1,"method":}` + "\n", -32700, ""},
		{"unknown method", `{"jsonrpc":"2.0","id":2,"method":"lit_nope","params":[]}`, -32601, ""},
		{"unknown namespace", `{"jsonrpc":"2.0","id":3,"method":"personal_sign","params":[]}`, -32601, ""},
		{"wrong param type", `{"jsonrpc":"2.0","id":4,"method":"lit_executeJs","params":["code"]}`, -32602, ""},
		{"jsParams not an object", `{"jsonrpc":"2.0","id":5,"method":"lit_executeJs","params":[{"code":"x","jsParams":[1]}]}`, -32602, ""},
		{"jsParams a string", `{"jsonrpc":"2.0","id":12,"method":"lit_executeJs","params":[{"code":"x","jsParams":"{}"}]}`, -32602, ""},
		{"jsParams a number", `{"jsonrpc":"2.0","id":13,"method":"lit_executeJs","params":[{"code":"x","jsParams":1}]}`, -32602, ""},
		{"code and ipfsId", `{"jsonrpc":"2.0","id":6,"method":"lit_executeJs","params":[{"code":"x","ipfsId":"Qm"}]}`, rpcapi.CodeInvalidParams, ""},
		{"neither code nor ipfsId", `{"jsonrpc":"2.0","id":7,"method":"lit_executeJs","params":[{}]}`, rpcapi.CodeInvalidParams, ""},
		{"bad ttl", `{"jsonrpc":"2.0","id":8,"method":"lit_startSession","params":[{"ttl":"soon"}]}`, rpcapi.CodeInvalidParams, ""},
		{"ttl overflows", `{"jsonrpc":"2.0","id":14,"method":"lit_startSession","params":[{"ttl":"9999999999h"}]}`, rpcapi.CodeInvalidParams, "want a duration such as"},
		{"ttl within renewMargin", `{"jsonrpc":"2.0","id":15,"method":"lit_startSession","params":[{"ttl":"2m"}]}`, rpcapi.CodeInvalidParams, "longer than renewMargin (5m0s)"},
		{"ttl above sessionTtl", `{"jsonrpc":"2.0","id":16,"method":"lit_startSession","params":[{"ttl":"25h"}]}`, rpcapi.CodeInvalidParams, "at most sessionTtl (24h0m0s)"},
		{"bad PIN positions", `{"jsonrpc":"2.0","id":10,"method":"wallet_unlock","params":["12a"]}`, rpcapi.CodeInvalidParams, ""},
		{"no PIN request", `{"jsonrpc":"2.0","id":11,"method":"wallet_unlock","params":["1234"]}`, rpcapi.CodeNoPINRequest, ""},
		{"oversized request", big, -32600, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, line := rawReply(t, td.sock, tt.req); code != tt.code || !strings.Contains(line, tt.msg) {
				t.Fatalf("code %d, want %d and %q: %s", code, tt.code, tt.msg, line)
			}
		})
	}
	// The daemon is still fine.
	var st rpcapi.SessionStatus
	if err := call(t, dial(t, td.sock), &st, "lit_sessionStatus"); err != nil {
		t.Fatal(err)
	}
}
