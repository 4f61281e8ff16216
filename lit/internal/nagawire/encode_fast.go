package nagawire

import (
	"slices"
	"strconv"
	"unicode/utf8"
)

// The nodes' two reply documents, the ExecuteResponse and the ECDSA share
// inside it, are written here directly for the shapes a node sends; the
// strings they hold are what marshalJS (encoding/json, then JavaScript's
// line separators) would write. Whatever this writer does not know (a
// control character other than \n, \r and \t, invalid UTF-8, raw JSON
// other than {}) is left to marshalJS. The fuzz targets hold the two to
// the same bytes.

// appendJSString appends s as a JSON string the way marshalJS writes it,
// or reports false for a string it leaves to marshalJS.
func appendJSString(dst []byte, s string) ([]byte, bool) {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			// Valid UTF-8 is written as it is, U+2028 and U+2029
			// included (marshalJS undoes encoding/json's escapes of
			// them); encoding/json turns invalid bytes into U+FFFD.
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return dst, false
			}
			i += size
			continue
		}
		var esc string
		switch c {
		case '"':
			esc = `\"`
		case '\\':
			esc = `\\`
		case '\n':
			esc = `\n`
		case '\r':
			esc = `\r`
		case '\t':
			esc = `\t`
		default:
			return dst, false
		}
		dst = append(append(dst, s[start:i]...), esc...)
		i++
		start = i
	}
	return append(append(dst, s[start:]...), '"'), true
}

// appendKeyString appends "key": and then s as appendJSString does; key
// is a plain ASCII name.
func appendKeyString(dst []byte, key, s string) ([]byte, bool) {
	dst = append(append(append(dst, '"'), key...), `":`...)
	return appendJSString(dst, s)
}

// appendFast writes the share's JSON ({"EcdsaSignedMessageShare":{…}}) as
// marshalJS does, or reports false.
func (w *wireEcdsaShare) appendFast(dst []byte) ([]byte, bool) {
	fields := [...]struct{ key, val string }{
		{"digest", w.Digest}, {"result", w.Result}, {"share_id", w.ShareID}, {"peer_id", w.PeerID},
		{"signature_share", w.SignatureShare}, {"big_r", w.BigR}, {"compressed_public_key", w.CompressedPublicKey},
		{"public_key", w.PublicKey}, {"sig_type", w.SigType},
	}
	dst = append(dst, `{"EcdsaSignedMessageShare":{`...)
	ok := true
	for i, f := range fields {
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, ok = appendKeyString(dst, f.key, f.val); !ok {
			return dst, false
		}
	}
	return append(dst, "}}"...), true
}

// appendFast writes r's JSON as marshalJS does, or reports false; r has
// its defaults (withDefaults).
func (r *ExecuteResponse) appendFast(dst []byte) ([]byte, bool) {
	if string(r.DecryptedData) != "{}" || string(r.ClaimData) != "{}" {
		return dst, false // raw JSON that encoding/json would compact
	}
	ok := true
	dst = strconv.AppendBool(append(dst, `{"success":`...), r.Success)
	dst = append(dst, `,"signedData":{`...)
	names := make([]string, 0, len(r.SignedData))
	for name := range r.SignedData {
		names = append(names, name)
	}
	slices.Sort(names) // encoding/json's order for a map's keys
	for i, name := range names {
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, ok = appendJSString(dst, name); !ok {
			return dst, false
		}
		sh := r.SignedData[name]
		dst = append(dst, ":{"...)
		for j, f := range [...]struct{ key, val string }{
			{"sigType", sh.SigType}, {"signatureShare", sh.SignatureShare}, {"publicKey", sh.PublicKey}, {"sigName", sh.SigName},
		} {
			if j > 0 {
				dst = append(dst, ',')
			}
			if dst, ok = appendKeyString(dst, f.key, f.val); !ok {
				return dst, false
			}
		}
		dst = append(dst, '}')
	}
	dst = append(dst, `},"decryptedData":{},"claimData":{},`...)
	if dst, ok = appendKeyString(dst, "response", r.Response); !ok {
		return dst, false
	}
	if dst, ok = appendKeyString(append(dst, ','), "logs", r.Logs); !ok {
		return dst, false
	}
	dst = append(dst, `,"paymentDetail":[`...)
	for i, p := range r.PaymentDetail {
		if i > 0 {
			dst = append(dst, ',')
		}
		if dst, ok = appendKeyString(append(dst, '{'), "component", p.Component); !ok {
			return dst, false
		}
		dst = strconv.AppendUint(append(dst, `,"quantity":`...), p.Quantity, 10)
		dst = append(dst, `,"price":`...)
		if p.Price == nil {
			dst = append(dst, "null"...)
		} else {
			dst = p.Price.Append(dst, 10)
		}
		dst = append(dst, '}')
	}
	return append(dst, "]}"...), true
}
