package attest

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-sev-guest/abi"
	"github.com/google/go-sev-guest/kds"
	spb "github.com/google/go-sev-guest/proto/sevsnp"
	"github.com/google/go-sev-guest/verify"
)

// Options tune Verify. The zero value verifies as the SDK does: AMD's Milan
// roots, VCEKs from the KDS through Lit's proxy, no disk cache, no release
// check.
type Options struct {
	// Roots replaces AMD's roots (tests and the devnet only); nil is AMDRoots().
	// VCEKs in Roots are used before any fetch.
	Roots *Roots
	// Getter fetches VCEKs; nil is HTTPGetter{}.
	Getter Getter
	// KDSURL is AMD's key distribution service; "" is DefaultKDSURL.
	KDSURL string
	// ProxyURL is asked first, with the KDS URL appended to it; "" is
	// DefaultProxyURL. NoProxy asks the KDS directly only.
	ProxyURL string
	NoProxy  bool
	// Cache keeps fetched VCEKs on disk; nil caches nothing.
	Cache *Cache
	// Now is the time certificates must be valid at; nil is time.Now.
	Now func() time.Time
	// RequireNoDebug refuses reports from guests whose policy allows
	// debugging (their memory is readable by the host). The SDK does not
	// check this.
	RequireNoDebug bool
	// Release, when set, checks the attested RELEASE_ID (see ReleaseRegister).
	// The SDK 8.x never runs such a check (see the package doc).
	Release ReleaseChecker
}

// Verified is what an accepted attestation tells about the node.
type Verified struct {
	// Node is the node as the caller named it.
	Node string
	// Data are the attested data fields (EXTERNAL_ADDR, RELEASE_ID, …).
	Data map[string][]byte
	// ReleaseID is the RELEASE_ID data field as text ("" when absent).
	ReleaseID string
	// ReportVersion, Policy, Measurement, ChipID and ReportedTCB are the
	// report's fields; Debug is the policy's debug bit.
	ReportVersion uint32
	Policy        uint64
	Debug         bool
	Measurement   []byte
	ChipID        []byte
	ReportedTCB   uint64
	// VCEKSource says where the VCEK came from: "roots", "cache",
	// "proxy <url>" or "direct".
	VCEKSource string
	// CacheErr is a disk-cache failure that did not prevent verification
	// (worth a log line); nil normally.
	CacheErr error
}

// Verify checks a node's handshake attestation as the Lit SDK's
// checkSevSnpAttestation does, and more strictly where noted in the package
// doc. challenge is the handshake challenge we sent; node is the node's URL
// (http://host:port, the port defaulting to 80/443) or host:port, and must
// equal the attested EXTERNAL_ADDR. Every error is an *Error.
func Verify(ctx context.Context, att *Attestation, challenge [32]byte, node string, opts *Options) (*Verified, error) {
	if opts == nil {
		opts = &Options{}
	}
	if att == nil {
		return nil, refuse(node, ErrAttestationMissing, "")
	}
	if att.Type != TypeAMDSEVSNP {
		return nil, refuse(node, ErrAttestationPolicy, "type %q is not %s", att.Type, TypeAMDSEVSNP)
	}
	if !bytes.Equal(att.Noonce, challenge[:]) {
		return nil, refuse(node, ErrAttestationChallenge, "noonce %s is not the challenge %s",
			short(att.Noonce), hex.EncodeToString(challenge[:]))
	}
	if err := checkAddress(att.Data[DataExternalAddr], node); err != nil {
		return nil, refuse(node, ErrAttestationAddress, "%v", err)
	}
	rep, err := parseReport(att.Report)
	if err != nil {
		return nil, refuse(node, ErrAttestationMalformed, "%v", err)
	}
	if want := ReportData(att.Noonce, att.Data, att.Signatures); !bytes.Equal(rep.GetReportData(), want[:]) {
		return nil, refuse(node, ErrAttestationReportData, "REPORT_DATA %s, want %s",
			short(rep.GetReportData()), short(want[:]))
	}
	if err := checkReportKind(rep); err != nil {
		return nil, refuse(node, ErrAttestationPolicy, "%v", err)
	}
	policy, _ := abi.ParseSnpPolicy(rep.GetPolicy()) // parseReport validated it
	if opts.RequireNoDebug && policy.Debug {
		return nil, refuse(node, ErrAttestationPolicy, "guest policy %#x allows debugging", rep.GetPolicy())
	}

	v := &verifier{opts: opts, roots: opts.Roots, now: time.Now}
	if v.roots == nil {
		v.roots = AMDRoots()
	}
	if v.roots.ARK == nil || v.roots.ASK == nil {
		return nil, refuse(node, ErrAttestationChain, "no trusted ARK and ASK given")
	}
	if opts.Now != nil {
		v.now = opts.Now
	}
	k := vcekKey{product: ProductLine, tcb: kds.TCBVersion(rep.GetReportedTcb())}
	copy(k.chipID[:], rep.GetChipId())
	got, verr := v.verifyWithVCEK(ctx, k, att.Report, rep)
	if verr != nil {
		verr.Node = node
		return nil, verr
	}
	out := &Verified{
		Node:          node,
		Data:          att.Data,
		ReleaseID:     string(att.Data[DataReleaseID]),
		ReportVersion: rep.GetVersion(),
		Policy:        rep.GetPolicy(),
		Debug:         policy.Debug,
		Measurement:   rep.GetMeasurement(),
		ChipID:        rep.GetChipId(),
		ReportedTCB:   rep.GetReportedTcb(),
		VCEKSource:    got.source,
		CacheErr:      got.cacheErr,
	}
	if opts.Release != nil {
		if err := opts.Release.CheckRelease(ctx, out.ReleaseID); err != nil {
			return nil, refuse(node, ErrAttestationRelease, "%v", err)
		}
	}
	return out, nil
}

