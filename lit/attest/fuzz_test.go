package attest

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-sev-guest/verify/testdata"
)

// FuzzParseAttestation: any bytes parse or fail with a typed reason; what
// parses survives a round trip through the wire form.
func FuzzParseAttestation(f *testing.F) {
	f.Add([]byte(`{"type":"AMD_SEV_SNP","noonce":"AQID","data":{"EXTERNAL_ADDR":"MS4yLjMuNDo0NDM="},"signatures":["BAU="],"report":"BgcI"}`))
	f.Add([]byte(`{"type":"AMD_SEV_SNP","noonce":"-_8","data":{},"signatures":[],"report":"BgcI"}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"noonce":"","report":""}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		att, err := ParseAttestation(raw)
		if err != nil {
			return
		}
		out, err := json.Marshal(att)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseAttestation(out)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		if !bytes.Equal(again.Noonce, att.Noonce) || !bytes.Equal(again.Report, att.Report) ||
			len(again.Data) != len(att.Data) || len(again.Signatures) != len(att.Signatures) {
			t.Fatalf("round trip changed %+v into %+v", att, again)
		}
		// Verify never panics on what the parser lets through.
		_, err = Verify(ctx, att, [32]byte{}, "127.0.0.1:1", &Options{Getter: noNetwork{}})
		if err == nil {
			t.Fatal("fuzzed attestation verified")
		}
	})
}

// FuzzParseReport: any bytes parse as a report or fail cleanly, and
// whatever parses is checked (VCEK, chain, signature) without a panic. It
// runs against the genuine AMD data so that workers need no key generation.
func FuzzParseReport(f *testing.F) {
	f.Add(testdata.AttestationBytes)
	f.Add(make([]byte, 1184))
	vcek, err := x509.ParseCertificate(testdata.VcekBytes)
	if err != nil {
		f.Fatal(err)
	}
	v := &verifier{opts: &Options{}, roots: AMDRoots(), now: func() time.Time { return time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC) }}
	f.Fuzz(func(t *testing.T, raw []byte) {
		rep, err := parseReport(raw)
		if err != nil {
			return
		}
		kindErr := checkReportKind(rep)
		err2 := v.check(vcek, raw, rep)
		if kindErr == nil && err2 == nil && !bytes.Equal(raw, testdata.AttestationBytes) {
			t.Fatalf("a changed report still verifies: %x", raw)
		}
	})
}
