package daemon

import (
	"testing"
	"time"

	"github.com/litsigner/litsigner/hwwallet/leaktest"
)

// TestMain fails the run if goroutines are left over once every test has
// cleaned up (see leaktest.Main).
func TestMain(m *testing.M) { leaktest.Main(m, 5*time.Second) }
