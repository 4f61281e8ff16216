// Package jsonfast reads, in one pass and without reflection, the strict
// subset of JSON that Lit nodes and clients send in practice: printable
// ASCII strings with simple escapes, keys without escapes, plain numbers.
// Its users decode the shapes they expect with it and leave any other
// input to encoding/json, whose result on what they accept they must equal
// (each user fuzzes its decoder against encoding/json). encoding/json scans
// a text twice (validation, then decoding) and finds fields by reflection:
// about 12 µs for a 600-byte v2 node reply.
//
// What a Reader declines it declines by returning ok false: \u escapes
// (encoding/json's treatment of surrogates stays its own), bytes outside
// printable ASCII in strings, and keys with escapes.
package jsonfast

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Unmarshal is json.Unmarshal(data, &v) with fast tried first: fast must
// give what json.Unmarshal gives on every text it takes (ok true); any
// other text takes encoding/json, whose error Unmarshal returns.
func Unmarshal[T any](data []byte, fast func([]byte) (T, bool)) (T, error) {
	if v, ok := fast(data); ok {
		return v, nil
	}
	var v T
	err := json.Unmarshal(data, &v)
	return v, err
}

// Reader reads a JSON text from its start, one token at a time.
type Reader struct {
	b []byte
	i int
}

// NewReader returns a reader of b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Done skips whitespace and reports whether the text ends there.
func (d *Reader) Done() bool {
	d.ws()
	return d.i == len(d.b)
}

// Known returns key's index in keys, -1 for an unknown key, and ok false
// for a key that encoding/json would match to one of keys only ignoring
// case (it matches keys to struct fields exactly first, then ignoring
// case: a decoder that takes exact matches only must decline those).
func Known(key []byte, keys []string) (idx int, ok bool) {
	for i, k := range keys {
		if string(key) == k {
			return i, true
		}
	}
	for _, k := range keys {
		if len(key) == len(k) && strings.EqualFold(string(key), k) {
			return -1, false
		}
	}
	return -1, true
}

