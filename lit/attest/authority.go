package attest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-sev-guest/abi"
	"github.com/google/go-sev-guest/kds"
	spb "github.com/google/go-sev-guest/proto/sevsnp"
)

// TestAuthority plays AMD for a local network: a fresh ARK → ASK → VCEK
// chain laid out as AMD's (RSASSA-PSS/SHA-384 certificates named and
// extended as the KDS issues them, an ECDSA P-384 VCEK), and one fake
// Milan chip whose VCEK signs SEV-SNP reports bound exactly as a Lit node
// binds real ones. Its roots are trusted only where a caller passes them
// explicitly (Options.Roots, a roots file), never by default.
//
// Unlike AMD's RSA-4096 roots the ARK and ASK keys are RSA-2048, so that a
// devnet starts in well under a second; no verifier checks the size.
type TestAuthority struct {
	roots       *Roots
	vcekKey     *ecdsa.PrivateKey
	chipID      [abi.ChipIDSize]byte
	tcb         kds.TCBVersion
	measurement [abi.MeasurementSize]byte
}

// testRootKeyBits is the ARK/ASK key size (AMD uses 4096).
const testRootKeyBits = 2048

// testTCB is the fake chip's TCB (plausible Milan levels).
var testTCB = kds.TCBParts{BlSpl: 3, TeeSpl: 0, SnpSpl: 22, UcodeSpl: 213}

// NewTestAuthority makes a fresh chain and chip; its certificates are valid
// from an hour ago for 7 (VCEK) and 25 (ARK, ASK) years, as AMD's are.
func NewTestAuthority() (*TestAuthority, error) {
	keys := make(chan *rsa.PrivateKey, 2)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			k, err := rsa.GenerateKey(rand.Reader, testRootKeyBits)
			keys <- k
			errs <- err
		}()
	}
	arkKey, askKey := <-keys, <-keys
	if err := errors.Join(<-errs, <-errs); err != nil {
		return nil, fmt.Errorf("test authority: %w", err)
	}
	vcekKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("test authority: %w", err)
	}
	a := &TestAuthority{vcekKey: vcekKey}
	if a.tcb, err = kds.ComposeTCBParts(testTCB); err != nil {
		return nil, fmt.Errorf("test authority: %w", err)
	}
	if _, err := rand.Read(a.chipID[:]); err != nil {
		return nil, fmt.Errorf("test authority: %w", err)
	}
	if _, err := rand.Read(a.measurement[:]); err != nil {
		return nil, fmt.Errorf("test authority: %w", err)
	}

	now := time.Now().Add(-time.Hour)
	years := func(n int) time.Time { return now.AddDate(n, 0, 0) }
	ark, err := makeCert(&x509.Certificate{
		Subject:   amdName("ARK-" + ProductLine),
		NotBefore: now, NotAfter: years(25),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}, nil, &arkKey.PublicKey, arkKey)
	if err != nil {
		return nil, err
	}
	ask, err := makeCert(&x509.Certificate{
		Subject:   amdName("SEV-" + ProductLine),
		NotBefore: now, NotAfter: years(25),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign,
	}, ark, &askKey.PublicKey, arkKey)
	if err != nil {
		return nil, err
	}
	vcek, err := makeCert(&x509.Certificate{
		Subject:   amdName("SEV-VCEK"),
		NotBefore: now, NotAfter: years(7),
		ExtraExtensions: vcekExtensions(testTCB, a.chipID[:], ProductLine+"-B1"),
	}, ask, &vcekKey.PublicKey, askKey)
	if err != nil {
		return nil, err
	}
	a.roots = &Roots{ARK: ark, ASK: ask, VCEKs: []*x509.Certificate{vcek}}
	return a, nil
}

// amdName is a subject named as AMD names its SEV certificates (the
// location fields are what verifiers compare).
func amdName(cn string) pkix.Name {
	return pkix.Name{
		CommonName:         cn,
		Organization:       []string{"Advanced Micro Devices"},
		OrganizationalUnit: []string{"Engineering"},
		Locality:           []string{"Santa Clara"},
		Province:           []string{"CA"},
		Country:            []string{"US"},
	}
}

// makeCert signs tmpl with RSASSA-PSS/SHA-384 by signer (self-signed when parent is nil).
func makeCert(tmpl, parent *x509.Certificate, pub any, signer *rsa.PrivateKey) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("test authority: %w", err)
	}
	tmpl.SerialNumber = serial
	tmpl.Subject.SerialNumber = serial.Text(16)
	tmpl.SignatureAlgorithm = x509.SHA384WithRSAPSS
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		return nil, fmt.Errorf("test authority: %s: %w", tmpl.Subject.CommonName, err)
	}
	return x509.ParseCertificate(der)
}

