package lit

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkSessionSigs10Nodes signs one request's session signatures for
// a 10-node network.
func BenchmarkSessionSigs10Nodes(b *testing.B) {
	s := newTestSession(b, SessionOptions{})
	urls := make([]string, 10)
	for i := range urls {
		urls[i] = fmt.Sprintf("http://localhost:%d", 7470+i)
	}
	reqs := []ResourceAbilityRequest{LitActionRequest("*")}
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.signForNodes(urls, reqs, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCombineShares combines and verifies 6 shares (plus 4 empty ones).
func BenchmarkCombineShares(b *testing.B) {
	key := testPKP(b)
	d := dealSignature(b, key, helloWorld, 6)
	shares := make([]Share, 10)
	for i := range shares {
		shares[i] = d.shareFor(key, helloWorld, "sig1", i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := CombineECDSAShares(shares); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifySessionSig is a node's check of one session signature.
func BenchmarkVerifySessionSig(b *testing.B) {
	fx := loadFixture(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := VerifySessionSig(fx.Body.AuthSig, "http://localhost:7471", fixtureNow, "*"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifySessionSigCached is a node's check of a session signature
// it has verified before (a VerifyCache hit, as for every request of a
// session after its first): the cache keys, the time, node and resource
// checks.
func BenchmarkVerifySessionSigCached(b *testing.B) {
	fx := loadFixture(b)
	vc := NewVerifyCache(0)
	if err := vc.VerifySessionSig(fx.Body.AuthSig, "http://localhost:7471", fixtureNow, "*"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := vc.VerifySessionSig(fx.Body.AuthSig, "http://localhost:7471", fixtureNow, "*"); err != nil {
			b.Fatal(err)
		}
	}
}

func benchmarkTestNet(b *testing.B, slow []int) {
	n := newTestNet(b, 10, 6)
	n.signers = []int{0, 1, 3, 4, 6, 8}
	for _, i := range slow {
		n.setFault(i, testFault{Latency: 2 * time.Second})
	}
	c, err := NewClient(n.network())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	c.st = &netState{threshold: 6} // the handshake is not what is measured
	s := newTestSession(b, SessionOptions{})
	req := ExecuteJSRequest{Code: signCode, JSParams: helloParams(n.pkpHex())}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.ExecuteJS(context.Background(), s, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExecuteJSTestNet is a full executeJs round trip on 10 httptest
// nodes producing real shares.
func BenchmarkExecuteJSTestNet(b *testing.B) { benchmarkTestNet(b, nil) }

// BenchmarkExecuteJSTestNetSlowNonSigners adds 3 nodes outside the signing
// set that answer after 2 s: thanks to the threshold early return the cost
// stays that of BenchmarkExecuteJSTestNet.
func BenchmarkExecuteJSTestNetSlowNonSigners(b *testing.B) { benchmarkTestNet(b, []int{2, 5, 7}) }
