package attest

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Cache keeps fetched VCEK certificates on disk. They are public data
// (AMD serves them to anyone), so files are 0644; the directory is 0700
// like the rest of the user's litsigner cache.
type Cache struct {
	// Dir holds one DER file per VCEK, named by product, chip id and TCB.
	Dir string
}

// DefaultCacheDir is $XDG_CACHE_HOME/litsigner/vcek, or
// ~/.cache/litsigner/vcek when XDG_CACHE_HOME is unset or not absolute.
func DefaultCacheDir() (string, error) {
	base := os.Getenv("XDG_CACHE_HOME")
	if !filepath.IsAbs(base) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("attestation cache: %w", err)
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "litsigner", "vcek"), nil
}

// load returns the cached VCEK for k; (nil, nil) when there is none. A file
// that is not a VCEK for k is removed and reported as a miss with an error.
func (c *Cache) load(k vcekKey) (*x509.Certificate, error) {
	path := filepath.Join(c.Dir, k.fileName())
	der, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("attestation cache: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err == nil {
		err = k.matches(cert)
	}
	if err != nil {
		rmErr := os.Remove(path)
		return nil, errors.Join(fmt.Errorf("attestation cache: dropped corrupt %s: %v", path, err), rmErr)
	}
	return cert, nil
}

// store writes der atomically (temporary file, fsync, rename).
func (c *Cache) store(k vcekKey, der []byte) error {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return fmt.Errorf("attestation cache: %w", err)
	}
	tmp, err := os.CreateTemp(c.Dir, ".vcek-*.tmp")
	if err != nil {
		return fmt.Errorf("attestation cache: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	_, err = tmp.Write(der)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(c.Dir, k.fileName()))
	}
	if err != nil {
		return fmt.Errorf("attestation cache: %w", err)
	}
	return nil
}

// drop removes k's file, after its certificate failed verification.
func (c *Cache) drop(k vcekKey) error {
	err := os.Remove(filepath.Join(c.Dir, k.fileName()))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("attestation cache: %w", err)
	}
	return nil
}
