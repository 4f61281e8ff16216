package action

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestPubkeyToTokenIDVectors(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "tokenid.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vectors []struct{ PublicKey, TokenID string }
	if err := json.Unmarshal(raw, &vectors); err != nil {
		t.Fatal(err)
	}
	for _, v := range vectors {
		got, err := PubkeyToTokenID(v.PublicKey)
		if err != nil || got != v.TokenID {
			t.Errorf("PubkeyToTokenID(%s) = %s, %v; want %s", v.PublicKey, got, err, v.TokenID)
		}
	}
	for _, bad := range []string{"", "0x", "0x0g", "abc"} {
		if _, err := PubkeyToTokenID(bad); err == nil {
			t.Errorf("PubkeyToTokenID(%q) accepted", bad)
		}
	}
}
