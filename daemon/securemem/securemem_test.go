package securemem

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unsafe"

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

// vmFlags returns the VmFlags of the mapping starting at addr in
// /proc/self/smaps, and whether there is one.
func vmFlags(t *testing.T, addr uintptr) ([]string, bool) {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skipf("no smaps: %v", err)
	}
	defer f.Close()
	prefix := fmt.Sprintf("%x-", addr)
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if flags, ok := strings.CutPrefix(line, "VmFlags:"); ok {
			if in {
				return strings.Fields(flags), true
			}
			continue
		}
		if fields := strings.Fields(line); len(fields) > 0 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			in = strings.HasPrefix(fields[0], prefix)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return nil, false
}

// TestAllocIsOwnMapping checks the region is its own anonymous mapping,
// excluded from core dumps, locked when Locked says so, and unmapped by
// Wipe.
func TestAllocIsOwnMapping(t *testing.T) {
	r, err := Alloc(100, true)
	if err != nil {
		t.Fatal(err)
	}
	b := r.Bytes()
	addr := uintptr(unsafe.Pointer(&b[0]))
	if addr%uintptr(os.Getpagesize()) != 0 {
		t.Fatalf("region at %#x is not page-aligned", addr)
	}
	flags, ok := vmFlags(t, addr)
	if !ok {
		t.Fatalf("no mapping starts at %#x", addr)
	}
	t.Logf("VmFlags %v, locked %v", flags, r.Locked())
	if !slices.Contains(flags, "dd") {
		t.Errorf("VmFlags %v: not excluded from core dumps", flags)
	}
	if r.Locked() != slices.Contains(flags, "lo") {
		t.Errorf("VmFlags %v, Locked() = %v", flags, r.Locked())
	}
	b[0] = 1
	if err := r.Wipe(); err != nil {
		t.Fatal(err)
	}
	if flags, ok := vmFlags(t, addr); ok && slices.Contains(flags, "dd") {
		t.Errorf("mapping still there after Wipe: %v", flags)
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
