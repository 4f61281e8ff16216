package textclip

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClip(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    string
		max  int
		want string
	}{
		{"short", "abc", 5, "abc"},
		{"exact", "abcde", 5, "abcde"},
		{"ascii cut", "abcdef", 5, "abcde..."},
		{"before a 2-byte rune", "abcdé", 5, "abcd..."}, // é is 2 bytes: 4 + 2 > 5
		{"inside a 3-byte rune", "ab€cd", 3, "ab..."},
		{"inside a 4-byte rune", "a😀b", 2, "a..."},
		{"first rune too long", "😀", 2, "..."},
		{"invalid UTF-8 repaired", "a\xffb", 10, "a\uFFFDb"},
		{"zero", "abc", 0, "..."},
		{"negative", "abc", -1, "..."},
		{"empty", "", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Clip(tc.s, tc.max)
			if got != tc.want {
				t.Fatalf("Clip(%q, %d) = %q, want %q", tc.s, tc.max, got, tc.want)
			}
			if !utf8.ValidString(got) {
				t.Fatalf("Clip(%q, %d) = %q is not valid UTF-8", tc.s, tc.max, got)
			}
		})
	}
}

// FuzzClip: the result is valid UTF-8, at most max bytes before the
// ellipsis, and a prefix of the repaired input.
func FuzzClip(f *testing.F) {
	f.Add("h€llo wörld", 4)
	f.Add("\xff\xfe", 1)
	f.Fuzz(func(t *testing.T, s string, max int) {
		max %= 1024
		got := Clip(s, max)
		if max < 0 {
			max = 0 // Clip treats a negative max as 0
		}
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 %q", got)
		}
		body := strings.TrimSuffix(got, Ellipsis)
		if body != got && len(body) > max {
			t.Fatalf("clipped to %d bytes, max %d", len(body), max)
		}
		if !strings.HasPrefix(strings.ToValidUTF8(s, "\uFFFD"), body) {
			t.Fatalf("%q is not a prefix of %q", body, s)
		}
	})
}

func TestCut(t *testing.T) {
	tests := []struct {
		s       string
		max     int
		head    string
		dropped int
	}{
		{"abc", 5, "abc", 0},
		{"abc", 3, "abc", 0},
		{"abcdef", 4, "abcd", 2},
		{"aé", 2, "a", 2}, // é is two bytes: not cut inside it
		{"abc", -1, "", 3},
	}
	for _, tt := range tests {
		if head, dropped := Cut(tt.s, tt.max); head != tt.head || dropped != tt.dropped {
			t.Errorf("Cut(%q, %d) = %q, %d; want %q, %d", tt.s, tt.max, head, dropped, tt.head, tt.dropped)
		}
	}
}
