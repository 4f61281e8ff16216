//go:build unix

package lit

import (
	"crypto/ed25519"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// TestSessionKeyInMmap keeps the key in an anonymous mapping outside the Go
// heap. crypto/ed25519's weak-pointer key cache aborts the runtime on such
// memory, so this passing shows the cache is not on the signing path. The
// key must not touch the mapping after Wipe: the test unmaps it and signs
// and wipes again.
func TestSessionKeyInMmap(t *testing.T) {
	m, err := unix.Mmap(-1, 0, unix.Getpagesize(), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	mapped := true
	defer func() {
		if mapped {
			_ = unix.Munmap(m)
		}
	}()
	mem := m[:edExpandedSize]
	k, err := NewSessionKeyIn(mem)
	if err != nil {
		t.Fatal(err)
	}
	if allZero(mem) {
		t.Fatal("key not generated in the mapping")
	}
	for _, msg := range [][]byte{nil, []byte("mmap"), make([]byte, 1000)} {
		runtime.GC()
		sig := k.Sign(msg)
		if !ed25519.Verify(k.PublicKey(), msg, sig) {
			t.Fatalf("signature of %d bytes does not verify", len(msg))
		}
	}
	k.Wipe()
	if !allZero(m) {
		t.Fatal("mapping not zeroed by Wipe")
	}
	if err := unix.Munmap(m); err != nil {
		t.Fatal(err)
	}
	mapped = false
	runtime.GC()
	if k.Sign([]byte("after unmap")) != nil {
		t.Fatal("signed after Wipe")
	}
	k.Wipe()
}
