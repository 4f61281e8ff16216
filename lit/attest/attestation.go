package attest

import (
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// TypeAMDSEVSNP is the attestation type a Lit node running in an AMD SEV-SNP
// confidential VM sends.
const TypeAMDSEVSNP = "AMD_SEV_SNP"

// DataExternalAddr is the data field holding the host:port the node is
// reachable at; it must equal the address the client talked to.
const DataExternalAddr = "EXTERNAL_ADDR"

// DataReleaseID is the data field holding the node's release id (48 hex
// characters: build id, then the subnet address).
const DataReleaseID = "RELEASE_ID"

// Attestation is the `attestation` object of a Naga handshake reply. All
// byte fields travel as base64 strings.
type Attestation struct {
	// Type is "AMD_SEV_SNP" for a node in a confidential VM.
	Type string
	// Noonce (sic, the wire name) is the challenge the node answers.
	Noonce []byte
	// Data are named values bound into the report (EXTERNAL_ADDR,
	// RELEASE_ID, INSTANCE_ID, UNIX_TIME, …).
	Data map[string][]byte
	// Signatures are the node's own signatures over the attestation; all but
	// the last are bound into the report.
	Signatures [][]byte
	// Report is the raw SEV-SNP attestation report (1184 bytes).
	Report []byte
}

type attestationJSON struct {
	Type       string            `json:"type"`
	Noonce     *string           `json:"noonce"`
	Data       map[string]string `json:"data"`
	Signatures []string          `json:"signatures"`
	Report     *string           `json:"report"`
}

// ParseAttestation decodes the handshake's `attestation` JSON object.
// JSON null (or nothing) is ErrAttestationMissing, anything else that does
// not parse wraps ErrAttestationMalformed. VerifyJSON does this and names
// the node in the error.
func ParseAttestation(raw []byte) (*Attestation, error) {
	if isNull(raw) {
		return nil, ErrAttestationMissing
	}
	a, err := decodeAttestation(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrAttestationMalformed, err)
	}
	return a, nil
}

func isNull(raw []byte) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

// UnmarshalJSON decodes the wire form (see decodeAttestation).
func (a *Attestation) UnmarshalJSON(raw []byte) error {
	out, err := decodeAttestation(raw)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrAttestationMalformed, err)
	}
	*a = *out
	return nil
}

// decodeAttestation reads the wire form. Base64 is accepted padded or not,
// in the standard or URL alphabet, as the SDK's Buffer.from(…, 'base64') does.
func decodeAttestation(raw []byte) (*Attestation, error) {
	var w attestationJSON
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, err
	}
	if w.Noonce == nil {
		return nil, errors.New("no noonce")
	}
	if w.Report == nil {
		return nil, errors.New("no report")
	}
	out := &Attestation{Type: w.Type, Data: make(map[string][]byte, len(w.Data))}
	var err error
	if out.Noonce, err = decodeBase64(*w.Noonce); err != nil {
		return nil, fmt.Errorf("noonce: %v", err)
	}
	if out.Report, err = decodeBase64(*w.Report); err != nil {
		return nil, fmt.Errorf("report: %v", err)
	}
	for k, v := range w.Data {
		if out.Data[k], err = decodeBase64(v); err != nil {
			return nil, fmt.Errorf("data %q: %v", k, err)
		}
	}
	for i, s := range w.Signatures {
		sig, err := decodeBase64(s)
		if err != nil {
			return nil, fmt.Errorf("signature %d: %v", i, err)
		}
		out.Signatures = append(out.Signatures, sig)
	}
	return out, nil
}

// MarshalJSON encodes the wire form a Lit node sends (padded standard base64).
func (a Attestation) MarshalJSON() ([]byte, error) {
	enc := base64.StdEncoding.EncodeToString
	noonce, report := enc(a.Noonce), enc(a.Report)
	w := attestationJSON{
		Type:       a.Type,
		Noonce:     &noonce,
		Data:       make(map[string]string, len(a.Data)),
		Signatures: make([]string, 0, len(a.Signatures)),
		Report:     &report,
	}
	for k, v := range a.Data {
		w.Data[k] = enc(v)
	}
	for _, s := range a.Signatures {
		w.Signatures = append(w.Signatures, enc(s))
	}
	return json.Marshal(w)
}

func decodeBase64(s string) ([]byte, error) {
	enc := base64.RawStdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.RawURLEncoding
	}
	b, err := enc.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, errors.New("not base64")
	}
	return b, nil
}

// ReportData is the REPORT_DATA a node puts into its SEV-SNP report, as the
// Lit node computes it and the SDK recomputes it: SHA-512 over "noonce",
// the noonce, "data", each data key and value in byte order of the keys,
// and — when there are signatures — "signatures" followed by every
// signature but the last (the last one is made after the report).
func ReportData(noonce []byte, data map[string][]byte, signatures [][]byte) [64]byte {
	h := sha512.New()
	h.Write([]byte("noonce"))
	h.Write(noonce)
	h.Write([]byte("data"))
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write(data[k])
	}
	if len(signatures) > 0 {
		h.Write([]byte("signatures"))
		for _, s := range signatures[:len(signatures)-1] {
			h.Write(s)
		}
	}
	var out [64]byte
	h.Sum(out[:0])
	return out
}

// ParseChallenge reads the handshake request's challenge: 64 hex
// characters (the SDK sends lowercase), the bytes a node must echo as noonce.
func ParseChallenge(s string) ([32]byte, error) {
	var c [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(c) {
		return c, fmt.Errorf("challenge %q is not 64 hex characters", s)
	}
	copy(c[:], b)
	return c, nil
}
