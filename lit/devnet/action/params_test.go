package action

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/dop251/goja"
)

// TestDecodeParamsLikeJSONParse checks that decodeParams builds the values
// the VM's JSON.parse builds.
func TestDecodeParamsLikeJSONParse(t *testing.T) {
	tests := []struct {
		name   string
		params any
	}{
		{"nil", nil},
		{"empty", map[string]any{}},
		{"scalars", map[string]any{"s": "x", "n": 1.5, "i": 42, "neg": -7, "t": true, "f": false, "z": nil, "big": uint64(1<<64 - 1), "tiny": 5e-324, "exp": 1e21}},
		{"escapes", map[string]any{"s": "a\"b\\c\n\t<>&\u2028\x01 ☃ \xff end", "k\"ey": 1}},
		{"nested", map[string]any{"a": []any{1, []any{}, map[string]any{"b": []any{nil, "c"}}}, "o": map[string]any{"x": map[string]any{}}}},
		{"proto and index keys", map[string]any{"__proto__": map[string]any{"p": 1}, "1": "one", "0": "zero", "constructor": 2}},
		{"raw", json.RawMessage(`{"b": [1, 2.50, -0, 1E3], "a": {"__proto__": null}}`)},
		{"struct order", struct {
			Z int    `json:"z"`
			A string `json:"a"`
		}{1, "x"}},
		{"deep", deepParams(500)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := json.Marshal(tc.params)
			if err != nil {
				t.Fatal(err)
			}
			vm := goja.New()
			got, err := decodeParams(vm, data)
			if err != nil {
				t.Fatal(err)
			}
			want, err := vm.RunString("JSON.parse(" + strconvQuote(string(data)) + ")")
			if err != nil {
				t.Fatal(err)
			}
			// describe walks a value: types, prototypes, own keys in order
			// (__proto__ included), values and the sign of zero.
			describe, err := vm.RunString(`(function describe(v) {
				if (v === null || typeof v !== "object") return typeof v + ":" + (Object.is(v, -0) ? "-0" : String(v));
				const proto = Object.getPrototypeOf(v) === Object.prototype ? "O" : Object.getPrototypeOf(v) === Array.prototype ? "A" : "?";
				const own = Reflect.ownKeys(v).map(k => {
					const d = Object.getOwnPropertyDescriptor(v, k);
					return String(k) + "=" + [d.writable, d.enumerable, d.configurable, "get" in d].join("") + describe(d.value);
				});
				return proto + (Array.isArray(v) ? "[]" : "{}") + Object.isExtensible(v) + "(" + own.join(",") + ")";
			})`)
			if err != nil {
				t.Fatal(err)
			}
			fn, _ := goja.AssertFunction(describe)
			g, err := fn(goja.Undefined(), got)
			if err != nil {
				t.Fatal(err)
			}
			w, err := fn(goja.Undefined(), want)
			if err != nil {
				t.Fatal(err)
			}
			if g.String() != w.String() {
				t.Errorf("decodeParams = %s\nJSON.parse   = %s", g, w)
			}
		})
	}
}

func deepParams(n int) any {
	var v any = "leaf"
	for range n {
		v = []any{map[string]any{"d": v}}
	}
	return map[string]any{"deep": v}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestDecodeParamsRejects(t *testing.T) {
	for _, in := range []string{``, `{`, `{"a"}`, `{"a":1,}`, `[1 2]`, `"x`, `nul`, `1e400`, `{} x`, strings.Repeat("[", maxParamsDepth+1)} {
		if _, err := decodeParams(goja.New(), []byte(in)); !errors.Is(err, errParamsSyntax) {
			t.Errorf("decodeParams(%.20q) err = %v, want errParamsSyntax", in, err)
		}
	}
}