// VerifyJSON is Verify on the raw `attestation` value of a handshake reply
// (JSON null or absent is ErrAttestationMissing); every error is an *Error.
func VerifyJSON(ctx context.Context, raw []byte, challenge [32]byte, node string, opts *Options) (*Verified, error) {
	if isNull(raw) {
		return nil, refuse(node, ErrAttestationMissing, "")
	}
	att, err := decodeAttestation(raw)
	if err != nil {
		return nil, &Error{Node: node, Reason: ErrAttestationMalformed, Err: err}
	}
	return Verify(ctx, att, challenge, node, opts)
}

// parseReport parses and sanity-checks the raw report with go-sev-guest.
func parseReport(raw []byte) (*spb.Report, error) {
	if len(raw) != abi.ReportSize {
		return nil, fmt.Errorf("report is %d bytes, want %d", len(raw), abi.ReportSize)
	}
	if err := abi.ValidateReportFormat(raw); err != nil {
		return nil, err
	}
	rep, err := abi.ReportToProto(raw)
	if err != nil {
		return nil, fmt.Errorf("report: %v", err)
	}
	return rep, nil
}

// checkReportKind accepts what the SDK can verify: VCEK-signed ECDSA P-384
// reports from a Milan chip.
func checkReportKind(rep *spb.Report) error {
	info, err := abi.ParseSignerInfo(rep.GetSignerInfo())
	if err != nil {
		return err
	}
	if info.SigningKey != abi.VcekReportSigner {
		return fmt.Errorf("report signed by %v, only VCEK-signed reports are accepted", info.SigningKey)
	}
	if rep.GetSignatureAlgo() != abi.SignEcdsaP384Sha384 {
		return fmt.Errorf("signature algorithm %d is not ECDSA P-384 with SHA-384", rep.GetSignatureAlgo())
	}
	if fms := rep.GetCpuid1EaxFms(); fms != 0 {
		if line := kds.ProductLineFromFms(fms); line != ProductLine {
			return fmt.Errorf("report from a %s chip, only %s is accepted", line, ProductLine)
		}
	}
	return nil
}

// checkAddress compares the attested EXTERNAL_ADDR with the node we talked to.
func checkAddress(attested []byte, node string) error {
	if attested == nil {
		return fmt.Errorf("no %s in the attestation data", DataExternalAddr)
	}
	wantHost, wantPort, err := hostPort(node)
	if err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(string(attested))
	if err != nil {
		return fmt.Errorf("%s %q: %v", DataExternalAddr, attested, err)
	}
	if !strings.EqualFold(host, wantHost) || port != wantPort {
		return fmt.Errorf("%s is %q, we talked to %s", DataExternalAddr, attested, net.JoinHostPort(wantHost, wantPort))
	}
	return nil
}

// hostPort splits a node URL or host:port, defaulting the port by scheme as
// the SDK does.
func hostPort(node string) (string, string, error) {
	if !strings.Contains(node, "://") {
		h, p, err := net.SplitHostPort(node)
		if err != nil {
			return "", "", fmt.Errorf("node address %q: %v", node, err)
		}
		return h, p, nil
	}
	u, err := url.Parse(node)
	if err != nil {
		return "", "", fmt.Errorf("node URL %q: %v", node, err)
	}
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		default:
			return "", "", fmt.Errorf("node URL %q has no port", node)
		}
	}
	return u.Hostname(), port, nil
}

type verifier struct {
	opts  *Options
	roots *Roots
	now   func() time.Time
}

