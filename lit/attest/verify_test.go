package attest

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestVerifyGoodReport(t *testing.T) {
	a, _ := authorities(t)
	ch := newChallenge(t)
	att, err := a.Attest(ch, testNodeAddr, map[string][]byte{DataReleaseID: []byte(testReleaseID)})
	if err != nil {
		t.Fatal(err)
	}
	// Through the wire form, as the client receives it.
	raw, err := json.Marshal(att)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ParseAttestation(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, node := range []string{testNode, testNodeAddr} {
		v, err := Verify(ctx, parsed, ch, node, &Options{Roots: a.Roots()})
		if err != nil {
			t.Fatalf("%s: %v", node, err)
		}
		if v.VCEKSource != "roots" || v.ReleaseID != testReleaseID || v.Debug || v.ReportVersion != 3 ||
			!bytes.Equal(v.ChipID, a.chipID[:]) || v.Node != node {
			t.Fatalf("verified %+v", v)
		}
	}
}

func TestVerifyRefusals(t *testing.T) {
	a, b := authorities(t)
	ch := newChallenge(t)
	good := func() *Attestation {
		att, err := a.Attest(ch, testNodeAddr, nil)
		if err != nil {
			t.Fatal(err)
		}
		return att
	}
	spoiled := func(s Spoil) *Attestation {
		att, err := a.AttestSpoiled(s, ch, testNodeAddr, nil)
		if err != nil {
			t.Fatal(err)
		}
		return att
	}
	foreign := newKDS(t, b.KDSHandler())
	later := func() time.Time { return time.Now().AddDate(8, 0, 0) }
	earlier := func() time.Time { return time.Now().AddDate(0, 0, -1) }
	debugReport := func() *Attestation {
		att := good()
		rd := ReportData(att.Noonce, att.Data, nil)
		rep, err := a.signReport(rd, testPolicy|1<<19)
		if err != nil {
			t.Fatal(err)
		}
		att.Report = rep
		return att
	}

	tests := []struct {
		name      string
		att       *Attestation
		challenge *[32]byte
		node      string
		opts      *Options
		reason    error
	}{
		{name: "no attestation", att: nil, reason: ErrAttestationMissing},
		{name: "other type", att: func() *Attestation { x := good(); x.Type = "ADMIN_SIGNED"; return x }(), reason: ErrAttestationPolicy},
		{name: "we sent another challenge", att: good(), challenge: &[32]byte{1}, reason: ErrAttestationChallenge},
		{name: "node answered another challenge", att: spoiled(SpoilChallenge), reason: ErrAttestationChallenge},
		{name: "we talked to another port", att: good(), node: "http://127.0.0.1:7471", reason: ErrAttestationAddress},
		{name: "we talked to another host", att: good(), node: "http://localhost:7470", reason: ErrAttestationAddress},
		{name: "default port", att: good(), node: "https://127.0.0.1", reason: ErrAttestationAddress},
		{name: "node attests another address", att: spoiled(SpoilAddress), reason: ErrAttestationAddress},
		{name: "no external address", att: func() *Attestation { x := good(); delete(x.Data, DataExternalAddr); return x }(), reason: ErrAttestationAddress},
		{name: "data added after the report", att: func() *Attestation { x := good(); x.Data["EXTRA"] = []byte("x"); return x }(), reason: ErrAttestationReportData},
		{name: "signature added before the last", att: func() *Attestation { x := good(); x.Signatures = [][]byte{{1}, {2}}; return x }(), reason: ErrAttestationReportData},
		{name: "tampered report", att: func() *Attestation { x := good(); x.Report[0x90] ^= 1; return x }(), reason: ErrAttestationSignature},
		{name: "broken signature", att: spoiled(SpoilSignature), reason: ErrAttestationSignature},
		{name: "VLEK-signed", att: func() *Attestation { x := good(); x.Report[0x48] = 1 << 2; return x }(), reason: ErrAttestationPolicy},
		{name: "signature algorithm 2", att: func() *Attestation { x := good(); x.Report[0x34] = 2; return x }(), reason: ErrAttestationPolicy},
		{name: "Genoa chip", att: func() *Attestation { x := good(); x.Report[0x189] = 0x11; return x }(), reason: ErrAttestationPolicy},
		{name: "short report", att: func() *Attestation { x := good(); x.Report = x.Report[:100]; return x }(), reason: ErrAttestationMalformed},
		{name: "report version 9", att: func() *Attestation { x := good(); x.Report[0] = 9; return x }(), reason: ErrAttestationMalformed},
		{name: "foreign chain", att: func() *Attestation {
			x, err := b.Attest(ch, testNodeAddr, nil)
			if err != nil {
				t.Fatal(err)
			}
			return x
		}(), opts: &Options{Roots: a.Roots(), KDSURL: foreign.URL, NoProxy: true}, reason: ErrAttestationChain},
		{name: "expired", att: good(), opts: &Options{Roots: a.Roots(), Now: later}, reason: ErrAttestationExpired},
		{name: "not yet valid", att: good(), opts: &Options{Roots: a.Roots(), Now: earlier}, reason: ErrAttestationExpired},
		{name: "debug guest refused", att: debugReport(), opts: &Options{Roots: a.Roots(), RequireNoDebug: true}, reason: ErrAttestationPolicy},
		{name: "test chip under AMD roots, KDS has no VCEK", att: good(), opts: &Options{KDSURL: foreign.URL, NoProxy: true}, reason: ErrAttestationFetch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ch
			if tc.challenge != nil {
				c = *tc.challenge
			}
			node := tc.node
			if node == "" {
				node = testNode
			}
			opts := tc.opts
			if opts == nil {
				opts = &Options{Roots: a.Roots()}
			}
			_, err := Verify(ctx, tc.att, c, node, opts)
			wantReason(t, err, node, tc.reason)
			t.Log(err)
		})
	}
}

