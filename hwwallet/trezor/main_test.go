package trezor

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/litsigner/litsigner/hwwallet/internal/leaktest"
)

// TestMain fails the run if goroutines are left over once every test has
// cleaned up: the driver starts none, and each emulator must stop when its
// cable is cut. The fuzzing engine's signal goroutine is not counted (see
// leaktest.Running).
func TestMain(m *testing.M) {
	before := leaktest.Running()
	code := m.Run()
	if code == 0 {
		deadline := time.Now().Add(3 * time.Second)
		for leaktest.Running() > before && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if n := leaktest.Running(); n > before {
			fmt.Fprintf(os.Stderr, "%d goroutines leaked:\n%s\n", n-before, leaktest.Dump())
			code = 1
		}
	}
	os.Exit(code)
}
