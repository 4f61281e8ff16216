package lit

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// ActionResource is the Lit Action resource id a request needs: its IPFS
// CID, or "*" for inline code (only a wildcard session may run inline code).
func ActionResource(req ExecuteJSRequest) string {
	if req.IPFSID != "" {
		return req.IPFSID
	}
	return "*"
}

// VerifySessionSig checks a per-node session signature the way a node
// does, for a request to execute the Lit Action resource id ("*" or a CID;
// see ActionResource) at node nodeURL at time now:
//   - algo/derivedVia are the SDK's, the ed25519 signature over the exact
//     signedMessage verifies against address;
//   - nodeAddress equals nodeURL; now is within issuedAt..expiration;
//   - resourceAbilityRequests ask for lit-action-execution of "*" or resource;
//   - capabilities[0] is a SIWE message whose EIP-191 signature recovers to
//     its address, that is unexpired at now, whose uri is
//     lit:session:<address>, and whose ReCap grants the resource.
//
// Errors are *SessionSigError (errors.Is with the ErrSessionSig* reasons).
func VerifySessionSig(sig AuthSig, nodeURL string, now time.Time, resource string) error {
	fail := func(reason error, format string, a ...any) error {
		return &SessionSigError{Reason: reason, Detail: fmt.Sprintf(format, a...)}
	}
	if sig.Algo != SessionSigAlgo || sig.DerivedVia != SessionSigDerivedVia {
		return fail(ErrSessionSigMalformed, "algo %q derivedVia %q", sig.Algo, sig.DerivedVia)
	}
	pub, err := hex.DecodeString(sig.Address)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return fail(ErrSessionSigMalformed, "address is not a 32-byte hex ed25519 key")
	}
	raw, err := hex.DecodeString(strings.TrimPrefix(sig.Sig, "0x"))
	if err != nil || len(raw) != ed25519.SignatureSize {
		return fail(ErrSessionSigMalformed, "sig is not 64 bytes of hex")
	}
	if !ed25519.Verify(ed25519.PublicKey(pub), []byte(sig.SignedMessage), raw) {
		return fail(ErrSessionSigBadSig, "")
	}
	p, err := ParseSessionSig(sig)
	if err != nil {
		return err
	}
	if !strings.EqualFold(p.SessionKey, sig.Address) {
		return fail(ErrSessionSigMalformed, "sessionKey %q is not the signing key", p.SessionKey)
	}
	if p.NodeAddress != nodeURL {
		return fail(ErrSessionSigWrongNode, "signed for %q, this node is %q", p.NodeAddress, nodeURL)
	}
	issued, err1 := parseJSTime(p.IssuedAt)
	expires, err2 := parseJSTime(p.Expiration)
	if err1 != nil || err2 != nil {
		return fail(ErrSessionSigMalformed, "issuedAt %q / expiration %q", p.IssuedAt, p.Expiration)
	}
	if now.After(expires) {
		return fail(ErrSessionSigExpired, "expired at %s, now %s", p.Expiration, formatJSTime(now))
	}
	if now.Before(issued) {
		return fail(ErrSessionSigNotYet, "issued at %s, now %s", p.IssuedAt, formatJSTime(now))
	}
	if !requestsCover(p.ResourceAbilityRequests, resource) {
		return fail(ErrSessionSigNotGranted, "resourceAbilityRequests do not ask for lit-action-execution of %q", resource)
	}
	if len(p.Capabilities) == 0 {
		return fail(ErrSessionSigBadSIWE, "no capabilities")
	}
	return verifyCapability(p.Capabilities[0], sig.Address, now, resource)
}

// requestsCover reports whether reqs ask to execute resource.
func requestsCover(reqs []ResourceAbilityRequest, resource string) bool {
	for _, r := range reqs {
		if r.Ability == LitActionExecutionAbility && r.Resource.ResourcePrefix == LitActionResourcePrefix &&
			(r.Resource.Resource == "*" || r.Resource.Resource == resource) {
			return true
		}
	}
	return false
}

// verifyCapability checks the wallet's SIWE authSig for session key
// sessionKeyHex.
// VerifyCapability checks a wallet capability (the SIWE authSig inside a
// session signature) the way a node does, for both wire protocols: its
// EIP-191 signature recovers to the SIWE address, it is valid at now, its
// URI is lit:session:<sessionKeyHex>, and its ReCap grants Lit Action
// execution of resource ("*" or a CID). Errors are *SessionSigError.
func VerifyCapability(c AuthSig, sessionKeyHex string, now time.Time, resource string) error {
	return verifyCapability(c, sessionKeyHex, now, resource)
}

func verifyCapability(c AuthSig, sessionKeyHex string, now time.Time, resource string) error {
	fail := func(reason error, format string, a ...any) error {
		return &SessionSigError{Reason: reason, Detail: fmt.Sprintf(format, a...)}
	}
	msg, err := parseSIWE(c.SignedMessage)
	if err != nil {
		return fail(ErrSessionSigBadSIWE, "%v", err)
	}
	sig, err := hexutil.Decode(c.Sig)
	if err != nil {
		return fail(ErrSessionSigSIWESig, "sig is not 0x-hex")
	}
	signer, err := recoverPersonal(c.SignedMessage, sig)
	if err != nil {
		return fail(ErrSessionSigSIWESig, "%v", err)
	}
	if signer != msg.GetAddress() {
		return fail(ErrSessionSigSIWESig, "recovered %s, message names %s", signer.Hex(), msg.GetAddress().Hex())
	}
	if c.Address != "" && (!common.IsHexAddress(c.Address) || common.HexToAddress(c.Address) != signer) {
		return fail(ErrSessionSigSIWESig, "authSig address %q is not the signer %s", c.Address, signer.Hex())
	}
	if ok, err := msg.ValidAt(now); !ok || err != nil {
		return fail(ErrSessionSigSIWEExpiry, "%v", err)
	}
	uri := msg.GetURI()
	if got, want := uri.String(), SessionURIPrefix+sessionKeyHex; !strings.EqualFold(got, want) {
		return fail(ErrSessionSigURI, "uri %q, want %q", got, want)
	}
	for _, r := range msg.GetResources() {
		s := r.String()
		if !strings.HasPrefix(s, recapURNPrefix) {
			continue
		}
		rc, err := decodeRecap(s)
		if err != nil {
			return fail(ErrSessionSigBadSIWE, "%v", err)
		}
		if rc.grants(resource) {
			return nil
		}
	}
	return fail(ErrSessionSigNotGranted, "no ReCap grants lit-litaction://%s", resource)
}
