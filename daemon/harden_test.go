package daemon

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/litsigner/litsigner/daemon/securemem"
	"golang.org/x/sys/unix"
)

// TestNewHardensProcess runs New in a child process (hardening is
// process-wide) and checks it is no longer dumpable and has RLIMIT_CORE 0.
func TestNewHardensProcess(t *testing.T) {
	if os.Getenv("LITSIGNERD_HARDEN_CHILD") != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestNewHardensProcess$")
		cmd.Env = append(os.Environ(), "LITSIGNERD_HARDEN_CHILD=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return
	}
	if d, err := securemem.Dumpable(); err != nil || !d {
		t.Fatalf("before New: dumpable=%v err=%v", d, err)
	}
	cfg := devConfig(t)
	d, err := New(context.Background(), cfg, Options{Log: testLogger(t), DevNodes: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer d.closeResources()
	if dumpable, err := securemem.Dumpable(); err != nil || dumpable {
		t.Fatalf("after New: dumpable=%v err=%v", dumpable, err)
	}
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &rl); err != nil || rl.Cur != 0 || rl.Max != 0 {
		t.Fatalf("RLIMIT_CORE %+v %v", rl, err)
	}
}