func (d *Reader) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// Consume skips whitespace and then c, reporting whether c was there.
func (d *Reader) Consume(c byte) bool {
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// Peek skips whitespace and returns the next byte (0 at the end).
func (d *Reader) Peek() byte {
	d.ws()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

// Literal consumes lit (true, false, null) if it comes next.
func (d *Reader) Literal(lit string) bool {
	d.ws()
	if len(d.b)-d.i >= len(lit) && string(d.b[d.i:d.i+len(lit)]) == lit {
		d.i += len(lit)
		return true
	}
	return false
}

// NextKey reads the next member's key of an object whose '{' was read
// (first: no member read yet) and the ':' after it; done reports the
// object's end instead.
func (d *Reader) NextKey(first bool) (key []byte, done, ok bool) {
	if d.Consume('}') {
		return nil, true, true
	}
	if !first && !d.Consume(',') {
		return nil, false, false
	}
	if d.Peek() != '"' {
		return nil, false, false
	}
	key, ok = d.key()
	if !ok || !d.Consume(':') {
		return nil, false, false
	}
	return key, false, true
}

// key reads a string of printable ASCII without escapes; the result is
// a slice of the body.
func (d *Reader) key() ([]byte, bool) {
	d.i++ // the opening quote
	start := d.i
	for ; d.i < len(d.b); d.i++ {
		switch c := d.b[d.i]; {
		case c == '"':
			d.i++
			return d.b[start : d.i-1], true
		case c < 0x20 || c > 0x7e || c == '\\':
			return nil, false
		}
	}
	return nil, false
}

// Str reads a string of printable ASCII with simple escapes.
func (d *Reader) Str() (string, bool) {
	if d.Peek() != '"' {
		return "", false
	}
	start := d.i + 1
	escaped := false
	end := start
	for end < len(d.b) {
		c := d.b[end]
		if strPlain[c] {
			end++
			continue
		}
		if c == '"' {
			break
		}
		if c != '\\' {
			return "", false // a control byte, or not ASCII
		}
		escaped = true
		end += 2 // the escaped byte, checked below
	}
	if end >= len(d.b) {
		return "", false
	}
	d.i = end + 1
	if !escaped {
		return string(d.b[start:end]), true
	}
	out := make([]byte, 0, end-start)
	for i := start; i < end; {
		// Copy up to the next backslash, then decode its escape.
		j := bytes.IndexByte(d.b[i:end], '\\')
		if j < 0 {
			out = append(out, d.b[i:end]...)
			break
		}
		out = append(out, d.b[i:i+j]...)
		i += j + 1
		c := d.b[i]
		switch c {
		case '"', '\\', '/':
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		default:
			return "", false // \u, or invalid
		}
		out = append(out, c)
		i++
	}
	return string(out), true
}

// strPlain marks the bytes a string holds as they are: printable ASCII but
// the quote and the backslash.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c <= 0x7e; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// StrField reads a string into *dst, or null, which leaves *dst as it is
// (as encoding/json leaves a string field).
func (d *Reader) StrField(dst *string) bool {
	if d.Literal("null") {
		return true
	}
	s, ok := d.Str()
	if ok {
		*dst = s
	}
	return ok
}

// OptStr reads a string or null into *dst (null: nil).
func (d *Reader) OptStr(dst **string) bool {
	if d.Literal("null") {
		*dst = nil
		return true
	}
	s, ok := d.Str()
	if ok {
		*dst = &s
	}
	return ok
}

// Number reads a JSON number and returns its text (a slice of the body).
func (d *Reader) Number() ([]byte, bool) {
	d.ws()
	start := d.i
	digits := func() int {
		n := 0
		for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.i < len(d.b) && d.b[d.i] == '-' {
		d.i++
	}
	if d.i < len(d.b) && d.b[d.i] == '0' {
		d.i++
	} else if digits() == 0 {
		return nil, false
	}
	if d.i < len(d.b) && d.b[d.i] == '.' {
		d.i++
		if digits() == 0 {
			return nil, false
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		d.i++
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			return nil, false
		}
	}
	return d.b[start:d.i], true
}

// SkipSimple skips a value that is a string, a number, a literal, {} or [].
func (d *Reader) SkipSimple() bool {
	switch c := d.Peek(); {
	case c == '"':
		_, ok := d.Str()
		return ok
	case c == '-' || (c >= '0' && c <= '9'):
		_, ok := d.Number()
		return ok
	case c == '{':
		d.i++
		return d.Consume('}')
	case c == '[':
		d.i++
		return d.Consume(']')
	}
	return d.Literal("true") || d.Literal("false") || d.Literal("null")
}

// maxRawDepth bounds the nesting RawComposite follows.
const maxRawDepth = 64

// RawComposite reads an object or an array without checking what is
// inside it, only that its strings end and its brackets match (to a depth
// of maxRawDepth), and returns its bytes, a slice of the text. The caller
// must establish that they are valid JSON: by decoding them, or by finding
// them equal to bytes it decoded before.
func (d *Reader) RawComposite() ([]byte, bool) {
	if c := d.Peek(); c != '{' && c != '[' {
		return nil, false
	}
	start := d.i
	var closers [maxRawDepth]byte
	depth := 0
	for ; d.i < len(d.b); d.i++ {
		switch c := d.b[d.i]; c {
		case '"':
			for d.i++; d.i < len(d.b) && d.b[d.i] != '"'; d.i++ {
				if d.b[d.i] == '\\' {
					d.i++
				}
			}
			if d.i >= len(d.b) {
				return nil, false
			}
		case '{', '[':
			if depth == maxRawDepth {
				return nil, false
			}
			closers[depth] = c + 2 // '}' and ']' follow their openers by two
			depth++
		case '}', ']':
			if depth == 0 || closers[depth-1] != c {
				return nil, false
			}
			depth--
			if depth == 0 {
				d.i++
				return d.b[start:d.i], true
			}
		}
	}
	return nil, false
}

// Object reads an object, calling member with each key; the reader is
// then at the key's value, which member must read.
func (d *Reader) Object(member func(key []byte) bool) bool {
	if !d.Consume('{') {
		return false
	}
	for first := true; ; first = false {
		key, done, ok := d.NextKey(first)
		if !ok {
			return false
		}
		if done {
			return true
		}
		if !member(key) {
			return false
		}
	}
}

// Array reads an array, calling elem for each element, which elem must
// read; it declines a trailing comma.
func (d *Reader) Array(elem func() bool) bool {
	if !d.Consume('[') {
		return false
	}
	if d.Consume(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if d.Consume(']') {
			return true
		}
		if !d.Consume(',') {
			return false
		}
	}
}

// Fields reads an object whose known keys are keys (at most 64): field
// reads the value of keys[idx]. It declines a known key given twice (which
// encoding/json would take, the last value winning, or merging into a
// struct), a key that matches one of keys only ignoring case (see Known),
// and any other key unless simple allows skipping its value when it is
// simple (SkipSimple).
func (d *Reader) Fields(keys []string, simple bool, field func(idx int) bool) bool {
	var seen uint64
	return d.Object(func(key []byte) bool {
		idx, ok := Known(key, keys)
		switch {
		case !ok:
			return false
		case idx < 0:
			return simple && d.SkipSimple()
		case seen&(1<<idx) != 0:
			return false
		}
		seen |= 1 << idx
		return field(idx)
	})
}

// ValidComposite reads an object or an array that is valid JSON (checked
// with json.Valid) and returns its bytes, a slice of the text.
func (d *Reader) ValidComposite() ([]byte, bool) {
	raw, ok := d.RawComposite()
	return raw, ok && json.Valid(raw)
}

// Map reads an object into a new map, value reading each member's value;
// it declines a name given twice (encoding/json would keep the last).
func Map[V any](d *Reader, value func(v *V) bool) (map[string]V, bool) {
	m := map[string]V{}
	ok := d.Object(func(name []byte) bool {
		if _, dup := m[string(name)]; dup {
			return false
		}
		var v V
		if !value(&v) {
			return false
		}
		m[string(name)] = v
		return true
	})
	return m, ok
}
