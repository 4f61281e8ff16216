// Package thpstore keeps the Trezor Host Protocol identity of this host on
// disk: its static X25519 key and the pairing credentials Trezor devices
// issued for it, so that a paired Trezor Safe 7 only asks to confirm the
// connection instead of showing a pairing code again. The session key of a
// channel never comes here: it lives only in the driver's memory.
//
// The file is JSON, mode 0600, in a 0700 directory
// ($XDG_STATE_HOME/litsigner, else ~/.local/state/litsigner), written
// atomically (a temporary file renamed over the old one).
package thpstore

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/litsigner/litsigner/hwwallet/trezor/thp"
)

// FileName is the file the store uses inside its directory.
const FileName = "trezor-thp.json"

// DefaultDir is $XDG_STATE_HOME/litsigner, or ~/.local/state/litsigner
// when XDG_STATE_HOME is unset or not absolute (XDG Base Directory
// specification). getenv reads the environment (os.Getenv).
func DefaultDir(getenv func(string) string) (string, error) {
	if d := getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "litsigner"), nil
	}
	home := getenv("HOME")
	if !filepath.IsAbs(home) {
		return "", errors.New("thpstore: neither XDG_STATE_HOME nor HOME is an absolute path")
	}
	return filepath.Join(home, ".local", "state", "litsigner"), nil
}

// Store is the host's THP identity in one directory. It is safe for
// concurrent use within a process; between processes the last write wins,
// and each write is atomic.
type Store struct {
	dir string
	mu  sync.Mutex
}

// New returns the store in dir; nothing is read or created until used.
func New(dir string) *Store { return &Store{dir: dir} }

// Default is New(DefaultDir(os.Getenv)).
func Default() (*Store, error) {
	dir, err := DefaultDir(os.Getenv)
	if err != nil {
		return nil, err
	}
	return New(dir), nil
}

// Path is the file the store reads and writes.
func (s *Store) Path() string { return filepath.Join(s.dir, FileName) }

// state is the file's content.
type state struct {
	// HostKey is the X25519 private key (32 bytes, base64 in JSON).
	HostKey     []byte           `json:"hostStaticKey"`
	Credentials []thp.Credential `json:"credentials"`
}

// load reads the file; a missing file is an empty state.
func (s *Store) load() (state, error) {
	var st state
	f, err := os.Open(s.Path())
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("thpstore: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return st, fmt.Errorf("thpstore: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return st, fmt.Errorf("thpstore: %s is readable by others (mode %04o): it holds the host's pairing key; chmod 600 it or run 'litsigner wallet forget'", s.Path(), fi.Mode().Perm())
	}
	if err := json.NewDecoder(f).Decode(&st); err != nil {
		return st, fmt.Errorf("thpstore: %s: %w", s.Path(), err)
	}
	if st.HostKey != nil {
		if _, err := ecdh.X25519().NewPrivateKey(st.HostKey); err != nil {
			return st, fmt.Errorf("thpstore: %s: host key: %w", s.Path(), err)
		}
	}
	return st, nil
}

// save writes st atomically with mode 0600 in a 0700 directory.
func (s *Store) save(st state) error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("thpstore: %w", err)
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("thpstore: %w", err)
	}
	tmp, err := os.CreateTemp(s.dir, FileName+".*.tmp")
	if err != nil {
		return fmt.Errorf("thpstore: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	// CreateTemp makes the file 0600 already; say so for a reader.
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("thpstore: %w", err)
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("thpstore: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("thpstore: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("thpstore: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.Path()); err != nil {
		return fmt.Errorf("thpstore: %w", err)
	}
	return nil
}

// HostKey returns the host's static key, creating and saving one on first
// use.
func (s *Store) HostKey() (*ecdh.PrivateKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.load()
	if err != nil {
		return nil, err
	}
	if st.HostKey == nil {
		k, err := ecdh.X25519().GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("thpstore: host key: %w", err)
		}
		st.HostKey = k.Bytes()
		if err := s.save(st); err != nil {
			return nil, err
		}
	}
	return ecdh.X25519().NewPrivateKey(st.HostKey)
}

// Credentials returns the stored credentials.
func (s *Store) Credentials() ([]thp.Credential, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.load()
	return st.Credentials, err
}

// SaveCredential stores c, replacing an earlier credential of the same
// device (the same static public key). The host key must exist already:
// a credential is only valid for the key it was issued to.
func (s *Store) SaveCredential(c thp.Credential) error {
	if len(c.TrezorStaticPublicKey) != 32 || len(c.Credential) == 0 {
		return errors.New("thpstore: save credential: malformed credential")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.load()
	if err != nil {
		return err
	}
	if st.HostKey == nil {
		return errors.New("thpstore: save credential: no host key (it was forgotten meanwhile)")
	}
	kept := st.Credentials[:0]
	for _, old := range st.Credentials {
		if string(old.TrezorStaticPublicKey) != string(c.TrezorStaticPublicKey) {
			kept = append(kept, old)
		}
	}
	st.Credentials = append(kept, c)
	return s.save(st)
}

// Forget removes the host key and every credential: each device must be
// paired again (and will show a code). It reports whether anything was
// stored.
func (s *Store) Forget() (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := os.Remove(s.Path())
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("thpstore: forget: %w", err)
	}
	return true, nil
}
