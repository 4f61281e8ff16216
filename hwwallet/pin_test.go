package hwwallet_test

import (
	"strings"
	"testing"

	"github.com/litsigner/litsigner/hwwallet"
)

func TestCheckPINPositions(t *testing.T) {
	for _, tc := range []struct {
		pos string
		max int
		ok  bool
	}{
		{"1", 9, true},
		{"123456789", 9, true},
		{"1234567891", 9, false},
		{strings.Repeat("9", 50), hwwallet.MaxPINPositions, true},
		{strings.Repeat("9", 51), hwwallet.MaxPINPositions, false},
		{"", 9, false},
		{"1204", 9, false},
		{"12a4", 9, false},
		{"١", 9, false}, // a digit, but not an ASCII keypad position
	} {
		if err := hwwallet.CheckPINPositions(tc.pos, tc.max); (err == nil) != tc.ok {
			t.Errorf("CheckPINPositions(%q, %d) = %v, want ok %v", tc.pos, tc.max, err, tc.ok)
		}
	}
}
