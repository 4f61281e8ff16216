package nagawire

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// marshalJS encodes v as JavaScript's JSON.stringify does for the plain
// data the protocol uses: no HTML escaping, no trailing newline. Signed
// bytes (the session-signature message) depend on this.
func marshalJS(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return unescapeLineSeparators(bytes.TrimSuffix(b.Bytes(), []byte("\n"))), nil
}

// unescapeLineSeparators undoes encoding/json's escaping of U+2028 and
// U+2029, which JSON.stringify leaves raw. Only real escapes are undone:
// a `\u2028` whose backslash is itself escaped is text.
func unescapeLineSeparators(in []byte) []byte {
	if !bytes.Contains(in, []byte(`\u202`)) {
		return in
	}
	out := make([]byte, 0, len(in))
	for i := 0; i < len(in); i++ {
		if in[i] != '\\' {
			out = append(out, in[i])
			continue
		}
		// in[i] starts an escape sequence.
		if i+6 <= len(in) && (string(in[i:i+6]) == `\u2028` || string(in[i:i+6]) == `\u2029`) {
			if in[i+5] == '8' {
				out = append(out, "\u2028"...)
			} else {
				out = append(out, "\u2029"...)
			}
			i += 5
			continue
		}
		if i+1 < len(in) {
			out = append(out, in[i], in[i+1])
			i++
			continue
		}
		out = append(out, in[i])
	}
	return out
}

// decodeStrict decodes one JSON value into v, refusing unknown fields and
// trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}

// decodeHexInto decodes s (with or without 0x) into exactly len(dst) bytes.
func decodeHexInto(dst []byte, s string) error {
	raw, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
	if err != nil {
		return fmt.Errorf("%q is not hex", clip(s))
	}
	if len(raw) != len(dst) {
		return fmt.Errorf("%d bytes, want %d", len(raw), len(dst))
	}
	copy(dst, raw)
	return nil
}
