package securemem

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

func TestAllocWipeZeroes(t *testing.T) {
	r, err := Alloc(64, true)
	if err != nil {
		t.Fatal(err)
	}
	b := r.Bytes()
	if len(b) != 64 {
		t.Fatalf("len = %d, want 64", len(b))
	}
	for i := range b {
		b[i] = 0xA5
	}
	var seen []byte
	r.afterZero = func(m []byte) { seen = bytes.Clone(m) }
	if err := r.Wipe(); err != nil {
		t.Fatal(err)
	}
	if len(seen) != os.Getpagesize() {
		t.Fatalf("hook saw %d bytes, want the whole page", len(seen))
	}
	if !bytes.Equal(seen, make([]byte, len(seen))) {
		t.Fatal("mapping not zeroed before unmap")
	}
	if !r.Wiped() || r.Bytes() != nil {
		t.Fatal("region still usable after Wipe")
	}
	if err := r.Wipe(); err != nil {
		t.Fatalf("second Wipe: %v", err)
	}
}

func TestAllocInvalidSize(t *testing.T) {
	for _, n := range []int{0, -1} {
		if _, err := Alloc(n, true); err == nil {
			t.Errorf("Alloc(%d) succeeded", n)
		}
	}
}

// TestMlockLimit runs itself in a child with RLIMIT_MEMLOCK 0 (unprivileged
// processes then cannot mlock) and checks the error names the limit.
func TestMlockLimit(t *testing.T) {
	if os.Getenv("SECUREMEM_CHILD") == "1" {
		if err := unix.Setrlimit(unix.RLIMIT_MEMLOCK, &unix.Rlimit{Cur: 0, Max: 0}); err != nil {
			t.Fatal(err)
		}
		// CAP_IPC_LOCK ignores the limit; capabilities are per thread, so
		// drop it from this locked thread's effective set.
		runtime.LockOSThread()
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var data [2]unix.CapUserData
		if err := unix.Capget(&hdr, &data[0]); err != nil {
			t.Fatal(err)
		}
		data[0].Effective &^= 1 << unix.CAP_IPC_LOCK
		if err := unix.Capset(&hdr, &data[0]); err != nil {
			t.Fatal(err)
		}
		r, err := Alloc(64, false)
		if err == nil {
			_ = r.Wipe()
			t.Fatal("Alloc succeeded with RLIMIT_MEMLOCK 0")
		}
		if !errors.Is(err, ErrLockFailed) || !bytes.Contains([]byte(err.Error()), []byte("LimitMEMLOCK")) {
			t.Fatalf("error %q does not name LimitMEMLOCK", err)
		}
		r, err = Alloc(64, true)
		if err != nil {
			t.Fatalf("allowUnlocked: %v", err)
		}
		if r.Locked() {
			t.Fatal("region reports locked")
		}
		_ = r.Wipe()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMlockLimit$", "-test.v")
	cmd.Env = append(os.Environ(), "SECUREMEM_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func TestHardenProcess(t *testing.T) {
	if os.Getenv("SECUREMEM_CHILD") != "2" {
		// Harden a child, not the test binary shared with other tests.
		cmd := exec.Command(os.Args[0], "-test.run=^TestHardenProcess$", "-test.v")
		cmd.Env = append(os.Environ(), "SECUREMEM_CHILD=2")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return
	}
	if d, err := Dumpable(); err != nil || !d {
		t.Fatalf("before: dumpable=%v err=%v", d, err)
	}
	if err := HardenProcess(); err != nil {
		t.Fatal(err)
	}
	d, err := Dumpable()
	if err != nil || d {
		t.Fatalf("after: dumpable=%v err=%v", d, err)
	}
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &rl); err != nil || rl.Cur != 0 || rl.Max != 0 {
		t.Fatalf("RLIMIT_CORE = %+v, %v", rl, err)
	}
}
