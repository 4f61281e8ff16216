package daemon

import (
	"os"
	"testing"
	"time"

	"github.com/litsigner/litsigner/hwwallet/leaktest"
)

// TestMain fails the run if goroutines are left over once every test has
// cleaned up (see leaktest.Main); the blocking methods' workers
// (callWorkers), which outlive any one daemon, are stopped first. Run with
// devnetChildCommand, the test binary is the --dev devnet's child process,
// as litsignerd is.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == devnetChildCommand {
		os.Exit(runDevnetChild(os.Stderr))
	}
	leaktest.Main(m, 5*time.Second, callWorkers.Close)
}
