package attest

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Two authorities for the whole package: RSA key generation is the slow
// part, and every test only reads them.
var (
	authOnce      sync.Once
	authA, authB  *TestAuthority
	authErr       error
	testNode      = "http://127.0.0.1:7470"
	testNodeAddr  = "127.0.0.1:7470"
	testReleaseID = "0a1b2c3d" + "00112233445566778899aabbccddeeff00112233"
)

func authorities(t testing.TB) (*TestAuthority, *TestAuthority) {
	t.Helper()
	authOnce.Do(func() {
		if authA, authErr = NewTestAuthority(); authErr == nil {
			authB, authErr = NewTestAuthority()
		}
	})
	if authErr != nil {
		t.Fatal(authErr)
	}
	return authA, authB
}

func newChallenge(t testing.TB) [32]byte {
	t.Helper()
	var c [32]byte
	if _, err := rand.Read(c[:]); err != nil {
		t.Fatal(err)
	}
	return c
}

// wantReason checks err is an *Error for node with the given reason, and
// that its text names attestation and the node.
func wantReason(t *testing.T, err error, node string, reason error) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted, want %v", reason)
	}
	var ae *Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %T %v is not an *attest.Error", err, err)
	}
	if !errors.Is(err, reason) {
		t.Fatalf("error %q: reason %v, want %v", err, ae.Reason, reason)
	}
	if ae.Node != node || !strings.Contains(err.Error(), "attestation") || !strings.Contains(err.Error(), node) {
		t.Fatalf("error %q does not name the node %s and attestation", err, node)
	}
	return ae
}

// kdsServer serves a's VCEK as AMD's KDS on loopback and counts requests.
type kdsServer struct {
	*httptest.Server
	hits atomic.Int32
}

func newKDS(t *testing.T, h http.Handler) *kdsServer {
	t.Helper()
	k := &kdsServer{}
	k.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.hits.Add(1)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(k.Close)
	return k
}

// rootsOnly is a's ARK and ASK without its VCEK, so Verify must fetch it.
func rootsOnly(a *TestAuthority) *Roots {
	return &Roots{ARK: a.Roots().ARK, ASK: a.Roots().ASK}
}

var ctx = context.Background()

// noNetwork is a Getter for tests that must not fetch.
type noNetwork struct{}

func (noNetwork) Get(context.Context, string) ([]byte, error) {
	return nil, errors.New("no network in this test")
}
