package ipc

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// maxSocketPath is the longest usable Unix socket path on Linux
// (sizeof(sun_path) minus the terminating NUL).
const maxSocketPath = 107

// staleDialTimeout bounds the probe that tells a live socket from a stale one.
const staleDialTimeout = time.Second

// DefaultSocketPath returns $XDG_RUNTIME_DIR/litsigner/litsigner.sock, or,
// when XDG_RUNTIME_DIR is unset (a root shell in a container, an ssh session
// without pam_systemd), $TMPDIR/litsigner-<uid>/litsigner.sock. The fallback
// lives in a shared directory, so it follows tmux's rules: the server creates
// the directory 0700 and refuses one it does not own or that others can
// enter (Listen), and a client using the default path talks only to a
// server running under its own uid (Dial checks SO_PEERCRED).
func DefaultSocketPath() (string, error) {
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		return filepath.Join(os.TempDir(), fmt.Sprintf("litsigner-%d", os.Geteuid()), "litsigner.sock"), nil
	}
	if !filepath.IsAbs(dir) {
		return "", fmt.Errorf("ipc: default socket path: XDG_RUNTIME_DIR=%q is not an absolute path", dir)
	}
	return filepath.Join(dir, "litsigner", "litsigner.sock"), nil
}

// Listen creates a Unix socket at path for a server not started by systemd:
// the directory is created 0700 when missing and must otherwise be a real
// directory owned by us without group/other permissions (ErrUnsafePath); a
// stale socket of ours is removed; a socket a live server answers on is left
// alone (ErrAlreadyRunning). The socket is made 0600. Closing the listener
// removes the socket file.
func Listen(path string) (net.Listener, error) {
	if len(path) > maxSocketPath {
		return nil, fmt.Errorf("ipc: listen: socket path %s is %d bytes, the limit is %d", path, len(path), maxSocketPath)
	}
	if err := ensureSafeDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	if err := removeStaleSocket(path); err != nil {
		return nil, err
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("ipc: listen on %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("ipc: listen: chmod 0600 %s: %w", path, err)
	}
	return l, nil
}

// ensureSafeDir creates dir (0700) if missing and checks that only we can
// use it.
func ensureSafeDir(dir string) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("ipc: create socket directory %s: %w", dir, err)
		}
		fi, err = os.Lstat(dir)
	}
	if err != nil {
		return fmt.Errorf("ipc: socket directory %s: %w", dir, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("ipc: socket directory %s is a symlink: %w", dir, ErrUnsafePath)
	}
	if !fi.IsDir() {
		return fmt.Errorf("ipc: socket directory %s is not a directory: %w", dir, ErrUnsafePath)
	}
	if uid, ok := fileUID(fi); !ok || uid != os.Geteuid() {
		return fmt.Errorf("ipc: socket directory %s is owned by uid %d, not %d: %w", dir, uid, os.Geteuid(), ErrUnsafePath)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("ipc: socket directory %s has mode %04o, group/other must have no access (chmod 700 it): %w", dir, perm, ErrUnsafePath)
	}
	return nil
}

func fileUID(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return -1, false
	}
	return int(st.Uid), true
}

// removeStaleSocket removes path if it is a socket of ours nobody answers on.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("ipc: check %s: %w", path, err)
	}
	if fi.Mode()&fs.ModeSocket == 0 {
		return fmt.Errorf("ipc: %s exists and is not a socket; not removing it: %w", path, ErrUnsafePath)
	}
	if uid, ok := fileUID(fi); !ok || uid != os.Geteuid() {
		return fmt.Errorf("ipc: socket %s is owned by uid %d; not removing it: %w", path, uid, ErrUnsafePath)
	}
	conn, err := net.DialTimeout("unix", path, staleDialTimeout)
	if err == nil {
		conn.Close()
		return fmt.Errorf("ipc: %w on %s", ErrAlreadyRunning, path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("ipc: probe existing socket %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("ipc: remove stale socket %s: %w", path, err)
	}
	return nil
}