// vcekExtensions are the KDS's VCEK extensions: structure version, product
// name, the TCB's security patch levels and the chip id.
func vcekExtensions(tcb kds.TCBParts, hwid []byte, product string) []pkix.Extension {
	var exts []pkix.Extension
	add := func(id asn1.ObjectIdentifier, v any, params string) {
		b, err := asn1.MarshalWithParams(v, params)
		if err != nil {
			panic(err) // fixed types only
		}
		exts = append(exts, pkix.Extension{Id: id, Value: b})
	}
	add(kds.OidStructVersion, 1, "")
	add(kds.OidProductName1, product, "ia5")
	for _, l := range []struct {
		id asn1.ObjectIdentifier
		v  uint8
	}{
		{kds.OidBlSpl, tcb.BlSpl}, {kds.OidTeeSpl, tcb.TeeSpl}, {kds.OidSpl4, tcb.Spl4},
		{kds.OidSpl5, tcb.Spl5}, {kds.OidSpl6, tcb.Spl6}, {kds.OidSpl7, tcb.Spl7},
		{kds.OidSnpSpl, tcb.SnpSpl}, {kds.OidUcodeSpl, tcb.UcodeSpl},
	} {
		add(l.id, int(l.v), "")
	}
	add(kds.OidHwid, hwid, "")
	return exts
}

// Roots returns the authority's ARK, ASK and VCEK, for Options.Roots.
func (a *TestAuthority) Roots() *Roots { return a.roots }

// VCEK is the fake chip's VCEK certificate.
func (a *TestAuthority) VCEK() *x509.Certificate { return a.roots.VCEKs[0] }

// WriteRoots writes the roots PEM (ARK, ASK, and the VCEK a KDS would
// serve for the fake chip) atomically, mode 0644: it is public data.
func (a *TestAuthority) WriteRoots(path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".roots-*.pem")
	if err != nil {
		return fmt.Errorf("write attestation roots: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(a.roots.PEM())
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write attestation roots: %w", err)
	}
	return nil
}

// Spoil is a way a devnet node's attestation goes wrong (--attestation-bad).
type Spoil int

// The ways to spoil an attestation, each caught by Verify with its own reason.
const (
	// SpoilNone: a good attestation.
	SpoilNone Spoil = iota
	// SpoilChallenge answers another challenge (ErrAttestationChallenge).
	SpoilChallenge
	// SpoilAddress attests another EXTERNAL_ADDR (ErrAttestationAddress).
	SpoilAddress
	// SpoilSignature breaks the report signature (ErrAttestationSignature).
	SpoilSignature
)

// Spoils lists the bad kinds, for handing out one per bad node in turn.
var Spoils = []Spoil{SpoilChallenge, SpoilAddress, SpoilSignature}

// String names the kind.
func (s Spoil) String() string {
	switch s {
	case SpoilNone:
		return "good"
	case SpoilChallenge:
		return "wrong challenge"
	case SpoilAddress:
		return "wrong address"
	case SpoilSignature:
		return "broken signature"
	}
	return "spoil(" + strconv.Itoa(int(s)) + ")"
}

// spoiledAddr is the address a SpoilAddress node claims (TEST-NET-1).
const spoiledAddr = "192.0.2.1:443"

// Attest answers a handshake challenge as a Lit node in an SEV-SNP VM does:
// data (copied) gains EXTERNAL_ADDR and UNIX_TIME, REPORT_DATA is
// ReportData over noonce, data and (no) signatures, and the fake chip's VCEK
// signs the report.
func (a *TestAuthority) Attest(challenge [32]byte, externalAddr string, data map[string][]byte) (*Attestation, error) {
	return a.AttestSpoiled(SpoilNone, challenge, externalAddr, data)
}

// AttestSpoiled is Attest, spoiled the given way.
func (a *TestAuthority) AttestSpoiled(s Spoil, challenge [32]byte, externalAddr string, data map[string][]byte) (*Attestation, error) {
	att := &Attestation{Type: TypeAMDSEVSNP, Noonce: append([]byte(nil), challenge[:]...), Data: map[string][]byte{}}
	for k, v := range data {
		att.Data[k] = append([]byte(nil), v...)
	}
	att.Data[DataExternalAddr] = []byte(externalAddr)
	var millis [16]byte // the node writes a u128, little-endian
	binary.LittleEndian.PutUint64(millis[:8], uint64(time.Now().UnixMilli()))
	att.Data["UNIX_TIME"] = millis[:]
	switch s {
	case SpoilNone, SpoilSignature:
	case SpoilChallenge:
		for i := range att.Noonce {
			att.Noonce[i] ^= 0x5a
		}
	case SpoilAddress:
		att.Data[DataExternalAddr] = []byte(spoiledAddr)
	default:
		return nil, fmt.Errorf("test authority: unknown spoil %d", int(s))
	}
	reportData := ReportData(att.Noonce, att.Data, att.Signatures)
	report, err := a.signReport(reportData, testPolicy)
	if err != nil {
		return nil, err
	}
	if s == SpoilSignature {
		report[0x2A0] ^= 1 // lowest byte of the signature's R
	}
	att.Report = report
	return att, nil
}