func TestDebugGuestAcceptedByDefault(t *testing.T) {
	// The SDK does not look at the guest policy; neither do we unless asked.
	a, _ := authorities(t)
	ch := newChallenge(t)
	att, err := a.Attest(ch, testNodeAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	rd := ReportData(att.Noonce, att.Data, nil)
	if att.Report, err = a.signReport(rd, testPolicy|1<<19); err != nil {
		t.Fatal(err)
	}
	v, err := Verify(ctx, att, ch, testNode, &Options{Roots: a.Roots()})
	if err != nil || !v.Debug {
		t.Fatalf("Verify = %+v, %v; want accepted with Debug", v, err)
	}
}

func TestHostPort(t *testing.T) {
	tests := []struct{ in, host, port, err string }{
		{in: "http://127.0.0.1:7470", host: "127.0.0.1", port: "7470"},
		{in: "https://node.example.com", host: "node.example.com", port: "443"},
		{in: "http://node.example.com/", host: "node.example.com", port: "80"},
		{in: "http://[::1]:7470", host: "::1", port: "7470"},
		{in: "10.0.0.1:443", host: "10.0.0.1", port: "443"},
		{in: "ftp://node", err: "no port"},
		{in: "node", err: "missing port"},
	}
	for _, tc := range tests {
		h, p, err := hostPort(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("hostPort(%q) error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || h != tc.host || p != tc.port {
			t.Errorf("hostPort(%q) = %q, %q, %v", tc.in, h, p, err)
		}
	}
}

func TestAddressIPv6(t *testing.T) {
	if err := checkAddress([]byte("[::1]:7470"), "http://[::1]:7470"); err != nil {
		t.Fatal(err)
	}
	if err := checkAddress([]byte("::1:7470"), "http://[::1]:7470"); err == nil {
		t.Fatal("unbracketed IPv6 accepted")
	}
}

func TestVerifyJSON(t *testing.T) {
	a, _ := authorities(t)
	ch := newChallenge(t)
	att, err := a.Attest(ch, testNodeAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(att)
	if _, err := VerifyJSON(ctx, raw, ch, testNode, &Options{Roots: a.Roots()}); err != nil {
		t.Fatal(err)
	}
	wantReason(t, func() error { _, err := VerifyJSON(ctx, []byte("null"), ch, testNode, nil); return err }(), testNode, ErrAttestationMissing)
	_, err = VerifyJSON(ctx, []byte(`{"type":"AMD_SEV_SNP"}`), ch, testNode, nil)
	wantReason(t, err, testNode, ErrAttestationMalformed)
	if got, want := err.Error(), "node "+testNode+" attestation: malformed attestation: no noonce"; got != want {
		t.Fatalf("error %q, want %q", got, want)
	}
}
