package lit

import (
	"strconv"

	"github.com/litsigner/litsigner/lit/internal/jsonfast"
)

// The usual v2 executeJs reply, decoded without encoding/json.
//
// encoding/json decodes a node's reply (~600 bytes) in ~12 µs: it scans the
// body twice (validation, then decoding) and finds fields by reflection. A
// v2 call decodes up to ten replies, and at 64 clients the decoding was a
// seventh of litsignerd's CPU per call in a profile. fastV2Reply decodes the
// shape real nodes and the devnet send, in one pass, into what
// json.Unmarshal gives for it, and declines everything else, which then
// takes encoding/json as before. What it accepts (FuzzV2ReplyFast compares
// the two on every input it accepts):
//
//   - one JSON object, whitespace around any token;
//   - keys of printable ASCII without escapes, each known key at most once
//     and spelled exactly (encoding/json also matches keys ignoring case: a
//     key that matches a known one only so is declined);
//   - success: true, false or null; response, logs: a string or null;
//     signedData: null or an object of shares, each an object of the Share
//     fields (strings or null; shareIndex an integer or null);
//   - strings of printable ASCII with the escapes \" \\ \/ \b \f \n \r \t
//     (\u escapes and other bytes are declined: encoding/json's treatment
//     of surrogates and invalid UTF-8 stays its own);
//   - other top-level keys whose value is a string, a number, true, false,
//     null, {} or [].

// fastV2Reply decodes body into what json.Unmarshal(body, &out) gives,
// with ok true, or returns ok false when body is outside the accepted
// shape.
func fastV2Reply(body []byte) (out v2ExecuteReplyShares, ok bool) {
	d := v2ReplyDecoder{jsonfast.NewReader(body)}
	if !d.topLevel(&out) || !d.Done() {
		return v2ExecuteReplyShares{}, false
	}
	return out, true
}

// v2ReplyDecoder reads a v2 reply.
type v2ReplyDecoder struct{ *jsonfast.Reader }

// Field names of a v2 reply and of a share, as encoding/json matches them.
var (
	v2ReplyKeys = []string{"success", "signedData", "response", "logs"}
	v2ShareKeys = []string{"sigType", "signatureShare", "shareIndex", "localX", "localY", "publicKey", "dataSigned", "sigName"}
)

// topLevel reads the reply object.
func (d *v2ReplyDecoder) topLevel(out *v2ExecuteReplyShares) bool {
	if !d.Consume('{') {
		return false
	}
	var seen [4]bool
	for first := true; ; first = false {
		key, done, ok := d.NextKey(first)
		if !ok {
			return false
		}
		if done {
			return true
		}
		idx, ok := jsonfast.Known(key, v2ReplyKeys)
		switch {
		case !ok:
			return false
		case idx < 0:
			ok = d.SkipSimple()
		case seen[idx]:
			return false
		case idx == 0: // success
			ok = d.success(out)
		case idx == 1: // signedData
			ok = d.Literal("null") || d.shares(out)
		case idx == 2:
			ok = d.OptStr(&out.Response)
		default:
			ok = d.OptStr(&out.Logs)
		}
		if !ok {
			return false
		}
		if idx >= 0 {
			seen[idx] = true
		}
	}
}

// success reads true, false or null into out.Success.
func (d *v2ReplyDecoder) success(out *v2ExecuteReplyShares) bool {
	switch {
	case d.Literal("true"):
		t := true
		out.Success = &t
	case d.Literal("false"):
		f := false
		out.Success = &f
	case d.Literal("null"):
		out.Success = nil
	default:
		return false
	}
	return true
}

// shares reads the signedData object.
func (d *v2ReplyDecoder) shares(out *v2ExecuteReplyShares) bool {
	if !d.Consume('{') {
		return false
	}
	out.SignedData = map[string]Share{}
	for first := true; ; first = false {
		name, done, ok := d.NextKey(first)
		if !ok {
			return false
		}
		if done {
			return true
		}
		if _, dup := out.SignedData[string(name)]; dup {
			return false
		}
		var sh Share
		if !d.share(&sh) {
			return false
		}
		out.SignedData[string(name)] = sh
	}
}

// share reads one share object.
func (d *v2ReplyDecoder) share(sh *Share) bool {
	if !d.Consume('{') {
		return false
	}
	var seen [8]bool
	for first := true; ; first = false {
		key, done, ok := d.NextKey(first)
		if !ok {
			return false
		}
		if done {
			return true
		}
		idx, ok := jsonfast.Known(key, v2ShareKeys)
		if !ok || idx < 0 || seen[idx] {
			return false
		}
		seen[idx] = true
		if d.Literal("null") {
			continue // encoding/json leaves a non-pointer field as it is
		}
		var field *string
		switch idx {
		case 0:
			field = &sh.SigType
		case 1:
			field = &sh.SignatureShare
		case 2:
			if !d.shareIndex(sh) {
				return false
			}
			continue
		case 3:
			field = &sh.LocalX
		case 4:
			field = &sh.LocalY
		case 5:
			field = &sh.PublicKey
		case 6:
			field = &sh.DataSigned
		default:
			field = &sh.SigName
		}
		if *field, ok = d.Str(); !ok {
			return false
		}
	}
}

// shareIndex reads an integer literal within int into sh.ShareIndex.
func (d *v2ReplyDecoder) shareIndex(sh *Share) bool {
	num, ok := d.Number()
	if !ok {
		return false
	}
	n, err := strconv.Atoi(string(num))
	sh.ShareIndex = n
	return err == nil
}
