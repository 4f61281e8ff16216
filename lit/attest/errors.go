package attest

import (
	"errors"
	"fmt"
)

// Reasons a node's attestation is refused. Every error Verify returns is an
// *Error whose Reason is one of these, so callers branch with errors.Is.
var (
	// ErrAttestationMissing: the handshake carried no attestation.
	ErrAttestationMissing = errors.New("no attestation in the handshake")
	// ErrAttestationMalformed: the attestation JSON or the SNP report cannot
	// be parsed.
	ErrAttestationMalformed = errors.New("malformed attestation")
	// ErrAttestationChallenge: the attestation answers another challenge
	// than the one we sent (its noonce differs).
	ErrAttestationChallenge = errors.New("wrong challenge")
	// ErrAttestationReportData: the report's REPORT_DATA is not the hash of
	// the noonce, data fields and signatures carried beside it, so the
	// report does not vouch for them.
	ErrAttestationReportData = errors.New("report data does not bind the attestation fields")
	// ErrAttestationAddress: the attested EXTERNAL_ADDR is not the host:port
	// we talked to (or is missing).
	ErrAttestationAddress = errors.New("wrong external address")
	// ErrAttestationSignature: the report is not signed by the VCEK of the
	// chip it names (tampered report or broken signature).
	ErrAttestationSignature = errors.New("report signature invalid")
	// ErrAttestationChain: the VCEK does not chain up to the trusted AMD
	// roots (ASK, ARK), or is not the VCEK of the reported chip and TCB.
	ErrAttestationChain = errors.New("certificate chain not trusted")
	// ErrAttestationExpired: a certificate of the chain is outside its
	// validity period.
	ErrAttestationExpired = errors.New("certificate expired or not yet valid")
	// ErrAttestationPolicy: the report is well formed and signed, but of a
	// kind we do not accept (not AMD_SEV_SNP, VLEK-signed, not a Milan chip,
	// or a debug guest when RequireNoDebug is set).
	ErrAttestationPolicy = errors.New("attestation policy not met")
	// ErrAttestationFetch: the VCEK certificate could not be had from the
	// cache, the roots file, the proxy or AMD's key distribution service.
	ErrAttestationFetch = errors.New("VCEK certificate unavailable")
	// ErrAttestationRelease: the release-id check against the ReleaseRegister
	// contract failed.
	ErrAttestationRelease = errors.New("release not accepted")
)

// Error is a refused attestation: which node, why (one of the
// ErrAttestation* reasons) and the detail.
type Error struct {
	// Node is the node as the caller named it (its URL or host:port).
	Node string
	// Reason is one of the ErrAttestation* sentinels.
	Reason error
	// Err is the detail; may be nil.
	Err error
}

// Error reads "node http://1.2.3.4:443 attestation: wrong challenge: …".
func (e *Error) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("node %s attestation: %v", e.Node, e.Reason)
	}
	return fmt.Sprintf("node %s attestation: %v: %v", e.Node, e.Reason, e.Err)
}

// Unwrap exposes both the reason and the detail to errors.Is / errors.As.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Reason}
	}
	return []error{e.Reason, e.Err}
}

func refuse(node string, reason error, format string, args ...any) *Error {
	var detail error
	if format != "" {
		detail = fmt.Errorf(format, args...)
	}
	return &Error{Node: node, Reason: reason, Err: detail}
}
