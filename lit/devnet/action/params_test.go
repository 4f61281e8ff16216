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
			requireLikeJSONParse(t, data)
		})
	}
}

// describeJS walks a value: types, prototypes, own keys in order (__proto__
// included), property attributes, values and the sign of zero. Two values
// with the same description are the same to an action. It walks with its
// own stack and pushes parts onto one array: recursion in the VM and
// nested string concatenation made a value 10000 levels deep take a second.
const describeJS = `(function (root) {
	const out = [];
	const todo = [false, root]; // pairs: isText, then a text or a value
	while (todo.length > 0) {
		const v = todo.pop();
		if (todo.pop()) {
			out.push(v);
			continue;
		}
		if (v === null || typeof v !== "object") {
			out.push(typeof v + ":" + (Object.is(v, -0) ? "-0" : String(v)));
			continue;
		}
		const proto = Object.getPrototypeOf(v) === Object.prototype ? "O" : Object.getPrototypeOf(v) === Array.prototype ? "A" : "?";
		out.push(proto + (Array.isArray(v) ? "[]" : "{}") + Object.isExtensible(v) + "(");
		todo.push(true, ")");
		const keys = Reflect.ownKeys(v);
		for (let i = keys.length - 1; i >= 0; i--) {
			const d = Object.getOwnPropertyDescriptor(v, keys[i]);
			todo.push(false, d.value);
			todo.push(true, (i > 0 ? "," : "") + String(keys[i]) + "=" + [d.writable, d.enumerable, d.configurable, "get" in d].join(""));
		}
	}
	return out.join("");
})`

// requireLikeJSONParse fails t unless decodeParams builds from data, in a
// fresh runtime, the value the VM's JSON.parse builds from it.
func requireLikeJSONParse(t testing.TB, data []byte) {
	t.Helper()
	vm := goja.New()
	got, err := decodeParams(vm, data)
	if err != nil {
		t.Fatalf("decodeParams(%.200q): %v", data, err)
	}
	parse, ok := goja.AssertFunction(vm.Get("JSON").ToObject(vm).Get("parse"))
	if !ok {
		t.Fatal("JSON.parse is not a function")
	}
	want, err := parse(goja.Undefined(), vm.ToValue(string(data)))
	if err != nil {
		t.Fatalf("JSON.parse(%.200q): %v", data, err)
	}
	describe, err := vm.RunString(describeJS)
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
		t.Errorf("input %.200q\ndecodeParams = %.500s\nJSON.parse   = %.500s", data, g, w)
	}
}

func deepParams(n int) any {
	var v any = "leaf"
	for range n {
		v = []any{map[string]any{"d": v}}
	}
	return map[string]any{"deep": v}
}

func TestDecodeParamsRejects(t *testing.T) {
	for _, in := range []string{``, `{`, `{"a"}`, `{"a":1,}`, `[1 2]`, `"x`, `nul`, `1e400`, `{} x`, strings.Repeat("[", maxParamsDepth+1)} {
		if _, err := decodeParams(goja.New(), []byte(in)); !errors.Is(err, errParamsSyntax) {
			t.Errorf("decodeParams(%.20q) err = %v, want errParamsSyntax", in, err)
		}
	}
}
