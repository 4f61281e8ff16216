package attest

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/google/go-sev-guest/verify/trust"
)

// ProductLine is the only AMD product line accepted: the SDK builds every
// VCEK URL for "Milan" and trusts only the Milan ARK and ASK.
const ProductLine = "Milan"

// Roots is what Verify trusts: an ARK (self-signed root), the ASK it
// signed, and optionally VCEK certificates to use before asking the KDS (a
// test authority ships its VCEK this way, as the KDS would serve it).
type Roots struct {
	ARK   *x509.Certificate
	ASK   *x509.Certificate
	VCEKs []*x509.Certificate
	amd   bool
}

// AMDRoots returns AMD's Milan ARK and ASK, as embedded in go-sev-guest
// (published at https://kdsintf.amd.com/vcek/v1/Milan/cert_chain).
func AMDRoots() *Roots {
	r := trust.DefaultRootCerts[ProductLine]
	return &Roots{ARK: r.ProductCerts.Ark, ASK: r.ProductCerts.Ask, amd: true}
}

// IsAMD reports whether these are AMD's own roots.
func (r *Roots) IsAMD() bool { return r.amd }

// LoadRoots reads a roots PEM file (see ParseRoots).
func LoadRoots(path string) (*Roots, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("attestation roots: %w", err)
	}
	r, err := ParseRoots(b)
	if err != nil {
		return nil, fmt.Errorf("attestation roots %s: %w", path, err)
	}
	return r, nil
}

// ParseRoots reads CERTIFICATE PEM blocks: exactly one ARK (common name
// "ARK-Milan"), one ASK ("SEV-Milan") and any number of VCEKs ("SEV-VCEK").
// The ARK must be self-signed and sign the ASK.
func ParseRoots(pemBytes []byte) (*Roots, error) {
	var r Roots
	rest := pemBytes
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("unexpected PEM block %q", block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		switch c.Subject.CommonName {
		case "ARK-" + ProductLine:
			if r.ARK != nil {
				return nil, errors.New("more than one ARK")
			}
			r.ARK = c
		case "SEV-" + ProductLine:
			if r.ASK != nil {
				return nil, errors.New("more than one ASK")
			}
			r.ASK = c
		case "SEV-VCEK":
			r.VCEKs = append(r.VCEKs, c)
		default:
			return nil, fmt.Errorf("certificate %q is not an ARK, ASK or VCEK of %s", c.Subject.CommonName, ProductLine)
		}
	}
	if r.ARK == nil || r.ASK == nil {
		return nil, errors.New("need one ARK and one ASK certificate")
	}
	if err := r.ARK.CheckSignatureFrom(r.ARK); err != nil {
		return nil, fmt.Errorf("ARK is not self-signed: %w", err)
	}
	if err := r.ASK.CheckSignatureFrom(r.ARK); err != nil {
		return nil, fmt.Errorf("ASK is not signed by the ARK: %w", err)
	}
	return &r, nil
}

// PEM encodes the roots (ARK, ASK, then the VCEKs) in the form ParseRoots reads.
func (r *Roots) PEM() []byte {
	var out []byte
	for _, c := range append([]*x509.Certificate{r.ARK, r.ASK}, r.VCEKs...) {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

func (r *Roots) trust() map[string][]*trust.AMDRootCerts {
	root := trust.AMDRootCertsProduct(ProductLine)
	root.ProductCerts = &trust.ProductCerts{Ark: r.ARK, Ask: r.ASK}
	return map[string][]*trust.AMDRootCerts{ProductLine: {root}}
}
