package lit

import (
	"strconv"
	"strings"
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
	d := fastDecoder{b: body}
	if !d.topLevel(&out) {
		return v2ExecuteReplyShares{}, false
	}
	d.ws()
	return out, d.i == len(d.b)
}

// fastDecoder reads b from i.
type fastDecoder struct {
	b []byte
	i int
}

// Field names of a v2 reply and of a share, as encoding/json matches them.
var (
	v2ReplyKeys = []string{"success", "signedData", "response", "logs"}
	v2ShareKeys = []string{"sigType", "signatureShare", "shareIndex", "localX", "localY", "publicKey", "dataSigned", "sigName"}
)

// known returns key's index in keys, -1 for an unknown key, and ok false
// for a key that encoding/json would match to a field only ignoring case.
func known(key []byte, keys []string) (idx int, ok bool) {
	for i, k := range keys {
		if string(key) == k {
			return i, true
		}
	}
	for _, k := range keys {
		if len(key) == len(k) && strings.EqualFold(string(key), k) {
			return -1, false
		}
	}
	return -1, true
}

func (d *fastDecoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// consume skips whitespace and then c, reporting whether c was there.
func (d *fastDecoder) consume(c byte) bool {
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// peek skips whitespace and returns the next byte (0 at the end).
func (d *fastDecoder) peek() byte {
	d.ws()
	if d.i < len(d.b) {
		return d.b[d.i]
	}
	return 0
}

// literal consumes lit (true, false, null) if it comes next.
func (d *fastDecoder) literal(lit string) bool {
	d.ws()
	if len(d.b)-d.i >= len(lit) && string(d.b[d.i:d.i+len(lit)]) == lit {
		d.i += len(lit)
		return true
	}
	return false
}

// nextKey reads the next member's key of an object whose '{' was read
// (first: no member read yet) and the ':' after it; done reports the
// object's end instead.
func (d *fastDecoder) nextKey(first bool) (key []byte, done, ok bool) {
	if d.consume('}') {
		return nil, true, true
	}
	if !first && !d.consume(',') {
		return nil, false, false
	}
	if d.peek() != '"' {
		return nil, false, false
	}
	key, ok = d.key()
	if !ok || !d.consume(':') {
		return nil, false, false
	}
	return key, false, true
}

// key reads a string of printable ASCII without escapes; the result is
// a slice of the body.
func (d *fastDecoder) key() ([]byte, bool) {
	d.i++ // the opening quote
	start := d.i
	for ; d.i < len(d.b); d.i++ {
		switch c := d.b[d.i]; {
		case c == '"':
			d.i++
			return d.b[start : d.i-1], true
		case c < 0x20 || c > 0x7e || c == '\\':
			return nil, false
		}
	}
	return nil, false
}

// str reads a string of printable ASCII with simple escapes.
func (d *fastDecoder) str() (string, bool) {
	if d.peek() != '"' {
		return "", false
	}
	start := d.i + 1
	escaped := false
	end := start
	for ; end < len(d.b) && d.b[end] != '"'; end++ {
		switch c := d.b[end]; {
		case c == '\\':
			escaped = true
			end++ // the escaped byte, checked below
		case c < 0x20 || c > 0x7e:
			return "", false
		}
	}
	if end >= len(d.b) {
		return "", false
	}
	d.i = end + 1
	if !escaped {
		return string(d.b[start:end]), true
	}
	out := make([]byte, 0, end-start)
	for i := start; i < end; i++ {
		c := d.b[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		switch d.b[i] {
		case '"', '\\', '/':
			c = d.b[i]
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		default:
			return "", false // \u, or invalid
		}
		out = append(out, c)
	}
	return string(out), true
}

// optStr reads a string or null into *dst (null: nil).
func (d *fastDecoder) optStr(dst **string) bool {
	if d.literal("null") {
		*dst = nil
		return true
	}
	s, ok := d.str()
	if ok {
		*dst = &s
	}
	return ok
}

// number reads a JSON number and returns its text (a slice of the body).
func (d *fastDecoder) number() ([]byte, bool) {
	d.ws()
	start := d.i
	digits := func() int {
		n := 0
		for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.i < len(d.b) && d.b[d.i] == '-' {
		d.i++
	}
	if d.i < len(d.b) && d.b[d.i] == '0' {
		d.i++
	} else if digits() == 0 {
		return nil, false
	}
	if d.i < len(d.b) && d.b[d.i] == '.' {
		d.i++
		if digits() == 0 {
			return nil, false
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		d.i++
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			return nil, false
		}
	}
	return d.b[start:d.i], true
}

// skipSimple skips a value that is a string, a number, a literal, {} or [].
func (d *fastDecoder) skipSimple() bool {
	switch c := d.peek(); {
	case c == '"':
		_, ok := d.str()
		return ok
	case c == '-' || (c >= '0' && c <= '9'):
		_, ok := d.number()
		return ok
	case c == '{':
		d.i++
		return d.consume('}')
	case c == '[':
		d.i++
		return d.consume(']')
	}
	return d.literal("true") || d.literal("false") || d.literal("null")
}

// topLevel reads the reply object.
func (d *fastDecoder) topLevel(out *v2ExecuteReplyShares) bool {
	if !d.consume('{') {
		return false
	}
	var seen [4]bool
	for first := true; ; first = false {
		key, done, ok := d.nextKey(first)
		if !ok {
			return false
		}
		if done {
			return true
		}
		idx, ok := known(key, v2ReplyKeys)
		switch {
		case !ok:
			return false
		case idx < 0:
			ok = d.skipSimple()
		case seen[idx]:
			return false
		case idx == 0: // success
			ok = d.success(out)
		case idx == 1: // signedData
			ok = d.literal("null") || d.shares(out)
		case idx == 2:
			ok = d.optStr(&out.Response)
		default:
			ok = d.optStr(&out.Logs)
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
func (d *fastDecoder) success(out *v2ExecuteReplyShares) bool {
	switch {
	case d.literal("true"):
		t := true
		out.Success = &t
	case d.literal("false"):
		f := false
		out.Success = &f
	case d.literal("null"):
		out.Success = nil
	default:
		return false
	}
	return true
}

// shares reads the signedData object.
func (d *fastDecoder) shares(out *v2ExecuteReplyShares) bool {
	if !d.consume('{') {
		return false
	}
	out.SignedData = map[string]Share{}
	for first := true; ; first = false {
		name, done, ok := d.nextKey(first)
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
func (d *fastDecoder) share(sh *Share) bool {
	if !d.consume('{') {
		return false
	}
	var seen [8]bool
	for first := true; ; first = false {
		key, done, ok := d.nextKey(first)
		if !ok {
			return false
		}
		if done {
			return true
		}
		idx, ok := known(key, v2ShareKeys)
		if !ok || idx < 0 || seen[idx] {
			return false
		}
		seen[idx] = true
		if d.literal("null") {
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
		if *field, ok = d.str(); !ok {
			return false
		}
	}
}

// shareIndex reads an integer literal within int into sh.ShareIndex.
func (d *fastDecoder) shareIndex(sh *Share) bool {
	num, ok := d.number()
	if !ok {
		return false
	}
	n, err := strconv.Atoi(string(num))
	sh.ShareIndex = n
	return err == nil
}
