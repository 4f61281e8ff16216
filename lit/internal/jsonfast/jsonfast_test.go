package jsonfast

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRawComposite(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" when declined
		rest string // what follows
	}{
		{` {"a":[1,{"b":"}]"}],"c":"\"{"} x`, `{"a":[1,{"b":"}]"}],"c":"\"{"}`, " x"},
		{`[[],{}]`, `[[],{}]`, ""},
		{`{"a":"\\"}`, `{"a":"\\"}`, ""},
		{`{"a":1]`, "", ""},
		{`{"a":"b}`, "", ""},
		{`{`, "", ""},
		{`"a"`, "", ""},
		{`[{]}`, "", ""},
	}
	for _, tt := range tests {
		d := NewReader([]byte(tt.in))
		got, ok := d.RawComposite()
		if ok != (tt.want != "") || string(got) != tt.want {
			t.Errorf("RawComposite(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
			continue
		}
		if ok && string(d.b[d.i:]) != tt.rest {
			t.Errorf("RawComposite(%q) left %q, want %q", tt.in, d.b[d.i:], tt.rest)
		}
	}
}

// TestStrMatchesJSON checks the strings Str accepts against encoding/json.
func TestStrMatchesJSON(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{`"plain"`, true},
		{`"a\"b\\c\/d\be\ff\ng\rh\ti"`, true},
		{`""`, true},
		{`"\u0041"`, false},
		{`"é"`, false},
		{"\"a\tb\"", false},
		{`"\x"`, false},
		{`"abc`, false},
		{`"\`, false},
	}
	for _, tt := range tests {
		got, ok := NewReader([]byte(tt.in)).Str()
		if ok != tt.ok {
			t.Errorf("Str(%q) ok = %v, want %v", tt.in, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		var want string
		if err := json.Unmarshal([]byte(tt.in), &want); err != nil || got != want {
			t.Errorf("Str(%q) = %q; encoding/json: %q, %v", tt.in, got, want, err)
		}
	}
}

func TestNumberGrammar(t *testing.T) {
	for in, ok := range map[string]bool{
		"0": true, "-0": true, "12": true, "1.5": true, "-1.5e+10": true, "1E-2": true,
		"01": false, "-": false, "1.": false, ".5": false, "1e": false, "+1": false,
	} {
		d := NewReader([]byte(in))
		_, got := d.Number()
		if got && !d.Done() {
			got = false // a prefix was a number, the rest is not
		}
		if got != ok {
			t.Errorf("Number(%q) = %v, want %v", in, got, ok)
		}
		if got != json.Valid([]byte(in)) {
			t.Errorf("Number(%q) = %v, json.Valid = %v", in, got, json.Valid([]byte(in)))
		}
	}
}

func TestStrFieldAndMap(t *testing.T) {
	s := "kept"
	if !NewReader([]byte(` null`)).StrField(&s) || s != "kept" {
		t.Fatalf("StrField(null) changed the field to %q", s)
	}
	if !NewReader([]byte(`"x\n"`)).StrField(&s) || s != "x\n" {
		t.Fatalf("StrField = %q", s)
	}
	str := func(d *Reader) func(*string) bool { return func(v *string) bool { return d.StrField(v) } }
	d := NewReader([]byte(`{"a":"1","b":null}`))
	m, ok := Map(d, str(d))
	if !ok || len(m) != 2 || m["a"] != "1" || m["b"] != "" {
		t.Fatalf("Map = %v, %v", m, ok)
	}
	d = NewReader([]byte(`{"a":"1","a":"2"}`))
	if _, ok := Map(d, str(d)); ok {
		t.Fatal("Map took a repeated name")
	}
	if _, ok := NewReader([]byte(`{"a":}`)).ValidComposite(); ok {
		t.Fatal("ValidComposite took invalid JSON")
	}
	if raw, ok := NewReader([]byte(` [1, {"a": "]"}] `)).ValidComposite(); !ok || string(raw) != `[1, {"a": "]"}]` {
		t.Fatalf("ValidComposite = %q, %v", raw, ok)
	}
}

// TestArray reads arrays of numbers: the elements and what follows, or a
// decline.
func TestArray(t *testing.T) {
	tests := []struct {
		in   string
		want string // the elements joined by "|"; "-" when declined
		rest string
	}{
		{`[]`, "", ""},
		{` [ 1 , 2 ] x`, "1|2", " x"},
		{`[3]`, "3", ""},
		{`[1,]`, "-", ""},
		{`[,1]`, "-", ""},
		{`[1 2]`, "-", ""},
		{`[1`, "-", ""},
		{`{}`, "-", ""},
		{`["a"]`, "-", ""},
	}
	for _, tt := range tests {
		d := NewReader([]byte(tt.in))
		var got []string
		ok := d.Array(func() bool {
			n, ok := d.Number()
			got = append(got, string(n))
			return ok
		})
		joined := "-"
		if ok {
			joined = strings.Join(got, "|")
		}
		if joined != tt.want {
			t.Errorf("Array(%q) = %q, want %q", tt.in, joined, tt.want)
			continue
		}
		if ok && string(d.b[d.i:]) != tt.rest {
			t.Errorf("Array(%q) left %q, want %q", tt.in, d.b[d.i:], tt.rest)
		}
	}
}

// FuzzStr: a string Str takes is the one encoding/json reads from the same
// bytes, and Str stops right after its closing quote.
func FuzzStr(f *testing.F) {
	for _, s := range []string{`"plain"`, `"a\"b\\c\/d\be\ff\ng\rh\ti"`, `""`, `"\u0041"`, `"x\"y" tail`, shareString} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		d := NewReader(in)
		got, ok := d.Str()
		if !ok {
			return
		}
		var want string
		if err := json.Unmarshal(in[:d.i], &want); err != nil || got != want {
			t.Fatalf("Str(%q) = %q; encoding/json on %q: %q, %v", in, got, in[:d.i], want, err)
		}
	})
}
