package action

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ErrUnknownAction is returned by Dir.Code for a CID the directory lacks.
var ErrUnknownAction = errors.New("action: unknown ipfsId")

// DirEntry is one action file of a Dir.
type DirEntry struct {
	Name string // file name, e.g. "sign-hello.js"
	CID  string // CIDv0 of the file's bytes
	Code string
}

// Dir is a set of action files addressed by CIDv0, standing in for IPFS
// when a request names an action by ipfsId. It is read-only after LoadDir
// and safe for concurrent use. A nil *Dir is empty.
type Dir struct {
	byCID map[string]DirEntry
}

// LoadDir reads every *.js regular file directly inside path (not
// recursively) and keys it by the CIDv0 `ipfs add` would give it. Files
// larger than MaxCIDv0FileSize are an error.
func LoadDir(path string) (*Dir, error) {
	ents, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("action: load dir: %w", err)
	}
	d := &Dir{byCID: map[string]DirEntry{}}
	for _, e := range ents {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".js") {
			continue
		}
		if err := d.add(filepath.Join(path, e.Name())); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (d *Dir) add(file string) error {
	fi, err := os.Stat(file)
	if err != nil {
		return fmt.Errorf("action: load dir: %w", err)
	}
	if fi.Size() > MaxCIDv0FileSize {
		return fmt.Errorf("action: load dir: %s: %w", file, ErrFileTooLarge)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("action: load dir: %w", err)
	}
	cid, err := CIDv0(data)
	if err != nil {
		return fmt.Errorf("action: load dir: %s: %w", file, err)
	}
	d.byCID[cid] = DirEntry{Name: filepath.Base(file), CID: cid, Code: string(data)}
	return nil
}

// Code returns the source of the action with the given CID, or an error
// wrapping ErrUnknownAction.
func (d *Dir) Code(cid string) (string, error) {
	if d != nil {
		if e, ok := d.byCID[cid]; ok {
			return e.Code, nil
		}
	}
	return "", fmt.Errorf("%w: %q", ErrUnknownAction, cid)
}

// Entries lists the actions sorted by file name.
func (d *Dir) Entries() []DirEntry {
	if d == nil {
		return nil
	}
	out := make([]DirEntry, 0, len(d.byCID))
	for _, e := range d.byCID {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
