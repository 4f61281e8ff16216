package lit

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"testing"
)

func TestHandshakeRequestMatchesSDK(t *testing.T) {
	raw, err := os.ReadFile("testdata/handshake-request.json")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		URL     string            `json:"url"`
		Headers map[string]string `json:"headers"`
		Body    map[string]any    `json:"body"`
	}
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatal(err)
	}
	var ours map[string]any
	if err := json.Unmarshal(wireV2{}.handshakeBody(), &ours); err != nil {
		t.Fatal(err)
	}
	if fx.URL != (wireV2{}).handshakePath() || !reflect.DeepEqual(ours, fx.Body) {
		t.Fatalf("handshake %s %v, SDK %s %v", wireV2{}.handshakePath(), ours, fx.URL, fx.Body)
	}
	if fx.Headers["x-lit-sdk-version"] != SDKVersion || fx.Headers["x-lit-sdk-type"] != "Typescript" {
		t.Fatalf("SDK headers %v", fx.Headers)
	}
}

func TestParseErrorTolerant(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   error // *NodeError or *ActionError expected fields
	}{
		{"devnet body", 401, `{"errorKind":"Unauthorized","errorCode":"NodeInvalidAuthSig","status":401,"message":"expired","details":["a","b"]}`,
			&NodeError{Status: 401, Kind: "Unauthorized", Code: "NodeInvalidAuthSig", Message: "expired", Details: []string{"a", "b"}}},
		{"details string", 400, `{"errorKind":"Validation","details":"bad"}`,
			&NodeError{Status: 400, Kind: "Validation", Details: []string{"bad"}}},
		{"details mixed list", 400, `{"errorCode":"X","details":["a",1,{"k":2},null]}`,
			&NodeError{Status: 400, Code: "X", Details: []string{"a", "1", `{"k":2}`}}},
		{"nested error object", 502, `{"error":{"errorCode":"Y","message":"m"}}`,
			&NodeError{Status: 502, Code: "Y", Message: "m"}},
		{"nested error string", 500, `{"error":"plain"}`, &NodeError{Status: 500, Message: "plain"}},
		{"non-JSON", 503, "Service Unavailable\n", &NodeError{Status: 503, Message: "Service Unavailable"}},
		{"wrong types", 500, `{"errorKind":5,"message":["x"]}`, &NodeError{Status: 500, Message: `{"errorKind":5,"message":["x"]}`}},
		{"action threw", 500, `{"errorKind":"Execution","errorCode":"NodeJsExecutionError","status":500,"message":"Error: boom","details":[]}`,
			&ActionError{Code: "NodeJsExecutionError", Message: "Error: boom"}},
		{"action timeout, details only", 500, `{"errorKind":"Timeout","errorCode":"NodeJsTimeoutError","details":["took too long"]}`,
			&ActionError{Code: "NodeJsTimeoutError", Message: "took too long"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := wireV2{}.parseError(tt.status, []byte(tt.body))
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestParseExecute(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantErr  error
		response string
	}{
		{"string response", `{"success":true,"signedData":{},"response":"hi","logs":"l"}`, nil, "hi"},
		{"object response", `{"success":true,"response":{"a":1}}`, nil, `{"a":1}`},
		{"no response", `{"success":true}`, nil, ""},
		{"success false", `{"success":false}`, ErrBadReply, ""},
		{"success missing", `{"signedData":{}}`, ErrBadReply, ""},
		{"success false with error", `{"success":false,"error":{"errorKind":"Execution","errorCode":"NodeJsExecutionError","message":"boom"}}`, nil, ""},
		{"share names another sig", `{"success":true,"signedData":{"a":{"sigName":"b"}}}`, ErrBadReply, ""},
		{"share not an object", `{"success":true,"signedData":{"a":"x"}}`, ErrBadReply, ""},
		{"not JSON", `<html>`, ErrBadReply, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := wireV2{}.parseExecute([]byte(tt.body))
			if tt.name == "success false with error" {
				var ae *ActionError
				if !errors.As(err, &ae) || ae.Message != "boom" {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) && !(err == nil && tt.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && rep.Response != tt.response {
				t.Fatalf("response %q, want %q", rep.Response, tt.response)
			}
		})
	}
	if v := parseResponse(`{"n":12345678901234567890}`); v.(map[string]any)["n"] != json.Number("12345678901234567890") {
		t.Fatalf("number not kept exact: %#v", v)
	}
	if v := parseResponse(`not json`); v != "not json" {
		t.Fatalf("%#v", v)
	}
}

// TestExecuteBodyParams checks the jsParams an execute body carries: values
// encoded with sorted keys and HTML characters as they are, JSON as given.
func TestExecuteBodyParams(t *testing.T) {
	sig := AuthSig{Sig: "s", DerivedVia: "litSessionSignViaNacl", SignedMessage: "m", Address: "a", Algo: "ed25519"}
	tests := []struct {
		name string
		req  ExecuteJSRequest
		want string
	}{
		{"none", ExecuteJSRequest{}, `{}`},
		{"values", ExecuteJSRequest{JSParams: map[string]any{"b": "<&>", "a": 1}}, `{"a":1,"b":"<&>"}`},
		{"JSON, as given", ExecuteJSRequest{JSParamsJSON: json.RawMessage(` {"b": 12345678901234567890, "a":[ 1 ]} `)}, `{"b": 12345678901234567890, "a":[ 1 ]}`},
		{"JSON null", ExecuteJSRequest{JSParamsJSON: json.RawMessage(`null`)}, `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Code = "x"
			body, err := wireV2{}.executeBody(sig, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				JSParams json.RawMessage `json:"jsParams"`
			}
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("body %s: %v", body, err)
			}
			if string(got.JSParams) != tt.want {
				t.Fatalf("jsParams %s, want %s", got.JSParams, tt.want)
			}
		})
	}
}
