package lit

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha512"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"

	"filippo.io/edwards25519"
)

type edVector struct {
	line                int
	seed, pub, msg, sig []byte
}

// readEdVectors parses testdata/ed25519-vectors.txt (seed:pub:msg:sig).
func readEdVectors(t testing.TB) []edVector {
	t.Helper()
	f, err := os.Open("testdata/ed25519-vectors.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vs []edVector
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, ":")
		if len(parts) != 4 {
			t.Fatalf("line %d: %d fields", n, len(parts))
		}
		v := edVector{line: n}
		for i, dst := range []*[]byte{&v.seed, &v.pub, &v.msg, &v.sig} {
			if *dst, err = hex.DecodeString(parts[i]); err != nil {
				t.Fatalf("line %d field %d: %v", n, i, err)
			}
		}
		vs = append(vs, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestEd25519Vectors(t *testing.T) {
	vs := readEdVectors(t)
	if len(vs) < 40 {
		t.Fatalf("only %d vectors", len(vs))
	}
	for _, v := range vs {
		mem := make([]byte, edExpandedSize)
		k, err := newSessionKeyFromSeed(mem, v.seed)
		if err != nil {
			t.Fatalf("line %d: %v", v.line, err)
		}
		if !bytes.Equal(k.PublicKey(), v.pub) {
			t.Errorf("line %d: public key %x, want %x", v.line, k.PublicKey(), v.pub)
		}
		if got := k.Sign(v.msg); !bytes.Equal(got, v.sig) {
			t.Errorf("line %d: signature\n got %x\nwant %x", v.line, got, v.sig)
		}
		// The memory holds the expanded key, never the seed.
		h := sha512.Sum512(v.seed)
		s, err := edwards25519.NewScalar().SetBytesWithClamping(h[:32])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(mem[:32], s.Bytes()) || !bytes.Equal(mem[32:], h[32:]) {
			t.Errorf("line %d: memory is not scalar||prefix", v.line)
		}
		if bytes.Contains(mem, v.seed) {
			t.Errorf("line %d: seed stored in key memory", v.line)
		}
	}
}

func TestEd25519MatchesStdlib(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{'l', 'i', 't'}))
	for i := range 64 {
		seed := make([]byte, edSeedSize)
		for j := range seed {
			seed[j] = byte(rng.Uint32())
		}
		// Lengths around the SHA-512 block size and beyond.
		msg := make([]byte, rng.IntN(400))
		for j := range msg {
			msg[j] = byte(rng.Uint32())
		}
		k, err := newSessionKeyFromSeed(make([]byte, edExpandedSize), seed)
		if err != nil {
			t.Fatal(err)
		}
		std := ed25519.NewKeyFromSeed(seed)
		if !bytes.Equal(k.PublicKey(), std.Public().(ed25519.PublicKey)) {
			t.Fatalf("#%d: public key differs from crypto/ed25519", i)
		}
		sig := k.Sign(msg)
		if want := ed25519.Sign(std, msg); !bytes.Equal(sig, want) {
			t.Fatalf("#%d (len %d): signature\n got %x\nwant %x", i, len(msg), sig, want)
		}
		if !ed25519.Verify(k.PublicKey(), msg, sig) {
			t.Fatalf("#%d: crypto/ed25519.Verify rejects the signature", i)
		}
	}
}

func TestSessionKeyWipeZeroes(t *testing.T) {
	mem := make([]byte, edExpandedSize)
	k, err := NewSessionKeyIn(mem)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("wipe me")
	if !ed25519.Verify(k.PublicKey(), msg, k.Sign(msg)) {
		t.Fatal("fresh key does not sign")
	}
	pub := k.PublicKeyHex()
	k.Wipe()
	if !allZero(mem) {
		t.Fatalf("memory after Wipe: %x", mem)
	}
	if !k.Wiped() || k.Sign(msg) != nil {
		t.Fatal("key still signs after Wipe")
	}
	k.Wipe()
	if k.PublicKeyHex() != pub {
		t.Fatal("public key lost on Wipe")
	}
}

func TestSessionKeyBadInput(t *testing.T) {
	tests := []struct {
		name      string
		mem, seed []byte
	}{
		{"short memory", make([]byte, 63), make([]byte, 32)},
		{"long memory", make([]byte, 65), make([]byte, 32)},
		{"short seed", make([]byte, 64), make([]byte, 31)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := newSessionKeyFromSeed(tt.mem, tt.seed); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	// Corrupted memory (scalar not reduced mod L): no signature, no panic.
	mem := make([]byte, edExpandedSize)
	k, err := NewSessionKeyIn(mem)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 32 {
		mem[i] = 0xff
	}
	if sig := k.Sign([]byte("x")); sig != nil {
		t.Fatalf("signed with a non-canonical scalar: %x", sig)
	}
}

// TestSessionKeyConcurrentWipe signs from several goroutines while the key
// is wiped: every signature is valid or nil (run with -race).
func TestSessionKeyConcurrentWipe(t *testing.T) {
	k, err := NewSessionKey()
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("concurrent")
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for range 4 {
		wg.Go(func() {
			for range 50 {
				sig := k.Sign(msg)
				if sig == nil {
					return
				}
				if !ed25519.Verify(k.PublicKey(), msg, sig) {
					errs <- "invalid signature during Wipe"
					return
				}
			}
		})
	}
	k.Wipe()
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if k.Sign(msg) != nil {
		t.Fatal("signed after Wipe")
	}
}

func BenchmarkSessionKeySign(b *testing.B) {
	k, err := NewSessionKey()
	if err != nil {
		b.Fatal(err)
	}
	msg := bytes.Repeat([]byte("session sig "), 60) // about a session sig's size
	b.ReportAllocs()
	for b.Loop() {
		if k.Sign(msg) == nil {
			b.Fatal("no signature")
		}
	}
}

// BenchmarkStdlibSign is crypto/ed25519.Sign on the same message, for
// comparison with BenchmarkSessionKeySign.
func BenchmarkStdlibSign(b *testing.B) {
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		b.Fatal(err)
	}
	msg := bytes.Repeat([]byte("session sig "), 60)
	b.ReportAllocs()
	for b.Loop() {
		_ = ed25519.Sign(priv, msg)
	}
}
