package cli

import (
	"slices"
	"testing"
)

// TestHoistCommonFlags: --socket, --timeout and --json may come before the
// command; they move to where the command's parser reads them.
func TestHoistCommonFlags(t *testing.T) {
	for _, tc := range []struct {
		args, want []string
	}{
		{[]string{"status"}, []string{"status"}},
		{[]string{"--socket", "/s", "status"}, []string{"status", "--socket", "/s"}},
		{[]string{"--socket=/s", "--json", "-timeout", "1m", "exec", "a.js", "--param", "k=v"},
			[]string{"exec", "a.js", "--param", "k=v", "--socket=/s", "--json", "-timeout", "1m"}},
		{[]string{"--json", "wallet", "list"}, []string{"wallet", "list", "--json"}},
		{[]string{"--json", "exec", "--", "-odd.js"}, []string{"exec", "--json", "--", "-odd.js"}},
		{[]string{"--device", "x", "wallet"}, nil}, // not a common flag
		{[]string{"--socket"}, nil},
		{[]string{"--json"}, nil}, // no command
	} {
		if got := HoistCommonFlags(tc.args); !slices.Equal(got, tc.want) {
			t.Errorf("HoistCommonFlags(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}
