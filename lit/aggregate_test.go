package lit

import (
	"testing"
)

// TestConsistencyKey: what must agree across replies is each signature's
// name (quoted, so no name can pass for another's with its separators),
// public key and signed data, in name order.
func TestConsistencyKey(t *testing.T) {
	share := func(pub, data string) ecdsaShare { return ecdsaShare{PublicKeyHex: pub, DataSignedHex: data} }
	for _, tt := range []struct {
		shares map[string]ecdsaShare
		want   string
	}{
		{nil, ""},
		{map[string]ecdsaShare{"sig1": share("04ab", "cd")}, `"sig1":04ab:cd;`},
		{map[string]ecdsaShare{"b": share("04", "02"), "a": share("04", "01")}, `"a":04:01;"b":04:02;`},
		{map[string]ecdsaShare{"x\":y;\n": share("", "")}, `"x\":y;\n"::;`},
		{map[string]ecdsaShare{"é\x00": share("1", "2")}, `"é\x00":1:2;`},
	} {
		if got := string(appendConsistencyKey(nil, executeReply{Shares: tt.shares})); got != tt.want {
			t.Errorf("appendConsistencyKey(nil, %v) = %q, want %q", tt.shares, got, tt.want)
		}
	}
}
