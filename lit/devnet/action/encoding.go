package action

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/dop251/goja"
)

// The encodings of uint8arrayToString / uint8arrayFromString: a subset of
// the uint8arrays npm package's names, which real nodes re-export.
func encodingName(v goja.Value) string {
	if v == nil || goja.IsUndefined(v) {
		return "utf8"
	}
	return v.String()
}

// uint8arrayToString implements LitActions.uint8arrayToString(arr, encoding).
func (r *run) uint8arrayToString(call goja.FunctionCall) goja.Value {
	b := r.bytesOf(call.Argument(0))
	s, err := encodeBytes(b, encodingName(call.Argument(1)))
	if err != nil {
		panic(r.jsError(err))
	}
	return r.vm.ToValue(s)
}

// uint8arrayFromString implements LitActions.uint8arrayFromString(str, encoding).
func (r *run) uint8arrayFromString(call goja.FunctionCall) goja.Value {
	b, err := decodeString(call.Argument(0).String(), encodingName(call.Argument(1)))
	if err != nil {
		panic(r.jsError(err))
	}
	return r.newUint8Array(b)
}

func encodeBytes(b []byte, enc string) (string, error) {
	switch enc {
	case "utf8", "utf-8":
		return decodeUTF8(b), nil
	case "hex", "base16":
		return hex.EncodeToString(b), nil
	case "base16upper":
		return strings.ToUpper(hex.EncodeToString(b)), nil
	case "base64":
		return base64.RawStdEncoding.EncodeToString(b), nil
	case "base64pad":
		return base64.StdEncoding.EncodeToString(b), nil
	case "base64url":
		return base64.RawURLEncoding.EncodeToString(b), nil
	case "base64urlpad":
		return base64.URLEncoding.EncodeToString(b), nil
	case "base58btc":
		return base58Encode(b), nil
	case "ascii", "latin1", "binary":
		rs := make([]rune, len(b))
		for i, c := range b {
			rs[i] = rune(c)
		}
		return string(rs), nil
	}
	//lint:ignore ST1005 Node's Buffer wording, which actions may match on
	return "", fmt.Errorf("Unsupported encoding %q", enc)
}

func decodeString(s, enc string) ([]byte, error) {
	switch enc {
	case "utf8", "utf-8":
		return []byte(s), nil
	case "hex", "base16", "base16upper":
		b, err := hex.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("Non-base16 character: %w", err)
		}
		return b, nil
	case "base64", "base64pad":
		return decodeBase64(base64.RawStdEncoding, s)
	case "base64url", "base64urlpad":
		return decodeBase64(base64.RawURLEncoding, s)
	case "base58btc":
		return base58Decode(s)
	case "ascii", "latin1", "binary":
		out := make([]byte, 0, len(s))
		for _, c := range s {
			out = append(out, byte(c))
		}
		return out, nil
	}
	//lint:ignore ST1005 Node's Buffer wording, which actions may match on
	return nil, fmt.Errorf("Unsupported encoding %q", enc)
}

// decodeBase64 accepts the input with or without '=' padding, like the
// uint8arrays decoders.
func decodeBase64(enc *base64.Encoding, s string) ([]byte, error) {
	b, err := enc.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, fmt.Errorf("Non-base64 character: %w", err)
	}
	return b, nil
}

// decodeUTF8 decodes like TextDecoder: each invalid byte becomes U+FFFD.
func decodeUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var s strings.Builder
	for len(b) > 0 {
		c, n := utf8.DecodeRune(b)
		s.WriteRune(c) // utf8.RuneError for an invalid byte, n == 1
		b = b[n:]
	}
	return s.String()
}