// testPolicy is the guest policy of the fake VM: the must-be-one reserved
// bit and SMT allowed; no debugging, no migration agent.
const testPolicy = 1<<17 | 1<<16

// signReport builds a version 3 Milan report carrying reportData and signs it.
func (a *TestAuthority) signReport(reportData [64]byte, policy uint64) ([]byte, error) {
	reportID := make([]byte, abi.ReportIDSize)
	if _, err := rand.Read(reportID); err != nil {
		return nil, fmt.Errorf("test authority: %w", err)
	}
	noMA := []byte(strings.Repeat("\xff", abi.ReportIDMASize))
	rep := &spb.Report{
		Version:         abi.ReportVersion3,
		Policy:          policy,
		FamilyId:        make([]byte, abi.FamilyIDSize),
		ImageId:         make([]byte, abi.ImageIDSize),
		SignatureAlgo:   abi.SignEcdsaP384Sha384,
		CurrentTcb:      uint64(a.tcb),
		PlatformInfo:    1,
		ReportData:      reportData[:],
		Measurement:     a.measurement[:],
		HostData:        make([]byte, abi.HostDataSize),
		IdKeyDigest:     make([]byte, abi.IDKeyDigestSize),
		AuthorKeyDigest: make([]byte, abi.AuthorKeyDigestSize),
		ReportId:        reportID,
		ReportIdMa:      noMA,
		ReportedTcb:     uint64(a.tcb),
		Cpuid1EaxFms:    abi.FmsToCpuid1Eax(0x19, 0x01, 0x01), // Milan B1
		ChipId:          a.chipID[:],
		CommittedTcb:    uint64(a.tcb),
		CurrentMajor:    1,
		CurrentMinor:    55,
		CurrentBuild:    21,
		CommittedMajor:  1,
		CommittedMinor:  55,
		CommittedBuild:  21,
		LaunchTcb:       uint64(a.tcb),
		Signature:       make([]byte, abi.SignatureSize),
	}
	raw, err := abi.ReportToAbiBytes(rep)
	if err != nil {
		return nil, fmt.Errorf("test authority: %w", err)
	}
	digest := sha512.Sum384(abi.SignedComponent(raw))
	r, s, err := ecdsa.Sign(rand.Reader, a.vcekKey, digest[:])
	if err != nil {
		return nil, fmt.Errorf("test authority: %w", err)
	}
	if err := abi.SetSignature(r, s, raw); err != nil {
		return nil, fmt.Errorf("test authority: %w", err)
	}
	return raw, nil
}

// KDSHandler serves the authority's VCEK the way AMD's KDS does:
// GET /vcek/v1/Milan/{chip id hex}?blSPL=…&teeSPL=…&snpSPL=…&ucodeSPL=…
// answers the DER certificate for the fake chip at its TCB, and
// GET /vcek/v1/Milan/cert_chain the ASK and ARK in PEM.
func (a *TestAuthority) KDSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const prefix = "/vcek/v1/" + ProductLine + "/"
		rest, ok := strings.CutPrefix(r.URL.Path, prefix)
		if r.Method != http.MethodGet || !ok {
			http.NotFound(w, r)
			return
		}
		if rest == "cert_chain" {
			w.Header().Set("Content-Type", "application/x-pem-file")
			for _, c := range []*x509.Certificate{a.roots.ASK, a.roots.ARK} { // ASK first, as the KDS sends
				w.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
			}
			return
		}
		chip, err := hex.DecodeString(rest)
		q := r.URL.Query()
		level := func(name string) uint8 {
			n, perr := strconv.ParseUint(q.Get(name), 10, 8)
			if perr != nil {
				err = errors.Join(err, perr)
			}
			return uint8(n)
		}
		tcb := kds.TCBParts{BlSpl: level("blSPL"), TeeSpl: level("teeSPL"), SnpSpl: level("snpSPL"), UcodeSpl: level("ucodeSPL")}
		if err != nil {
			http.Error(w, "bad VCEK request: "+err.Error(), http.StatusBadRequest)
			return
		}
		if string(chip) != string(a.chipID[:]) || tcb != testTCB {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/pkix-cert")
		w.Write(a.VCEK().Raw)
	})
}
