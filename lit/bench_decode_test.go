package lit

import (
	"encoding/json"
	"testing"
)

// v2ReplyFixture is a signer's executeJs reply shaped as a real v2 node
// sends it (keys in the node's order, hex fields at their real sizes).
func v2ReplyFixture(b testing.TB) []byte {
	b.Helper()
	key := testPKP(b)
	d := dealSignature(b, key, helloWorld, 6)
	sh := d.shareFor(key, helloWorld, "sig1", 0)
	body, err := json.Marshal(map[string]any{"success": true, "decryptedData": map[string]any{},
		"claimData": map[string]any{}, "signedData": map[string]Share{"sig1": sh},
		"response": `{"ok":true}`, "logs": "hello from the action\n"})
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// BenchmarkV2Decode measures decoding one v2 node's executeJs reply.
func BenchmarkV2Decode(b *testing.B) {
	body := v2ReplyFixture(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	start := cpuTime(b)
	for b.Loop() {
		if _, err := (protoV2{}).decode(nil, nil, 200, body); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
}
