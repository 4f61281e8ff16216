package fieldhash

import (
	"crypto/sha256"
	"testing"
)

// TestSum: equal lists share a digest; lists whose concatenation is the
// same do not; the digest is SHA-256 of the length-prefixed fields.
func TestSum(t *testing.T) {
	same := []string{"a", "bc"}
	if Sum(same...) != Sum("a", "bc") {
		t.Fatal("the same fields gave two digests")
	}
	for _, other := range [][]string{{"ab", "c"}, {"abc"}, {"a", "bc", ""}, {"", "a", "bc"}, {}} {
		if Sum("a", "bc") == Sum(other...) {
			t.Errorf("(a, bc) and %q share a digest", other)
		}
	}
	want := sha256.Sum256([]byte("\x00\x00\x00\x00\x00\x00\x00\x01a\x00\x00\x00\x00\x00\x00\x00\x02bc"))
	if got := Sum("a", "bc"); got != want {
		t.Errorf("Sum(a, bc) = %x, want %x", got, want)
	}
}
