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
	return d.Fields(v2ReplyKeys, true, func(idx int) bool {
		switch idx {
		case 0:
			return d.success(out)
		case 1:
			return d.Literal("null") || d.shares(out)
		case 2:
			return d.OptStr(&out.Response)
		default:
			return d.OptStr(&out.Logs)
		}
	})
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
	var ok bool
	out.SignedData, ok = jsonfast.Map(d.Reader, func(sh **Share) bool {
		*sh = new(Share)
		return d.share(*sh)
	})
	return ok
}

// share reads one share object.
func (d *v2ReplyDecoder) share(sh *Share) bool {
	fields := [...]*string{&sh.SigType, &sh.SignatureShare, nil, &sh.LocalX, &sh.LocalY, &sh.PublicKey, &sh.DataSigned, &sh.SigName}
	return d.Fields(v2ShareKeys, false, func(idx int) bool {
		if fields[idx] == nil {
			return d.Literal("null") || d.shareIndex(sh) // null leaves the field as it is
		}
		return d.StrField(fields[idx])
	})
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
