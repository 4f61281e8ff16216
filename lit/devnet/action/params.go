package action

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/dop251/goja"
)

// maxParamsDepth is the deepest nesting of jsParams accepted, that of
// encoding/json (which JSON.parse in goja used).
const maxParamsDepth = 10000

// errParamsSyntax is returned for bytes that are not the JSON json.Marshal
// writes (it never happens for Marshal's output).
var errParamsSyntax = errors.New("malformed JSON")

// paramsDecoder builds JavaScript values from JSON as the VM's JSON.parse
// does (plain objects with their keys in text order, plain arrays, numbers
// as float64, strings decoded like encoding/json), without the VM's
// token-by-token encoding/json decoder, which was a tenth of a run. Its
// input is json.Marshal's output: valid, compact JSON.
type paramsDecoder struct {
	vm    *goja.Runtime
	data  []byte
	pos   int
	depth int
}

// decodeParams returns the JavaScript value of paramsJSON.
func decodeParams(vm *goja.Runtime, paramsJSON []byte) (goja.Value, error) {
	d := &paramsDecoder{vm: vm, data: paramsJSON}
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	d.space()
	if d.pos != len(d.data) {
		return nil, fmt.Errorf("%w: data after the value at offset %d", errParamsSyntax, d.pos)
	}
	return v, nil
}

func (d *paramsDecoder) space() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *paramsDecoder) syntaxError() error {
	return fmt.Errorf("%w at offset %d", errParamsSyntax, d.pos)
}

// value decodes the value at pos.
func (d *paramsDecoder) value() (goja.Value, error) {
	d.space()
	if d.pos >= len(d.data) {
		return nil, d.syntaxError()
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		s, err := d.string()
		if err != nil {
			return nil, err
		}
		return d.vm.ToValue(s), nil
	case c == 'n':
		return goja.Null(), d.literal("null")
	case c == 't':
		return d.vm.ToValue(true), d.literal("true")
	case c == 'f':
		return d.vm.ToValue(false), d.literal("false")
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	}
	return nil, d.syntaxError()
}

func (d *paramsDecoder) literal(word string) error {
	if len(d.data)-d.pos < len(word) || string(d.data[d.pos:d.pos+len(word)]) != word {
		return d.syntaxError()
	}
	d.pos += len(word)
	return nil
}

// number decodes a number as encoding/json does: strconv.ParseFloat.
func (d *paramsDecoder) number() (goja.Value, error) {
	start := d.pos
	for d.pos < len(d.data) {
		switch c := d.data[d.pos]; {
		case c >= '0' && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
			d.pos++
			continue
		}
		break
	}
	f, err := strconv.ParseFloat(string(d.data[start:d.pos]), 64)
	if err != nil {
		return nil, fmt.Errorf("%w: number %s: %v", errParamsSyntax, d.data[start:d.pos], err)
	}
	return d.vm.ToValue(f), nil
}

// string decodes the string at pos; one with escapes is decoded by
// encoding/json, so that it reads exactly as before.
func (d *paramsDecoder) string() (string, error) {
	start := d.pos
	d.pos++ // opening quote
	escaped := false
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case '\\':
			escaped = true
			d.pos += 2
			continue
		case '"':
			d.pos++
			raw := d.data[start:d.pos]
			if !escaped {
				return string(raw[1 : len(raw)-1]), nil
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return "", fmt.Errorf("%w: string at offset %d: %v", errParamsSyntax, start, err)
			}
			return s, nil
		}
		d.pos++
	}
	return "", d.syntaxError()
}

func (d *paramsDecoder) enter() error {
	d.depth++
	if d.depth > maxParamsDepth {
		return fmt.Errorf("%w: nested deeper than %d", errParamsSyntax, maxParamsDepth)
	}
	d.pos++ // the opening bracket
	return nil
}

// object decodes an object into a plain object whose properties are
// defined (not assigned, so "__proto__" is an own key) in text order.
func (d *paramsDecoder) object() (goja.Value, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	obj := d.vm.NewObject()
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		d.depth--
		return obj, nil
	}
	for {
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.syntaxError()
		}
		key, err := d.string()
		if err != nil {
			return nil, err
		}
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.syntaxError()
		}
		d.pos++
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		if err := obj.DefineDataProperty(key, v, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE); err != nil {
			return nil, err
		}
		d.space()
		if d.pos >= len(d.data) {
			return nil, d.syntaxError()
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			d.depth--
			return obj, nil
		default:
			return nil, d.syntaxError()
		}
	}
}

// array decodes an array into a plain array.
func (d *paramsDecoder) array() (goja.Value, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	var items []any
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		d.depth--
		return d.vm.NewArray(), nil
	}
	for {
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		items = append(items, v)
		d.space()
		if d.pos >= len(d.data) {
			return nil, d.syntaxError()
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			d.depth--
			return d.vm.NewArray(items...), nil
		default:
			return nil, d.syntaxError()
		}
	}
}
