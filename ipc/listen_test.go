package ipc

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestListenCreatesSafeSocket(t *testing.T) {
	base := shortDir(t)
	path := filepath.Join(base, "run", "litsigner", "litsigner.sock")
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for p, want := range map[string]os.FileMode{filepath.Dir(path): 0o700, path: 0o600} {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s mode = %04o, want %04o", p, got, want)
		}
	}
	fi, _ := os.Lstat(path)
	if fi.Mode()&os.ModeSocket == 0 {
		t.Errorf("%s is not a socket", path)
	}
	l.Close()
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("socket not removed by Close (%v)", err)
	}
}

func TestListenRefusesUnsafePaths(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir string) string // returns the socket path
		wantErr error
		wantMsg string
	}{
		{"group-readable dir", func(t *testing.T, dir string) string {
			d := filepath.Join(dir, "d")
			mustMkdir(t, d, 0o750)
			return filepath.Join(d, "s.sock")
		}, ErrUnsafePath, "has mode 0750"},
		{"world-writable dir", func(t *testing.T, dir string) string {
			d := filepath.Join(dir, "d")
			mustMkdir(t, d, 0o777)
			return filepath.Join(d, "s.sock")
		}, ErrUnsafePath, "group/other must have no access"},
		{"symlinked dir", func(t *testing.T, dir string) string {
			d := filepath.Join(dir, "real")
			mustMkdir(t, d, 0o700)
			if err := os.Symlink(d, filepath.Join(dir, "link")); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(dir, "link", "s.sock")
		}, ErrUnsafePath, "is a symlink"},
		{"dir is a file", func(t *testing.T, dir string) string {
			f := filepath.Join(dir, "f")
			mustWrite(t, f)
			return filepath.Join(f, "s.sock")
		}, nil, "not a directory"},
		{"dir of another user", func(t *testing.T, dir string) string {
			if os.Geteuid() != 0 {
				t.Skip("needs root to chown")
			}
			d := filepath.Join(dir, "d")
			mustMkdir(t, d, 0o700)
			if err := os.Chown(d, 65534, 65534); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(d, "s.sock")
		}, ErrUnsafePath, "owned by uid 65534"},
		{"regular file at the socket path", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "s.sock")
			mustWrite(t, p)
			return p
		}, ErrUnsafePath, "is not a socket"},
		{"socket of another user", func(t *testing.T, dir string) string {
			if os.Geteuid() != 0 {
				t.Skip("needs root to chown")
			}
			p := filepath.Join(dir, "s.sock")
			ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: p, Net: "unix"})
			if err != nil {
				t.Fatal(err)
			}
			ul.SetUnlinkOnClose(false)
			ul.Close()
			if err := os.Chown(p, 65534, 65534); err != nil {
				t.Fatal(err)
			}
			return p
		}, ErrUnsafePath, "owned by uid 65534; not removing it"},
		{"path too long", func(t *testing.T, dir string) string {
			return filepath.Join(dir, strings.Repeat("x", 110))
		}, nil, "the limit is 107"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.setup(t, shortDir(t))
			l, err := Listen(path)
			if err == nil {
				l.Close()
				t.Fatal("Listen succeeded")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %q, want it to contain %q", err, tt.wantMsg)
			}
		})
	}
}

func TestListenRemovesStaleSocket(t *testing.T) {
	path := filepath.Join(shortDir(t), "s.sock")
	// A socket file nobody listens on: a listener closed without unlinking.
	old, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	old.SetUnlinkOnClose(false)
	old.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("stale socket missing: %v", err)
	}
	l, err := Listen(path)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	defer l.Close()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("dial new socket: %v", err)
	}
	c.Close()
}

func TestListenKeepsLiveSocket(t *testing.T) {
	path := filepath.Join(shortDir(t), "s.sock")
	first, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	second, err := Listen(path)
	if err == nil {
		second.Close()
		t.Fatal("second Listen succeeded")
	}
	if !errors.Is(err, ErrAlreadyRunning) || !strings.Contains(err.Error(), "another litsignerd is already listening on "+path) {
		t.Fatalf("err = %v", err)
	}
	// The first listener still works.
	accepted := make(chan error, 1)
	go func() {
		c, err := first.Accept()
		if err == nil {
			c.Close()
		}
		accepted <- err
	}()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("live socket was removed: %v", err)
	}
	c.Close()
	if err := <-accepted; err != nil {
		t.Fatal(err)
	}
}

func TestDefaultSocketPath(t *testing.T) {
	tests := []struct {
		env     string
		want    string
		wantErr error
	}{
		{"/run/user/1000", "/run/user/1000/litsigner/litsigner.sock", nil},
		{"", filepath.Join(os.TempDir(), fmt.Sprintf("litsigner-%d", os.Geteuid()), "litsigner.sock"), nil},
		{"relative/dir", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			t.Setenv("XDG_RUNTIME_DIR", tt.env)
			got, err := DefaultSocketPath()
			if tt.want != "" {
				if err != nil || got != tt.want {
					t.Fatalf("got %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("got %q, want an error", got)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func mustMkdir(t *testing.T, dir string, perm os.FileMode) {
	t.Helper()
	if err := os.Mkdir(dir, perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, perm); err != nil { // umask
		t.Fatal(err)
	}
}

func mustWrite(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
}
