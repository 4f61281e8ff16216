package action

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"hello.js":  "hello world\n",
		"b.js":      "hello world",
		"notes.txt": "ignored",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.js"), 0o700); err != nil {
		t.Fatal(err)
	}
	d, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	code, err := d.Code("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o")
	if err != nil || code != "hello world\n" {
		t.Fatalf("Code = %q, %v", code, err)
	}
	ents := d.Entries()
	if len(ents) != 2 || ents[0].Name != "b.js" || ents[0].CID != "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD" || ents[1].Name != "hello.js" {
		t.Fatalf("Entries = %+v", ents)
	}
	if _, err := d.Code("QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"); !errors.Is(err, ErrUnknownAction) {
		t.Fatalf("unknown CID: err = %v", err)
	}
	var nilDir *Dir
	if _, err := nilDir.Code("Qm"); !errors.Is(err, ErrUnknownAction) {
		t.Fatalf("nil Dir: err = %v", err)
	}
}

func TestLoadDirErrors(t *testing.T) {
	if _, err := LoadDir(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing directory accepted")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "big.js"), make([]byte, MaxCIDv0FileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadDir(dir); !errors.Is(err, ErrFileTooLarge) {
		t.Errorf("big file: err = %v, want ErrFileTooLarge", err)
	}
}