// vcekUse is where the VCEK came from and any cache trouble met on the way.
type vcekUse struct {
	source   string
	cacheErr error
}

// verifyWithVCEK finds the VCEK for k and verifies chain and signature. A
// cached VCEK that fails the chain is dropped and fetched afresh once.
func (v *verifier) verifyWithVCEK(ctx context.Context, k vcekKey, raw []byte, rep *spb.Report) (vcekUse, *Error) {
	var use vcekUse
	cert := v.fromRoots(k)
	use.source = "roots"
	if cert == nil && v.opts.Cache != nil {
		cert, use.cacheErr = v.opts.Cache.load(k)
		use.source = "cache"
	}
	if cert != nil {
		err := v.check(cert, raw, rep)
		if err == nil || use.source == "roots" || (err.Reason != ErrAttestationChain && err.Reason != ErrAttestationExpired) {
			return use, err
		}
		use.cacheErr = errors.Join(use.cacheErr, v.opts.Cache.drop(k))
	}
	cert, source, fetchErr := v.fetch(ctx, k)
	if fetchErr != nil {
		return use, &Error{Reason: ErrAttestationFetch, Err: fetchErr}
	}
	use.source = source
	if err := v.check(cert, raw, rep); err != nil {
		return use, err
	}
	if v.opts.Cache != nil {
		use.cacheErr = errors.Join(use.cacheErr, v.opts.Cache.store(k, cert.Raw))
	}
	return use, nil
}

func (v *verifier) fromRoots(k vcekKey) *x509.Certificate {
	for _, c := range v.roots.VCEKs {
		if k.matches(c) == nil {
			return c
		}
	}
	return nil
}

func (v *verifier) fetch(ctx context.Context, k vcekKey) (*x509.Certificate, string, error) {
	g := v.opts.Getter
	if g == nil {
		g = HTTPGetter{}
	}
	kdsURL, proxy := v.opts.KDSURL, v.opts.ProxyURL
	if kdsURL == "" {
		kdsURL = DefaultKDSURL
	}
	if proxy == "" {
		proxy = DefaultProxyURL
	}
	if v.opts.NoProxy {
		proxy = ""
	}
	return fetchVCEK(ctx, g, kdsURL, proxy, k)
}

// check verifies one VCEK against the roots and the report against it.
func (v *verifier) check(vcek *x509.Certificate, raw []byte, rep *spb.Report) *Error {
	ext, err := kds.VcekCertificateExtensions(vcek)
	if err != nil {
		return &Error{Reason: ErrAttestationChain, Err: fmt.Errorf("VCEK: %v", err)}
	}
	product, err := kds.ParseProductName(ext.ProductName, abi.VcekReportSigner)
	if err != nil {
		return &Error{Reason: ErrAttestationChain, Err: fmt.Errorf("VCEK product: %v", err)}
	}
	if line := kds.ProductLine(product); line != ProductLine {
		return &Error{Reason: ErrAttestationPolicy, Err: fmt.Errorf("VCEK of a %s chip, only %s is accepted", line, ProductLine)}
	}
	// Trust before time: a VCEK of a foreign chain is a chain error even
	// when it would also be out of date here.
	if err := vcek.CheckSignatureFrom(v.roots.ASK); err != nil {
		return &Error{Reason: ErrAttestationChain, Err: fmt.Errorf("VCEK is not signed by the trusted ASK: %v", err)}
	}
	now := v.now()
	for _, c := range []struct {
		name string
		cert *x509.Certificate
	}{{"VCEK", vcek}, {"ASK", v.roots.ASK}, {"ARK", v.roots.ARK}} {
		if now.Before(c.cert.NotBefore) || now.After(c.cert.NotAfter) {
			return &Error{Reason: ErrAttestationExpired, Err: fmt.Errorf("%s valid %s to %s, now is %s", c.name,
				c.cert.NotBefore.UTC().Format(time.RFC3339), c.cert.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))}
		}
	}
	att := &spb.Attestation{Report: rep, CertificateChain: &spb.CertificateChain{VcekCert: vcek.Raw}}
	err = verify.SnpAttestation(att, &verify.Options{DisableCertFetching: true, TrustedRoots: v.roots.trust(), Now: now})
	if err == nil {
		return nil
	}
	// go-sev-guest checks the chain, then the signature; tell them apart.
	if sigErr := verify.SnpReportSignature(raw, vcek); sigErr != nil {
		return &Error{Reason: ErrAttestationSignature, Err: sigErr}
	}
	return &Error{Reason: ErrAttestationChain, Err: err}
}

// short prints at most the first 16 bytes of b in hex.
func short(b []byte) string {
	if len(b) > 16 {
		return hex.EncodeToString(b[:16]) + "…"
	}
	return hex.EncodeToString(b)
}
