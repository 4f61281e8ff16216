package lit

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/litsigner/litsigner/lit/internal/nagawire"
	siwe "github.com/spruceid/siwe-go"
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
	return (*VerifyCache)(nil).VerifySessionSig(sig, nodeURL, now, resource)
}

// verifiedSessionSig is what VerifySessionSig learns from a session
// signature's bytes alone: a good ed25519 signature over a well-formed
// message by its sessionKey.
type verifiedSessionSig struct {
	p               *SessionSigPayload
	issued, expires time.Time
	timeErr         error // issuedAt/expiration do not parse
}

// checkSessionSigBytes runs the checks of VerifySessionSig that depend on
// the signature's bytes only.
func checkSessionSigBytes(sig AuthSig) (*verifiedSessionSig, error) {
	fail := func(reason error, format string, a ...any) error {
		return &SessionSigError{Reason: reason, Detail: fmt.Sprintf(format, a...)}
	}
	if sig.Algo != SessionSigAlgo || sig.DerivedVia != SessionSigDerivedVia {
		return nil, fail(ErrSessionSigMalformed, "algo %q derivedVia %q", sig.Algo, sig.DerivedVia)
	}
	pub, err := hex.DecodeString(sig.Address)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return nil, fail(ErrSessionSigMalformed, "address is not a 32-byte hex ed25519 key")
	}
	raw, err := hex.DecodeString(strings.TrimPrefix(sig.Sig, "0x"))
	if err != nil || len(raw) != ed25519.SignatureSize {
		return nil, fail(ErrSessionSigMalformed, "sig is not 64 bytes of hex")
	}
	if !ed25519.Verify(ed25519.PublicKey(pub), []byte(sig.SignedMessage), raw) {
		return nil, fail(ErrSessionSigBadSig, "")
	}
	p, err := ParseSessionSig(sig)
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(p.SessionKey, sig.Address) {
		return nil, fail(ErrSessionSigMalformed, "sessionKey %q is not the signing key", p.SessionKey)
	}
	v := &verifiedSessionSig{p: p}
	var err1, err2 error
	v.issued, err1 = parseJSTime(p.IssuedAt)
	v.expires, err2 = parseJSTime(p.Expiration)
	if err1 != nil || err2 != nil {
		v.timeErr = fail(ErrSessionSigMalformed, "issuedAt %q / expiration %q", p.IssuedAt, p.Expiration)
	}
	return v, nil
}

