package daemon

import (
	"bufio"
	"encoding/json"
	"fmt"
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

// TestRefusedCallsDoNotPromptTheDevice: a call that cannot succeed is
// refused before the device is asked for a session.
func TestRefusedCallsDoNotPromptTheDevice(t *testing.T) {
	const (
		granted = "QmYQ9nqo3srTPdEEpv3MwZ5dyZr4gq8vy5DH7MXkaeXLQs"
		other   = "QmeqfRyS3vkku7n6krqC3DgGMex3x2sCpSeKMDmrG13QQq"
	)
	exec := func(params string) string {
		return `{"jsonrpc":"2.0","id":1,"method":"lit_executeJs","params":[` + params + `]}` + "\n"
	}
	tests := []struct {
		name       string
		capability []string
		params     string
		want       string // in the error message
	}{
		{"invalid CID", nil, `{"ipfsId":"QmYy"}`, "not a CIDv0"},
		// The devnet's limit (see maxCodeSize); the client's is 1 MiB.
		{"code over the size limit", nil, `{"code":"` + strings.Repeat("a", 256<<10+1) + `"}`, "limit 262144"},
		{"number out of range", nil, `{"code":"1","jsParams":{"a":1e999}}`, `jsParams key \"a\"`},
		{"read-only global", nil, `{"code":"1","jsParams":{"undefined":1}}`, `jsParams key \"undefined\" cannot be a global`},
		{"inline code, IPFS actions only", []string{granted}, `{"code":"1"}`, "not inline code"},
		{"action not granted", []string{granted}, `{"ipfsId":"` + other + `"}`, "does not grant action " + other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := devConfig(t)
			cfg.CapabilityIPFSIDs = tt.capability
			td := startDaemon(t, cfg, Options{DevNodes: 3})
			c := dial(t, td.sock)
			if err := call(t, c, nil, "lit_revokeSession"); err != nil {
				t.Fatal(err)
			}
			code, line := rawReply(t, td.sock, exec(tt.params))
			if code != rpcapi.CodeInvalidParams || !strings.Contains(line, tt.want) {
				t.Fatalf("code %d, want %d with %q: %.300s", code, rpcapi.CodeInvalidParams, tt.want, line)
			}
			var st rpcapi.SessionStatus
			if err := call(t, c, &st, "lit_sessionStatus"); err != nil {
				t.Fatal(err)
			}
			if st.Approvals != 0 || st.ApprovalAttempts != 0 || st.State == "active" {
				t.Fatalf("the device was asked: state %s, %d approvals, %d attempts", st.State, st.Approvals, st.ApprovalAttempts)
			}
		})
	}
}

// TestArgumentErrorsCarryKind: a parameter of the wrong type gets -32602
// with data.kind invalid_params and a message naming what is wrong, like
// any other invalid parameter. Errors go-ethereum answers before a method
// runs carry no kind (README's error table lists them).
func TestArgumentErrorsCarryKind(t *testing.T) {
	td := startDaemon(t, devConfig(t), Options{DevNodes: 3})
	req := func(method, params string) string {
		return `{"jsonrpc":"2.0","id":1,"method":"` + method + `","params":` + params + "}\n"
	}
	tests := []struct {
		name, req  string
		code       int
		kind, want string
	}{
		{"params a number", req("lit_executeJs", `[1]`), -32602, "invalid_params", "want an object {code | ipfsId, jsParams?}, not a JSON number"},
		{"params a string", req("lit_executeJs", `["code"]`), -32602, "invalid_params", "not a JSON string"},
		{"code a number", req("lit_executeJs", `[{"code":1}]`), -32602, "invalid_params", "code is a JSON number, want a string"},
		{"no params", req("lit_executeJs", `[]`), -32602, "invalid_params", "give exactly one of code and ipfsId"},
		{"positions a number", req("wallet_unlock", `[1937]`), -32602, "invalid_params", `want the positions as a string ("1937"), not a JSON number`},
		{"pairing code a number", req("wallet_pair", `[123456]`), -32602, "invalid_params", "not a JSON number"},
		{"pairing code missing", req("wallet_pair", `[]`), -32602, "invalid_params", "6 digits"},
		// go-ethereum's, before the method runs.
		{"params an object", req("lit_executeJs", `{}`), -32602, "", "non-array args"},
		{"too many params", req("lit_executeJs", `[{},{}]`), -32602, "", "too many arguments"},
		{"startSession params a number", req("lit_startSession", `[1]`), -32602, "", "invalid argument 0"},
		{"unsubscribe", req("lit_unsubscribe", `["0x1"]`), -32000, "", "subscription not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.Dial("unix", td.sock)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := c.Write([]byte(tt.req)); err != nil {
				t.Fatal(err)
			}
			var resp struct {
				Error struct {
					Code    int    `json:"code"`
					Message string `json:"message"`
					Data    struct {
						Kind string `json:"kind"`
					} `json:"data"`
				} `json:"error"`
			}
			if err := json.NewDecoder(c).Decode(&resp); err != nil {
				t.Fatal(err)
			}
			e := resp.Error
			if e.Code != tt.code || e.Data.Kind != tt.kind || !strings.Contains(e.Message, tt.want) {
				t.Fatalf("code %d kind %q %q, want %d kind %q with %q", e.Code, e.Data.Kind, e.Message, tt.code, tt.kind, tt.want)
			}
		})
	}
}

// TestBatchResponseTooLarge: once a batch's replies pass 1 MiB, go-ethereum
// answers the remaining items with -32003 (README's error table).
func TestBatchResponseTooLarge(t *testing.T) {
	td := startDaemon(t, devConfig(t), Options{DevNodes: 3})
	item := `{"jsonrpc":"2.0","id":%d,"method":"lit_executeJs","params":[{"code":"LitActions.setResponse({response: 'x'.repeat(100000)})"}]}`
	items := make([]string, 12)
	for i := range items {
		items[i] = fmt.Sprintf(item, i)
	}
	c, err := net.Dial("unix", td.sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := c.Write([]byte("[" + strings.Join(items, ",") + "]\n")); err != nil {
		t.Fatal(err)
	}
	var replies []struct {
		Error *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.NewDecoder(c).Decode(&replies); err != nil {
		t.Fatal(err)
	}
	ok, tooLarge := 0, 0
	for _, r := range replies {
		switch {
		case r.Error == nil:
			ok++
		case r.Error.Code == -32003 && r.Error.Message == "response too large":
			tooLarge++
		default:
			t.Fatalf("error %d %q", r.Error.Code, r.Error.Message)
		}
	}
	if len(replies) != len(items) || ok == 0 || tooLarge == 0 {
		t.Fatalf("%d replies: %d results, %d response too large", len(replies), ok, tooLarge)
	}
}
