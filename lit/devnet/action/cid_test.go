package action

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// cidVector is one entry of testdata/cidv0.json. The file is Text, or,
// when Size is set, Size bytes with byte i equal to i % 251.
type cidVector struct {
	Name string `json:"name"`
	Text string `json:"text"`
	Size int    `json:"size"`
	CID  string `json:"cid"`
}

func (v cidVector) data() []byte {
	if v.Size == 0 {
		return []byte(v.Text)
	}
	b := make([]byte, v.Size)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

func TestCIDv0Vectors(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "cidv0.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vectors []cidVector
	if err := json.Unmarshal(raw, &vectors); err != nil {
		t.Fatal(err)
	}
	if len(vectors) < 3 {
		t.Fatalf("only %d vectors", len(vectors))
	}
	for _, v := range vectors {
		t.Run(v.Name, func(t *testing.T) {
			got, err := CIDv0(v.data())
			if err != nil {
				t.Fatal(err)
			}
			if got != v.CID {
				t.Errorf("CIDv0 = %s, want %s", got, v.CID)
			}
		})
	}
}

func TestCIDv0TooLarge(t *testing.T) {
	if _, err := CIDv0(make([]byte, MaxCIDv0FileSize+1)); !errors.Is(err, ErrFileTooLarge) {
		t.Fatalf("err = %v, want ErrFileTooLarge", err)
	}
}

func TestBase58RoundTrip(t *testing.T) {
	for _, b := range [][]byte{{}, {0}, {0, 0, 1}, {0xff, 0xfe}, []byte("hello world")} {
		s := base58Encode(b)
		back, err := base58Decode(s)
		if err != nil || string(back) != string(b) {
			t.Errorf("base58 %x -> %q -> %x, %v", b, s, back, err)
		}
	}
	if got := base58Encode([]byte("hello world")); got != "StV1DL6CwTryKyV" {
		t.Errorf("base58(hello world) = %s", got)
	}
	if _, err := base58Decode("0OIl"); err == nil {
		t.Error("base58Decode accepted characters outside the alphabet")
	}
}

// TestCIDv0MatchesIPFS checks CIDv0 against the `ipfs` CLI when installed.
func TestCIDv0MatchesIPFS(t *testing.T) {
	ipfs, err := exec.LookPath("ipfs")
	if err != nil {
		t.Skip("ipfs CLI not installed; testdata/cidv0.json holds vectors from ipfs-unixfs-importer")
	}
	data := cidVector{Size: 100000}.data()
	f := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(f, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(ipfs, "add", "--only-hash", "-Q", f).Output()
	if err != nil {
		t.Skipf("ipfs add failed: %v", err)
	}
	want := string(out[:len(out)-1])
	if got, _ := CIDv0(data); got != want {
		t.Errorf("CIDv0 = %s, ipfs add = %s", got, want)
	}
}
