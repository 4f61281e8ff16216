package devnet

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestReadBody: the body is read whole whether or not its length is
// announced, and one longer than the limit fails with *http.MaxBytesError.
func TestReadBody(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		announce bool
		max      int64
		tooLarge bool
	}{
		{"announced", "0123456789", true, 16, false},
		{"announced, at the limit", "0123456789", true, 10, false},
		{"unannounced", "0123456789", false, 16, false},
		{"empty", "", true, 16, false},
		{"announced, too large", "0123456789", true, 9, true},
		{"unannounced, too large", "0123456789", false, 9, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", io.NopCloser(strings.NewReader(tt.body)))
			r.ContentLength = -1
			if tt.announce {
				r.ContentLength = int64(len(tt.body))
			}
			got, err := readBody(httptest.NewRecorder(), r, tt.max)
			var mbe *http.MaxBytesError
			if tt.tooLarge {
				if !errors.As(err, &mbe) {
					t.Fatalf("err %v, want *http.MaxBytesError", err)
				}
				return
			}
			if err != nil || string(got) != tt.body {
				t.Fatalf("got %q, %v; want %q", got, err, tt.body)
			}
		})
	}
}
