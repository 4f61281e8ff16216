// Package securemem holds secrets in memory that the kernel never swaps out
// and never writes into a core dump: whole pages, mlocked and marked
// MADV_DONTDUMP, zeroed, unlocked and released on Wipe. It also hardens the
// whole process against core dumps and ptrace-style reads by other processes
// of the same user (PR_SET_DUMPABLE 0, RLIMIT_CORE 0).
//
// The pages are a page-aligned span of a Go heap allocation rather than an
// mmap'd region: since Go 1.24, crypto/ed25519 looks keys up in a cache
// keyed by weak pointers to the key's bytes, and the runtime aborts
// ("getWeakHandle on invalid pointer") when those bytes are not in the Go
// heap. The Go collector never moves heap objects, so the locked pages stay
// where they were locked; Wipe unlocks them before the allocation can be
// reused.
package securemem

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ErrLockFailed reports that mlock was refused, usually because
// RLIMIT_MEMLOCK (systemd LimitMEMLOCK=) is too low.
var ErrLockFailed = errors.New("securemem: cannot lock memory (raise LimitMEMLOCK= / ulimit -l, or pass --allow-unlocked-memory)")

// Region is one or more locked pages holding a secret.
type Region struct {
	mu     sync.Mutex
	buf    []byte // the Go allocation the pages live in
	mem    []byte // the page-aligned, locked pages
	n      int    // bytes handed out
	locked bool
	wiped  bool
	// afterZero, when set by tests, observes the pages after they are
	// zeroed and before they are unlocked and released.
	afterZero func([]byte)
}

// Alloc returns at least n bytes on pages locked in RAM and excluded from
// core dumps. When mlock fails it returns an error wrapping ErrLockFailed,
// unless allowUnlocked is set, in which case the region is returned unlocked
// (see Locked).
func Alloc(n int, allowUnlocked bool) (*Region, error) {
	if n <= 0 {
		return nil, fmt.Errorf("securemem: alloc %d bytes: size must be positive", n)
	}
	page := os.Getpagesize()
	size := (n + page - 1) / page * page
	// One spare page guarantees a page-aligned span of size bytes that no
	// other object shares.
	buf := make([]byte, size+page)
	off := (page - int(uintptr(unsafe.Pointer(&buf[0]))%uintptr(page))) % page
	mem := buf[off : off+size : off+size]
	r := &Region{buf: buf, mem: mem, n: n}
	if err := unix.Madvise(mem, unix.MADV_DONTDUMP); err != nil {
		return nil, fmt.Errorf("securemem: madvise MADV_DONTDUMP: %w", err)
	}
	if err := unix.Mlock(mem); err != nil {
		if !allowUnlocked {
			_ = unix.Madvise(mem, unix.MADV_DODUMP)
			return nil, fmt.Errorf("%w: mlock %d bytes: %v", ErrLockFailed, size, err)
		}
	} else {
		r.locked = true
	}
	return r, nil
}

// Bytes is the secret's memory (n bytes). It must not be used after Wipe.
func (r *Region) Bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.wiped {
		return nil
	}
	return r.mem[:r.n:r.n]
}

// Locked reports whether the pages are mlocked.
func (r *Region) Locked() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.locked
}

// Wiped reports whether Wipe ran.
func (r *Region) Wiped() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.wiped
}

// Wipe zeroes the pages, unlocks them and gives them back to the Go heap.
// It is idempotent. Nothing may hold Bytes() across Wipe.
func (r *Region) Wipe() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.wiped {
		return nil
	}
	r.wiped = true
	clear(r.mem)
	if r.afterZero != nil {
		r.afterZero(r.mem)
	}
	var errs []error
	if r.locked {
		if err := unix.Munlock(r.mem); err != nil {
			errs = append(errs, fmt.Errorf("securemem: munlock: %w", err))
		}
	}
	if err := unix.Madvise(r.mem, unix.MADV_DODUMP); err != nil {
		errs = append(errs, fmt.Errorf("securemem: madvise MADV_DODUMP: %w", err))
	}
	r.buf, r.mem = nil, nil
	return errors.Join(errs...)
}

// HardenProcess makes the process non-dumpable (no core dumps, no
// /proc/pid/mem or ptrace access by other processes of the same user) and
// sets RLIMIT_CORE to 0.
func HardenProcess() error {
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("securemem: prctl PR_SET_DUMPABLE: %w", err)
	}
	// Already 0 under systemd's LimitCORE=0: nothing to ask a seccomp
	// filter for.
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &rl); err == nil && rl.Cur == 0 && rl.Max == 0 {
		return nil
	}
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: 0, Max: 0}); err != nil {
		return fmt.Errorf("securemem: setrlimit RLIMIT_CORE: %w", err)
	}
	return nil
}

// Dumpable reports the process's PR_GET_DUMPABLE flag.
func Dumpable() (bool, error) {
	v, _, errno := unix.Syscall6(unix.SYS_PRCTL, unix.PR_GET_DUMPABLE, 0, 0, 0, 0, 0)
	if errno != 0 {
		return false, fmt.Errorf("securemem: prctl PR_GET_DUMPABLE: %w", errno)
	}
	return v != 0, nil
}
