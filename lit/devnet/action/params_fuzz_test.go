package action

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzDecodeParams checks decodeParams against the VM's JSON.parse on the
// bytes Run gives it: any input that is a JSON object is re-encoded as Run
// encodes its params (json.Marshal of a map[string]any), then both must
// build the same value. Other inputs are skipped: Run never decodes them.
func FuzzDecodeParams(f *testing.F) {
	for _, seed := range decodeParamsSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var v any
		if err := json.Unmarshal(in, &v); err != nil {
			t.Skip("not JSON")
		}
		params, ok := v.(map[string]any)
		if !ok {
			t.Skip("not a JSON object")
		}
		data, err := json.Marshal(params) // as Run does
		if err != nil {
			t.Fatalf("json.Marshal of decoded JSON: %v", err)
		}
		requireLikeJSONParse(t, data)
	})
}

// decodeParamsSeeds returns the cases of TestDecodeParamsLikeJSONParse and
// the corners of JSON a hand-written decoder is likeliest to get wrong.
func decodeParamsSeeds(f *testing.F) [][]byte {
	f.Helper()
	var seeds [][]byte
	for _, p := range []any{
		map[string]any{},
		map[string]any{"s": "x", "n": 1.5, "i": 42, "neg": -7, "t": true, "f": false, "z": nil, "big": uint64(1<<64 - 1), "tiny": 5e-324, "exp": 1e21},
		map[string]any{"s": "a\"b\\c\n\t<>&\u2028\x01 ☃ \xff end", "k\"ey": 1},
		map[string]any{"a": []any{1, []any{}, map[string]any{"b": []any{nil, "c"}}}, "o": map[string]any{"x": map[string]any{}}},
		map[string]any{"__proto__": map[string]any{"p": 1}, "1": "one", "0": "zero", "constructor": 2},
		json.RawMessage(`{"b": [1, 2.50, -0, 1E3], "a": {"__proto__": null}}`),
		deepParams(500),
	} {
		b, err := json.Marshal(p)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	for _, s := range []string{
		// nested arrays
		`{"a":[[[]],[[1,[2,[3]]]],[{},[{}]],[null,true,false,"",0]]}`,
		`{"m":[[1,2],[3,4]],"e":[[],[[]],[[[]]]]}`,
		// unicode escapes, surrogate pairs, lone surrogates, control characters
		`{"u":"\u00e9\u4e2d\ud83d\ude00","lone":"\ud800 \udc00 \ud800\ud800","nul":"\u0000","ls":"\u2028\u2029","k\u00e9y":1}`,
		`{"\u005f_proto__":{"x":1},"\ud83d\ude00":"\uFFFD\uffff","esc":"\/\b\f\n\r\t\"\\"}`,
		"{\"raw\":\"é 中 😀 \xed\xa0\x80 \xff\xfe\"}",
		// negative zero and numbers in every form
		`{"z":-0,"z2":-0.0,"z3":-0e10,"zs":[0,-0,0.0,-0E-5]}`,
		`{"n":[1e308,1.7976931348623157e308,-1.7976931348623157e308,5e-324,4.9e-324,2.5e-324,1e-400]}`,
		`{"n":[9007199254740991,9007199254740992,9007199254740993,-9223372036854775808,18446744073709551615,123456789012345678901234567890]}`,
		`{"n":[1e21,1e20,1E+21,1e-7,0.000001,0.1,0.30000000000000004,2.50,100,1e2,-1e-2]}`,
		`{"big":1e309,"small":-1e309}`,
		// __proto__ and other special keys
		`{"__proto__":[],"constructor":{"prototype":1},"toString":"x","hasOwnProperty":null}`,
		`{"a":{"__proto__":{"__proto__":{"__proto__":null}}},"b":[{"__proto__":1}]}`,
		`{"__proto__":1,"__proto__":2}`,
		// index-like keys, which objects list first and in numeric order
		`{"b":1,"2":2,"1":1,"0":0,"01":1,"-1":-1,"4294967295":1,"4294967294":1,"1.5":1,"9007199254740993":1,"":0}`,
		// whitespace the re-encoding removes
		" { \"a\" : [ 1 , { } ] \n\t} \r\n",
		// not objects: skipped
		`[1,2]`, `null`, `"s"`, `{`, `{"a":1}x`,
	} {
		seeds = append(seeds, []byte(s))
	}
	// nesting at the limit (the top-level object is the first level) and
	// one beyond it, which json.Unmarshal rejects as Run's caller would
	for _, depth := range []int{maxParamsDepth, maxParamsDepth + 1} {
		n := depth - 1
		seeds = append(seeds,
			[]byte(`{"a":`+strings.Repeat("[", n)+strings.Repeat("]", n)+`}`),
			[]byte(strings.Repeat(`{"a":`, depth)+`1`+strings.Repeat("}", depth)),
			[]byte(`{"a":`+strings.Repeat(`[{"b":`, n/2)+`"leaf"`+strings.Repeat("}]", n/2)+`}`))
	}
	return seeds
}
