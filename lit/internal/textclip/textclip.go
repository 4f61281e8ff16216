// Package textclip shortens text that came from the network (node error
// bodies, values echoed in error messages) so that it can be shown to a
// user: valid UTF-8, bounded length. The client (lit), its wire grammars
// and the devnet all clip with it, so they agree on what a clipped value
// looks like.
package textclip

import (
	"strings"
	"unicode/utf8"
)

// Ellipsis marks a clipped string.
const Ellipsis = "..."

// Clip returns s with invalid UTF-8 replaced by U+FFFD and, if it is then
// longer than max bytes, cut at the last rune boundary at or before max and
// followed by Ellipsis. It never cuts inside a rune.
func Clip(s string, max int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	head, dropped := Cut(s, max)
	if dropped == 0 {
		return s
	}
	return head + Ellipsis
}

// Cut returns the longest prefix of s that is at most max bytes (0 if max
// is negative) and does not end inside a rune, and how many bytes it
// leaves out. It does not touch invalid UTF-8 (see Clip).
func Cut(s string, max int) (head string, dropped int) {
	if max < 0 {
		max = 0
	}
	if len(s) <= max {
		return s, 0
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut], len(s) - cut
}
