package action

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/dop251/goja"
)

// consoleMethods are console's keys in order.
var consoleMethods = []string{"log", "info", "warn", "error", "debug", "trace"}

// installConsole defines console.log/info/warn/error/debug. Each call
// appends one line to the logs: its arguments formatted and joined by
// spaces, strings as-is and other values roughly as Node prints them.
func (r *run) installConsole() error {
	logf := func(call goja.FunctionCall) goja.Value {
		parts := make([]string, len(call.Arguments))
		for i, a := range call.Arguments {
			parts[i] = r.format(a, true)
		}
		if err := r.logs.line(strings.Join(parts, " ")); err != nil {
			panic(r.jsError(err))
		}
		return goja.Undefined()
	}
	// Each method is its own function, as in Node.
	console := newLazyObject(r.vm, consoleMethods, func(string) goja.Value { return r.vm.ToValue(logf) })
	return r.vm.Set("console", console)
}

// format renders one console argument. top is false inside containers,
// where strings are quoted.
func (r *run) format(v goja.Value, top bool) (s string) {
	defer func() {
		if p := recover(); p != nil {
			if _, intr := p.(*goja.InterruptedError); intr {
				panic(p)
			}
			s = "[object]"
		}
	}()
	switch {
	case v == nil || goja.IsUndefined(v):
		return "undefined"
	case goja.IsNull(v):
		return "null"
	}
	if sym, ok := v.(*goja.Symbol); ok {
		return symbolString(sym)
	}
	obj, isObj := v.(*goja.Object)
	if !isObj {
		switch x := v.Export().(type) {
		case string:
			if top {
				return x
			}
			return strconv.Quote(x)
		default:
			if v.ExportType() != nil && v.ExportType().String() == "*big.Int" {
				return v.String() + "n"
			}
			return v.String()
		}
	}
	if _, ok := goja.AssertFunction(obj); ok {
		name := obj.Get("name")
		if name == nil || name.String() == "" {
			return "[Function (anonymous)]"
		}
		return "[Function: " + name.String() + "]"
	}
	switch obj.ClassName() {
	case "Error":
		if st := obj.Get("stack"); st != nil && !goja.IsUndefined(st) {
			return st.String()
		}
		return obj.String()
	}
	if b, ok := obj.Export().([]byte); ok && obj.ClassName() != "Array" {
		return formatBytes(b)
	}
	stringify, ok := goja.AssertFunction(r.vm.Get("JSON").ToObject(r.vm).Get("stringify"))
	if !ok {
		return obj.String()
	}
	out, err := stringify(goja.Undefined(), obj)
	if err != nil || out == nil || goja.IsUndefined(out) {
		if err != nil {
			r.jsValueOf(err) // re-raises an interrupt
		}
		return obj.String()
	}
	return out.String()
}

// formatBytes prints a Uint8Array like Node: "Uint8Array(3) [ 1, 2, 3 ]".
func formatBytes(b []byte) string {
	var s strings.Builder
	s.WriteString("Uint8Array(" + strconv.Itoa(len(b)) + ") [")
	const show = 100
	for i, c := range b {
		if i == show {
			s.WriteString(" ... " + strconv.Itoa(len(b)-show) + " more items,")
			break
		}
		s.WriteString(" " + strconv.Itoa(int(c)) + ",")
	}
	str := strings.TrimSuffix(s.String(), ",")
	if len(b) == 0 {
		return str + "]"
	}
	return str + " ]"
}

// frameString renders one stack frame.
func frameString(f goja.StackFrame) string {
	var b bytes.Buffer
	f.Write(&b)
	return b.String()
}
