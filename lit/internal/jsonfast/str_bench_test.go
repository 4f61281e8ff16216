package jsonfast

import (
	"strconv"
	"strings"
	"testing"
)

// shareString is a Naga share as a reply carries it: a JSON document in a
// JSON string, so every quote inside is escaped.
var shareString = strconv.Quote(`{"EcdsaSignedMessageShare":{"digest":"` + strings.Repeat("ab", 32) + `","result":"success","share_id":"` +
	strings.Repeat("1", 64) + `","peer_id":"` + strings.Repeat("2", 64) + `","signature_share":"\"` + strings.Repeat("C", 64) +
	`\"","big_r":"\"` + strings.Repeat("D", 66) + `\"","compressed_public_key":"\"` + strings.Repeat("E", 66) +
	`\"","public_key":"\"` + strings.Repeat("F", 130) + `\"","sig_type":"EcdsaK256Sha256"}}`)

var strSink string

// BenchmarkStr reads a plain string (hex) and an escaped one (a share).
func BenchmarkStr(b *testing.B) {
	for _, c := range []struct{ name, text string }{
		{"plain", `"` + strings.Repeat("0123456789abcdef", 32) + `"`},
		{"escaped", shareString},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.text)))
			for range b.N {
				s, ok := NewReader([]byte(c.text)).Str()
				if !ok {
					b.Fatal("declined")
				}
				strSink = s
			}
		})
	}
}
