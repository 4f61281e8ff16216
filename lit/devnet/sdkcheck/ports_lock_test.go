package sdkcheck

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"
)

// fixedPortsLock serialises every test that needs the SDK's fixed ports
// (7470-7479 for the nodes, 8545 for the Naga chain), across packages and
// processes.
const fixedPortsLock = "/tmp/litsigner-fixed-ports.lock"

// lockFixedPorts takes the fixed-ports lock until the test ends, waiting
// for another holder until ctx is done.
func lockFixedPorts(ctx context.Context, t testing.TB) {
	t.Helper()
	f, err := os.OpenFile(fixedPortsLock, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatalf("open %s: %v", fixedPortsLock, err)
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			t.Fatalf("flock %s: %v", fixedPortsLock, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			t.Fatalf("waiting for %s (another real-SDK check holds the fixed ports): %v", fixedPortsLock, ctx.Err())
		case <-tick.C:
		}
	}
	t.Cleanup(func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	})
}
