package devnet

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestTruncateKeepsRunes: text echoed into an error is cut on a rune
// boundary, so the error body stays valid UTF-8 (it once cut inside a rune).
func TestTruncateKeepsRunes(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"ab€", 3, "ab..."},
		{"ab€", 4, "ab..."},
		{"ab€", 5, "ab€"},
		{strings.Repeat("é", 40), 64, strings.Repeat("é", 32) + "..."},
		{strings.Repeat("é", 40), 63, strings.Repeat("é", 31) + "..."},
	} {
		got := truncate(tc.s, tc.n)
		if got != tc.want || !utf8.ValidString(got) {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}

// TestIPFSIDIsCIDv0: the devnet applies lit's CIDv0 rule (base58, not just
// "Qm" and the length).
func TestIPFSIDIsCIDv0(t *testing.T) {
	for id, ok := range map[string]bool{
		"QmTBdeNbkJhfeJW2BpiFnQ5zMTcgNCw2pNa1vkJFmN3v5d": true,
		"Qm0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl0OIl": false,
		"QmTBdeNbkJhfeJW2BpiFnQ5zMTcgNCw2pNa1vkJFmN3v5":  false,
	} {
		_, nerr := newActionCall("", id, nil)
		if (nerr == nil) != ok {
			t.Errorf("ipfsId %q: error %v, want ok %v", id, nerr, ok)
		}
	}
}
