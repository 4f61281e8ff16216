package attest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/litsigner/litsigner/lit/attest"
)

// A devnet node attests with a test authority; a client that was given the
// authority's roots file verifies it as it would a real node's.
func Example() {
	// Devnet side, at start: one authority, its roots written for clients.
	auth, err := attest.NewTestAuthority()
	if err != nil {
		panic(err)
	}
	dir, _ := os.MkdirTemp("", "attest-example")
	defer os.RemoveAll(dir)
	rootsFile := filepath.Join(dir, "roots.pem")
	if err := auth.WriteRoots(rootsFile); err != nil {
		panic(err)
	}
	// Per handshake: answer the challenge, bound to the node's address.
	challenge, _ := attest.ParseChallenge("1c0801ed00000000000000000000000000000000000000000000000000000000")
	att, _ := auth.Attest(challenge, "127.0.0.1:7470", nil)
	wire, _ := json.Marshal(att) // the handshake reply's "attestation"

	// Client side.
	roots, err := attest.LoadRoots(rootsFile)
	if err != nil {
		panic(err)
	}
	got, err := attest.ParseAttestation(wire)
	if err != nil {
		panic(err)
	}
	v, err := attest.Verify(context.Background(), got, challenge, "http://127.0.0.1:7470", &attest.Options{Roots: roots})
	fmt.Println(err == nil, string(v.Data[attest.DataExternalAddr]), v.VCEKSource)

	_, err = attest.Verify(context.Background(), got, challenge, "http://127.0.0.1:7471", &attest.Options{Roots: roots})
	fmt.Println(err)
	// Output:
	// true 127.0.0.1:7470 roots
	// node http://127.0.0.1:7471 attestation: wrong external address: EXTERNAL_ADDR is "127.0.0.1:7470", we talked to 127.0.0.1:7471
}
