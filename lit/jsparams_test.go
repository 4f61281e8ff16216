package lit

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestValidateExecute(t *testing.T) {
	const (
		granted = "QmYQ9nqo3srTPdEEpv3MwZ5dyZr4gq8vy5DH7MXkaeXLQs"
		other   = "QmeqfRyS3vkku7n6krqC3DgGMex3x2sCpSeKMDmrG13QQq"
	)
	v2 := newTestClient(t, LocalhostNetwork(), WithMaxCodeSize(100))
	nagaNet, err := NagaNetwork("naga-local")
	if err != nil {
		t.Fatal(err)
	}
	naga := newTestClient(t, nagaNet)
	only := Capability{IPFSIDs: []string{granted}}
	params := func(s string) ExecuteJSRequest { return ExecuteJSRequest{Code: "x", JSParamsJSON: json.RawMessage(s)} }
	tests := []struct {
		name string
		c    *Client
		req  ExecuteJSRequest
		capa Capability
		want string // "" = valid; else a part of the error
	}{
		{"inline code", v2, ExecuteJSRequest{Code: "x"}, Capability{}, ""},
		{"granted CID", v2, ExecuteJSRequest{IPFSID: granted}, only, ""},
		{"nothing", v2, ExecuteJSRequest{}, Capability{}, "one of code and ipfsId"},
		{"bad CID", v2, ExecuteJSRequest{IPFSID: "QmYy"}, Capability{}, "not a CIDv0"},
		{"code too big", v2, ExecuteJSRequest{Code: strings.Repeat("x", 101)}, Capability{}, "limit 100"},
		{"inline code, IPFS only", v2, ExecuteJSRequest{Code: "1"}, only, "not inline code"},
		{"CID not granted", v2, ExecuteJSRequest{IPFSID: other}, only, "does not grant action " + other},
		{"params not an object", v2, params(`[1]`), Capability{}, "must be a JSON object"},
		{"number out of range", v2, params(`{"a":1e999}`), Capability{}, `key "a" holds the number 1e999`},
		{"negative number out of range, nested", naga, params(`{"b":[1,{"c":-2E+400}]}`), Capability{}, `key "b" holds the number -2E+400`},
		{"long number out of range", v2, params(`{"d":` + strings.Repeat("9", 400) + `}`), Capability{}, `key "d"`},
		{"number that rounds to 0", v2, params(`{"a":1e-400,"b":1.5e308}`), Capability{}, ""},
		{"number-like strings", v2, params(`{"a":"1e999","1e999":"undefined"}`), Capability{}, ""},
		{"key undefined on v2", v2, params(`{"a":{"undefined":1},"undefined":2}`), Capability{}, `key "undefined" cannot be a global`},
		{"key NaN on v2", v2, ExecuteJSRequest{Code: "x", JSParams: map[string]any{"NaN": 1}}, Capability{}, `key "NaN" cannot be a global`},
		{"key Infinity escaped on v2", v2, params(`{"Infinit\u0079":1}`), Capability{}, `key "Infinity" cannot be a global`},
		{"nested key undefined on v2", v2, params(`{"a":{"undefined":1},"b":["undefined"]}`), Capability{}, ""},
		{"key jsParams on v2", v2, params(`{"jsParams":1}`), Capability{}, ""},
		{"key undefined on Naga", naga, params(`{"undefined":1,"NaN":2,"Infinity":3}`), Capability{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.ValidateExecute(tt.req, tt.capa)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("err = %v, want none", err)
			case tt.want != "" && (!errors.Is(err, ErrInvalidParams) || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("err = %v, want ErrInvalidParams with %q", err, tt.want)
			case err != nil && strings.Count(err.Error(), "lit:") != 1:
				t.Fatalf("err = %q, want one lit: prefix", err)
			}
		})
	}
}

// FuzzCheckJSParams compares checkJSParams with a decode by encoding/json
// on valid JSON objects.
func FuzzCheckJSParams(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1e999}`, `{"a":1e999,"a":1}`, `{"undefined":[1,{"NaN":-1E-999}]}`, `{"a\"b":"1e999","c":[1.5e308,{}]}`, `{"Infinit\u0079":null}`} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, params []byte, asGlobals bool) {
		var obj map[string]json.RawMessage
		if !json.Valid(params) || json.Unmarshal(params, &obj) != nil || obj == nil {
			return
		}
		// Every number counts, even one under a key given again later.
		want := !numbersInRange(params)
		for k := range obj {
			want = want || asGlobals && readOnlyGlobals[k]
		}
		if err := checkJSParams(params, asGlobals); (err != nil) != want {
			t.Fatalf("checkJSParams(%q, %v) = %v, want an error: %v", params, asGlobals, err, want)
		}
	})
}

// numbersInRange reports whether every number in v parses as a float64.
func numbersInRange(v json.RawMessage) bool {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return true
		}
		if n, ok := tok.(json.Number); ok {
			if _, err := n.Float64(); err != nil {
				return false
			}
		}
	}
}
