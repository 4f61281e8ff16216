package trezor

import (
	"testing"
	"time"

	"github.com/litsigner/litsigner/hwwallet/leaktest"
)

// TestMain fails the run if goroutines are left over once every test has
// cleaned up: the driver starts none, and each emulator must stop when its
// cable is cut. The fuzzing engine's signal goroutine is not counted (see
// leaktest.Running).
func TestMain(m *testing.M) { leaktest.Main(m, 3*time.Second) }
