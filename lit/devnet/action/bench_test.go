package action

import (
	"context"
	"testing"
)

// BenchmarkRunSeed runs the seed program's action (one signEcdsa).
func BenchmarkRunSeed(b *testing.B) {
	src := `const go = async () => { const s = await LitActions.signEcdsa({ toSign, publicKey, sigName }); }; go();`
	params := map[string]any{"toSign": []int{72, 101, 108, 108, 111}, "publicKey": testPub, "sigName": "sig1"}
	for b.Loop() {
		if _, err := Run(context.Background(), src, params, nil, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
