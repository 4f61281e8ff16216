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

// BenchmarkRunSeed32 is BenchmarkRunSeed with the devnet seed's toSign: a
// plain array of 32 numbers, which signEcdsa converts as
// new Uint8Array(toSign) does.
func BenchmarkRunSeed32(b *testing.B) {
	src := `const go = async () => { const s = await LitActions.signEcdsa({ toSign, publicKey, sigName }); }; go();`
	toSign := make([]int, 32)
	for i := range toSign {
		toSign[i] = (i*37 + 11) & 255
	}
	params := map[string]any{"toSign": toSign, "publicKey": testPub, "sigName": "sig1"}
	for b.Loop() {
		if _, err := Run(context.Background(), src, params, nil, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
