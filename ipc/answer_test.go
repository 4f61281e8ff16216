package ipc

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// referenceExpectsAnswer is expectsAnswer written with encoding/json's
// decoder: slow, plainly right, what the scanner is held to.
func referenceExpectsAnswer(msg []byte, batchItems int) bool {
	dec := json.NewDecoder(bytes.NewReader(msg))
	tok, err := dec.Token()
	if err != nil {
		return false
	}
	if tok != json.Delim('[') {
		return referenceAnswered(msg)
	}
	n, answered := 0, false
	for dec.More() {
		var item json.RawMessage
		if err := dec.Decode(&item); err != nil {
			return false
		}
		n++
		answered = answered || referenceAnswered(item)
	}
	return answered || n == 0 || (batchItems > 0 && n > batchItems)
}

func referenceAnswered(msg []byte) bool {
	var (
		version, method       string
		id, params, res, fail json.RawMessage
	)
	dec := json.NewDecoder(bytes.NewReader(msg))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return true
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return true
		}
		key, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return true
		}
		switch key {
		case "jsonrpc":
			json.Unmarshal(value, &version)
		case "id":
			id = value
		case "method":
			json.Unmarshal(value, &method)
		case "params":
			params = value
		case "result":
			res = value
		case "error":
			fail = value
		}
	}
	validID := len(id) > 0 && id[0] != '{' && id[0] != '['
	notification := version == "2.0" && id == nil && method != ""
	response := version == "2.0" && validID && method == "" && params == nil && (res != nil || fail != nil)
	return !notification && !response
}

// answerSeeds are messages whose answering by go-ethereum differs in one
// detail each (TestExpectsAnswerMatchesServer sends them to the server).
var answerSeeds = []string{
	`{"jsonrpc":"2.0","id":1,"method":"test_echo","params":["x"]}`,
	`{"jsonrpc":"2.0","method":"test_echo","params":["x"]}`,
	`{"jsonrpc":"2.0","method":"test_echo","params":[{"id":1}]}`,
	`{"jsonrpc":"2.0","ID":"a","method":"test_echo","params":["x"]}`,
	`{"jsonrpc":"2.0","\u0069d":"a","method":"test_echo","params":["x"]}`,
	`{"jsonrpc":"2.0","id":null,"method":"test_echo","params":["x"]}`,
	`{"jsonrpc":"2.0","id":{"a":1},"method":"test_echo"}`,
	`{"jsonrpc":"2.0","id":[1],"method":"test_echo"}`,
	`{"jsonrpc":"2.0","id":1,"result":5}`,
	`{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"m"}}`,
	`{"jsonrpc":"2.0","id":1,"result":5,"params":[]}`,
	`{"jsonrpc":"2.0","id":1,"method":"test_echo","id":null}`,
	`{"jsonrpc":"2.0","jsonrpc":2,"method":"test_echo","params":["x"]}`,
	`{"jsonrpc":"1.0","method":"test_echo","params":["x"]}`,
	`{"jsonrpc":null,"method":"test_echo","params":["x"]}`,
	`{"jsonrpc":"2\u002e0","method":"test_echo","params":["x \"q\" \\"]}`,
	`{"jsonrpc":"2.0","method":7}`,
	`{"jsonrpc":"2.0","method":"x_subscription","params":{}}`,
	`{"id":1}`, `{"method":"test_echo"}`, `{}`, `null`, `12`, `"s"`, `true`,
	`[]`, `[null]`, `[1]`, ` [ ] `,
	`[{"jsonrpc":"2.0","method":"test_echo","params":["n"]}]`,
	`[{"jsonrpc":"2.0","method":"test_echo","params":["n"]},{"jsonrpc":"2.0","id":2,"method":"test_echo","params":["x"]}]`,
	`[{"jsonrpc":"2.0","id":1,"result":5},{"jsonrpc":"2.0","method":"test_echo","params":["n"]}]`,
	`[{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","method":"b"},{"jsonrpc":"2.0","method":"c"},{"jsonrpc":"2.0","method":"d"}]`,
}

// FuzzExpectsAnswer holds the scanner to the encoding/json reference on
// every valid JSON value.
func FuzzExpectsAnswer(f *testing.F) {
	for _, s := range answerSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		if !json.Valid(msg) {
			return // the reader hands on valid JSON only
		}
		if got, want := expectsAnswer(msg, 3), referenceExpectsAnswer(msg, 3); got != want {
			t.Fatalf("expectsAnswer(%s) = %v, reference %v", msg, got, want)
		}
	})
}

// BenchmarkExpectsAnswer: the cost the call slots add to reading a typical
// lit_executeJs request.
func BenchmarkExpectsAnswer(b *testing.B) {
	msg := []byte(`{"jsonrpc":"2.0","id":17,"method":"lit_executeJs","params":[{"code":"` + strings.Repeat("x", 400) +
		`","jsParams":{"toSign":[72,101,108,108,111],"publicKey":"0x04` + strings.Repeat("a", 128) + `","sigName":"sig1"}}]}`)
	for b.Loop() {
		expectsAnswer(msg, DefaultBatchItems)
	}
}
