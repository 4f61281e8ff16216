package lit

import (
	"strings"
	"unicode/utf8"
)

// jsQuote appends s as JavaScript's JSON.stringify writes a string: only
// '"', '\\' and control characters are escaped (\b \f \n \r \t short forms,
// \u00xx otherwise, lowercase hex); '<', '>', '&', U+2028 and U+2029 stay
// raw. Unlike encoding/json, which escapes U+2028/9 always and <>& by
// default. Invalid UTF-8 is rejected by the callers (JS strings can hold
// lone surrogates, Go strings cannot, so there is no exact equivalent).
func jsQuote(b *strings.Builder, s string) {
	const hexDigits = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			b.WriteString(`\"`)
		case c == '\\':
			b.WriteString(`\\`)
		case c >= 0x20:
			b.WriteByte(c)
		case c == '\b':
			b.WriteString(`\b`)
		case c == '\f':
			b.WriteString(`\f`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
		}
	}
	b.WriteByte('"')
}

// jsKey appends "key": with JS escaping.
func jsKey(b *strings.Builder, k string) {
	jsQuote(b, k)
	b.WriteByte(':')
}

// jsAuthSig appends an AuthSig with the SDK's key order; algo only when set
// (the SDK's wallet authSig has no algo key).
func jsAuthSig(b *strings.Builder, a AuthSig) {
	b.WriteByte('{')
	jsKey(b, "sig")
	jsQuote(b, a.Sig)
	b.WriteByte(',')
	jsKey(b, "derivedVia")
	jsQuote(b, a.DerivedVia)
	b.WriteByte(',')
	jsKey(b, "signedMessage")
	jsQuote(b, a.SignedMessage)
	b.WriteByte(',')
	jsKey(b, "address")
	jsQuote(b, a.Address)
	if a.Algo != "" {
		b.WriteByte(',')
		jsKey(b, "algo")
		jsQuote(b, a.Algo)
	}
	b.WriteByte('}')
}

// validStrings reports whether every string is valid UTF-8.
func validStrings(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) {
			return false
		}
	}
	return true
}
