// Package securemem holds secrets in memory that the kernel never swaps out
// and never writes into a core dump: whole pages of an anonymous private
// mapping, mlocked and marked MADV_DONTDUMP (and MADV_WIPEONFORK where the
// kernel has it, so a forked child sees zeros), zeroed, unlocked and
// unmapped on Wipe. It also hardens the whole process against core dumps
// and ptrace-style reads by other processes of the same user
// (PR_SET_DUMPABLE 0, RLIMIT_CORE 0).
//
// The pages come from mmap rather than the Go heap: they are outside the
// garbage collector's reach (never scanned, moved, copied or reused for
// other objects), no other object shares them, and munmap returns them to
// the kernel, which hands them out again only zero-filled. Code keeping a
// secret there must not pass it to APIs that need Go heap memory
// (crypto/ed25519 keys, which the runtime aborts on); lit.SessionKey signs
// without them.
package securemem

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// ErrLockFailed reports that mlock was refused, usually because
// RLIMIT_MEMLOCK (systemd LimitMEMLOCK=) is too low.
var ErrLockFailed = errors.New("securemem: cannot lock memory (raise LimitMEMLOCK= / ulimit -l, or pass --allow-unlocked-memory)")

// Region is one or more locked pages holding a secret.
type Region struct {
	mu     sync.Mutex
	mem    []byte // the whole mapping, page-aligned
	n      int    // bytes handed out
	locked bool
	wiped  bool
	// afterZero, when set by tests, observes the pages after they are
	// zeroed and before they are unlocked and unmapped.
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
	if n > int(^uint(0)>>1)-page {
		return nil, fmt.Errorf("securemem: alloc %d bytes: too large", n)
	}
	size := (n + page - 1) / page * page
	mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, fmt.Errorf("securemem: mmap %d bytes: %w", size, err)
	}
	r := &Region{mem: mem, n: n}
	if err := unix.Madvise(mem, unix.MADV_DONTDUMP); err != nil {
		_ = unix.Munmap(mem)
		return nil, fmt.Errorf("securemem: madvise MADV_DONTDUMP: %w", err)
	}
	// Linux >= 4.14. Older kernels answer EINVAL; a child forked without
	// CLONE_VM then gets a copy of the pages until it execs.
	_ = unix.Madvise(mem, unix.MADV_WIPEONFORK)
	if err := unix.Mlock(mem); err != nil {
		if !allowUnlocked {
			_ = unix.Munmap(mem)
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

// Wipe zeroes the pages, unlocks them and unmaps them. It is idempotent.
// Nothing may hold Bytes() across Wipe: the memory is gone afterwards and
// touching it faults.
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
	if err := unix.Munmap(r.mem); err != nil {
		errs = append(errs, fmt.Errorf("securemem: munmap: %w", err))
	}
	r.mem = nil
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
