package attest

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/google/go-sev-guest/abi"
	"github.com/google/go-sev-guest/kds"
	"github.com/google/go-sev-guest/verify/testdata"
)

// TestRealAMDReport checks the chain and signature code on genuine data: a
// report from a real Milan chip and its VCEK as AMD's KDS issued it
// (go-sev-guest's testdata), against AMD's real roots, offline. Its
// REPORT_DATA is not a Lit binding, so only the report/VCEK part of Verify
// runs.
func TestRealAMDReport(t *testing.T) {
	vcek, err := x509.ParseCertificate(testdata.VcekBytes)
	if err != nil {
		t.Fatal(err)
	}
	raw := append([]byte(nil), testdata.AttestationBytes...)
	rep, err := parseReport(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkReportKind(rep); err != nil {
		t.Fatal(err)
	}
	k := vcekKey{product: ProductLine, tcb: kds.TCBVersion(rep.GetReportedTcb())}
	copy(k.chipID[:], rep.GetChipId())
	if err := k.matches(vcek); err != nil {
		t.Fatalf("the testdata VCEK is not the report's: %v", err)
	}
	if got, want := k.url(DefaultKDSURL), "https://kdsintf.amd.com/vcek/v1/Milan/3ac3fe21e13fb0990eb28a802e3fb6a29483a6b0753590c951bdd3b8e53786184ca39e359669a2b76a1936776b564ea464cdce40c05f63c9b610c5068b006b5d?blSPL=02&teeSPL=00&snpSPL=05&ucodeSPL=68"; got != want {
		t.Errorf("VCEK URL\n got %s\nwant %s", got, want)
	}
	when := func() time.Time { return time.Date(2023, time.June, 1, 0, 0, 0, 0, time.UTC) }

	amd := &verifier{opts: &Options{}, roots: AMDRoots(), now: when}
	if err := amd.check(vcek, raw, rep); err != nil {
		t.Fatalf("genuine report refused: %v", err)
	}

	tampered := append([]byte(nil), raw...)
	tampered[0x90] ^= 1 // measurement
	trep, err := abi.ReportToProto(tampered)
	if err != nil {
		t.Fatal(err)
	}
	if err := amd.check(vcek, tampered, trep); err == nil || err.Reason != ErrAttestationSignature {
		t.Fatalf("tampered genuine report: %v, want signature error", err)
	}

	a, _ := authorities(t)
	test := &verifier{opts: &Options{}, roots: a.Roots(), now: when}
	if err := test.check(vcek, raw, rep); err == nil || err.Reason != ErrAttestationChain {
		t.Fatalf("genuine report under test roots: %v, want chain error", err)
	}
	late := &verifier{opts: &Options{}, roots: AMDRoots(), now: func() time.Time { return time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC) }}
	if err := late.check(vcek, raw, rep); err == nil || err.Reason != ErrAttestationExpired {
		t.Fatalf("genuine report in 2040: %v, want expired", err)
	}
}
