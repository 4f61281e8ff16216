package thpstore

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/litsigner/litsigner/hwwallet/trezor/thp"
)

func TestDefaultDir(t *testing.T) {
	for _, tc := range []struct {
		xdg, home, want string
		ok              bool
	}{
		{"/x/state", "/home/u", "/x/state/litsigner", true},
		{"", "/home/u", "/home/u/.local/state/litsigner", true},
		{"relative", "/home/u", "/home/u/.local/state/litsigner", true},
		{"", "", "", false},
	} {
		env := map[string]string{"XDG_STATE_HOME": tc.xdg, "HOME": tc.home}
		got, err := DefaultDir(func(k string) string { return env[k] })
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("DefaultDir(%q, %q) = %q, %v; want %q", tc.xdg, tc.home, got, err, tc.want)
		}
	}
}

func TestStoreLifecycle(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "litsigner")
	s := New(dir)
	if creds, err := s.Credentials(); err != nil || creds != nil {
		t.Fatalf("empty store: %v %v", creds, err)
	}
	if err := s.SaveCredential(thp.Credential{TrezorStaticPublicKey: make([]byte, 32), Credential: []byte{1}}); err == nil {
		t.Fatal("a credential was saved without a host key")
	}
	k1, err := s.HostKey()
	if err != nil {
		t.Fatal(err)
	}
	k2, err := New(dir).HostKey()
	if err != nil || !bytes.Equal(k1.Bytes(), k2.Bytes()) {
		t.Fatalf("host key not kept: %v", err)
	}
	dev1, dev2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	for _, c := range []thp.Credential{
		{TrezorStaticPublicKey: dev1, Credential: []byte("a")},
		{TrezorStaticPublicKey: dev2, Credential: []byte("b")},
		{TrezorStaticPublicKey: dev1, Credential: []byte("c")},
	} {
		if err := s.SaveCredential(c); err != nil {
			t.Fatal(err)
		}
	}
	creds, err := s.Credentials()
	if err != nil || len(creds) != 2 || string(creds[0].Credential) != "b" || string(creds[1].Credential) != "c" {
		t.Fatalf("credentials %+v, %v", creds, err)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, s.Path(): 0o600} {
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != want {
			t.Fatalf("%s: %v %v, want mode %04o", path, fi.Mode(), err, want)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	if did, err := s.Forget(); !did || err != nil {
		t.Fatalf("forget: %v %v", did, err)
	}
	if did, err := s.Forget(); did || err != nil {
		t.Fatalf("forget again: %v %v", did, err)
	}
	if k3, err := s.HostKey(); err != nil || bytes.Equal(k3.Bytes(), k1.Bytes()) {
		t.Fatalf("after forget the host key must be new: %v", err)
	}
}

func TestStoreRefusesBadFiles(t *testing.T) {
	for name, tc := range map[string]struct {
		content string
		mode    os.FileMode
		want    string
	}{
		"world readable": {`{}`, 0o644, "readable by others"},
		"not JSON":       {`{`, 0o600, "unexpected EOF"},
		"short key":      {`{"hostStaticKey":"AAEC"}`, 0o600, "host key"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			s := New(dir)
			if err := os.WriteFile(s.Path(), []byte(tc.content), tc.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(s.Path(), tc.mode); err != nil {
				t.Fatal(err)
			}
			if _, err := s.HostKey(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("HostKey: %v, want an error with %q", err, tc.want)
			}
		})
	}
}
