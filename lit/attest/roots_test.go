package attest

import (
	"bytes"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteLoadRoots(t *testing.T) {
	a, _ := authorities(t)
	path := filepath.Join(t.TempDir(), "roots.pem")
	if err := a.WriteRoots(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Fatalf("roots file mode %v", fi.Mode().Perm())
	}
	r, err := LoadRoots(path)
	if err != nil {
		t.Fatal(err)
	}
	if !r.ARK.Equal(a.Roots().ARK) || !r.ASK.Equal(a.Roots().ASK) || len(r.VCEKs) != 1 || !r.VCEKs[0].Equal(a.VCEK()) || r.IsAMD() {
		t.Fatal("loaded roots differ")
	}
	// A verifier given only the file accepts the authority's reports.
	ch := newChallenge(t)
	att, err := a.Attest(ch, testNodeAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(ctx, att, ch, testNode, &Options{Roots: r}); err != nil {
		t.Fatal(err)
	}
}

func TestParseRootsErrors(t *testing.T) {
	a, b := authorities(t)
	pemOf := func(certs ...*x509.Certificate) []byte {
		return (&Roots{ARK: certs[0], ASK: certs[1], VCEKs: certs[2:]}).PEM()
	}
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "one ARK and one ASK"},
		{"only an ARK", pemOf(a.Roots().ARK, a.Roots().ARK)[:len(pemOf(a.Roots().ARK, a.Roots().ARK))/2], "one ARK and one ASK"},
		{"two ARKs", append(pemOf(a.Roots().ARK, a.Roots().ASK), pemOf(b.Roots().ARK, b.Roots().ASK)...), "more than one ARK"},
		{"ASK of another ARK", pemOf(a.Roots().ARK, b.Roots().ASK), "ASK is not signed by the ARK"},
		{"not a certificate", []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), "unexpected PEM block"},
		{"VCEK as the ASK", pemOf(a.Roots().ARK, a.VCEK()), "one ARK and one ASK"},
	}
	for _, tc := range tests {
		if _, err := ParseRoots(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := LoadRoots(filepath.Join(t.TempDir(), "none.pem")); err == nil || !strings.Contains(err.Error(), "attestation roots") {
		t.Errorf("missing file: %v", err)
	}
}

func TestAMDRoots(t *testing.T) {
	r := AMDRoots()
	if !r.IsAMD() || r.ARK.Subject.CommonName != "ARK-Milan" || r.ASK.Subject.CommonName != "SEV-Milan" {
		t.Fatalf("AMD roots: %v / %v", r.ARK.Subject, r.ASK.Subject)
	}
	if err := r.ASK.CheckSignatureFrom(r.ARK); err != nil {
		t.Fatal(err)
	}
}

func TestKDSHandler(t *testing.T) {
	a, _ := authorities(t)
	srv := newKDS(t, a.KDSHandler())
	k := vcekKey{product: ProductLine, chipID: a.chipID, tcb: a.tcb}
	get := func(url string) (int, []byte) {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if code, body := get(k.url(srv.URL)); code != 200 || !bytes.Equal(body, a.VCEK().Raw) {
		t.Fatalf("VCEK: %d", code)
	}
	if code, body := get(srv.URL + "/vcek/v1/Milan/cert_chain"); code != 200 || !bytes.Contains(body, []byte("BEGIN CERTIFICATE")) {
		t.Fatalf("cert_chain: %d", code)
	}
	other := k
	other.tcb++
	if code, _ := get(other.url(srv.URL)); code != 404 {
		t.Fatalf("other TCB: %d, want 404", code)
	}
	if code, _ := get(srv.URL + "/vcek/v1/Milan/zz?blSPL=1"); code != 400 {
		t.Fatalf("bad request: %d, want 400", code)
	}
	if code, _ := get(srv.URL + "/vcek/v1/Genoa/cert_chain"); code != 404 {
		t.Fatalf("Genoa: %d, want 404", code)
	}
}

func TestSpoilNames(t *testing.T) {
	for _, s := range Spoils {
		if s.String() == "" || strings.HasPrefix(s.String(), "spoil(") {
			t.Errorf("spoil %d has no name", int(s))
		}
	}
	a, _ := authorities(t)
	if _, err := a.AttestSpoiled(Spoil(42), [32]byte{}, testNodeAddr, nil); err == nil {
		t.Error("unknown spoil accepted")
	}
}