// check runs the checks of VerifySessionSig that depend on the request and
// the time; capability verifies the wallet's capability.
func (v *verifiedSessionSig) check(nodeURL string, now time.Time, resource string) error {
	fail := func(reason error, format string, a ...any) error {
		return &SessionSigError{Reason: reason, Detail: fmt.Sprintf(format, a...)}
	}
	p := v.p
	if p.NodeAddress != nodeURL {
		return fail(ErrSessionSigWrongNode, "signed for %q, this node is %q", p.NodeAddress, nodeURL)
	}
	if v.timeErr != nil {
		return v.timeErr
	}
	if now.After(v.expires) {
		return fail(ErrSessionSigExpired, "expired at %s, now %s", p.Expiration, nagawire.FormatTime(now))
	}
	if now.Before(v.issued) {
		return fail(ErrSessionSigNotYet, "issued at %s, now %s", p.IssuedAt, nagawire.FormatTime(now))
	}
	if !requestsCover(p.ResourceAbilityRequests, resource) {
		return fail(ErrSessionSigNotGranted, "resourceAbilityRequests do not ask for lit-action-execution of %q", resource)
	}
	if len(p.Capabilities) == 0 {
		return fail(ErrSessionSigBadSIWE, "no capabilities")
	}
	return nil
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

// VerifyCapability checks a wallet capability (the SIWE authSig inside a
// session signature) the way a node does, for both wire protocols: its
// EIP-191 signature recovers to the SIWE address, it is valid at now, its
// URI is lit:session:<sessionKeyHex>, and its ReCap grants Lit Action
// execution of resource ("*" or a CID). Errors are *SessionSigError.
func VerifyCapability(c AuthSig, sessionKeyHex string, now time.Time, resource string) error {
	return (*VerifyCache)(nil).VerifyCapability(c, sessionKeyHex, now, resource)
}

// verifiedCapability is what verifyCapability learns from a capability's
// bytes and the session key alone, with each check's outcome kept so that
// check reports the first failure in the same order as before.
type verifiedCapability struct {
	// pre is the failure of a check that precedes the validity window.
	pre    error
	msg    *siwe.Message
	uriErr error
	recaps []decodedRecap
}

// decodedRecap is one ReCap resource of the SIWE message, or why it does
// not decode.
type decodedRecap struct {
	rc  recap
	err error
}

// checkCapabilityBytes runs verifyCapability's checks that do not depend
// on the time or the resource; it never returns nil.
func checkCapabilityBytes(c AuthSig, sessionKeyHex string) *verifiedCapability {
	fail := func(reason error, format string, a ...any) error {
		return &SessionSigError{Reason: reason, Detail: fmt.Sprintf(format, a...)}
	}
	msg, err := parseSIWE(c.SignedMessage)
	if err != nil {
		return &verifiedCapability{pre: fail(ErrSessionSigBadSIWE, "%v", err)}
	}
	sig, err := hexutil.Decode(c.Sig)
	if err != nil {
		return &verifiedCapability{pre: fail(ErrSessionSigSIWESig, "sig is not 0x-hex")}
	}
	signer, err := recoverPersonal(c.SignedMessage, sig)
	if err != nil {
		return &verifiedCapability{pre: fail(ErrSessionSigSIWESig, "%v", err)}
	}
	if signer != msg.GetAddress() {
		return &verifiedCapability{pre: fail(ErrSessionSigSIWESig, "recovered %s, message names %s", signer.Hex(), msg.GetAddress().Hex())}
	}
	if c.Address != "" && (!common.IsHexAddress(c.Address) || common.HexToAddress(c.Address) != signer) {
		return &verifiedCapability{pre: fail(ErrSessionSigSIWESig, "authSig address %q is not the signer %s", c.Address, signer.Hex())}
	}
	v := &verifiedCapability{msg: msg}
	uri := msg.GetURI()
	if got, want := uri.String(), SessionURIPrefix+sessionKeyHex; !strings.EqualFold(got, want) {
		v.uriErr = fail(ErrSessionSigURI, "uri %q, want %q", got, want)
	}
	for _, r := range msg.GetResources() {
		s := r.String()
		if !strings.HasPrefix(s, recapURNPrefix) {
			continue
		}
		rc, err := decodeRecap(s)
		if err != nil {
			err = fail(ErrSessionSigBadSIWE, "%v", err)
		}
		v.recaps = append(v.recaps, decodedRecap{rc: rc, err: err})
	}
	return v
}

// check runs verifyCapability's checks of the time and the resource.
func (v *verifiedCapability) check(now time.Time, resource string) error {
	fail := func(reason error, format string, a ...any) error {
		return &SessionSigError{Reason: reason, Detail: fmt.Sprintf(format, a...)}
	}
	if v.pre != nil {
		return v.pre
	}
	if ok, err := v.msg.ValidAt(now); !ok || err != nil {
		return fail(ErrSessionSigSIWEExpiry, "%v", err)
	}
	if v.uriErr != nil {
		return v.uriErr
	}
	for _, r := range v.recaps {
		if r.err != nil {
			return r.err
		}
		if r.rc.grants(resource) {
			return nil
		}
	}
	return fail(ErrSessionSigNotGranted, "no ReCap grants lit-litaction://%s", resource)
}

// verifyCapability is VerifyCapability without a cache.
func verifyCapability(c AuthSig, sessionKeyHex string, now time.Time, resource string) error {
	return checkCapabilityBytes(c, sessionKeyHex).check(now, resource)
}
