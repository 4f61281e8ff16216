// Package jsonfasttest checks a decoder built on jsonfast against
// encoding/json: on every text the fast decoder takes, both must give the
// same value.
package jsonfasttest

import (
	"encoding/json"
	"reflect"
	"testing"
)

// Case is a text and whether the fast decoder must take it.
type Case struct {
	Name string
	Text string
	Fast bool
}

// Decoder decodes a text; ok is false when it declines (fast decoders) or
// fails (the reference).
type Decoder[T any] func(text []byte) (v T, ok bool)

// Unmarshal is the usual reference: json.Unmarshal into a T.
func Unmarshal[T any](text []byte) (T, bool) {
	var v T
	return v, json.Unmarshal(text, &v) == nil
}

// Check runs each case through fast, requires it to take exactly the cases
// marked Fast, and compares what it gives with want's value.
func Check[T any](t *testing.T, cases []Case, fast, want Decoder[T]) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			got, ok := fast([]byte(c.Text))
			if ok != c.Fast {
				t.Fatalf("fast decoder took %q: %v, want %v", c.Text, ok, c.Fast)
			}
			if ok {
				Same(t, []byte(c.Text), got, want)
			}
		})
	}
}

// Same fails unless want takes text and gives got.
func Same[T any](t *testing.T, text []byte, got T, want Decoder[T]) {
	t.Helper()
	w, ok := want(text)
	if !ok {
		t.Fatalf("fast decoder took %q, which encoding/json refuses", text)
	}
	if !reflect.DeepEqual(got, w) {
		t.Fatalf("text %q:\nfast decoder:  %+v\nencoding/json: %+v", text, got, w)
	}
}

// Fuzz seeds f with the cases and checks, on every text the fuzzer makes,
// that what fast takes it gives as want does.
func Fuzz[T any](f *testing.F, cases []Case, fast, want Decoder[T]) {
	for _, c := range cases {
		f.Add([]byte(c.Text))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		if got, ok := fast(text); ok {
			Same(t, text, got, want)
		}
	})
}
