package cli

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// ParseParams builds an action's jsParams from --params-json (a JSON
// object, applied first) and --param k=v flags (applied in order). A --param
// value is
//   - a number when it parses as one ("42", "-1.5"),
//   - a byte array (JSON array of numbers, like the SDK's Uint8Array) when
//     it is 0x-prefixed hex ("0x48656c6c6f" -> [72,101,108,108,111]),
//   - true/false for those words,
//   - a string otherwise.
//
// Use --params-json for anything else (a numeric string, nested objects).
func ParseParams(paramsJSON string, params []string) (map[string]any, error) {
	out := map[string]any{}
	if strings.TrimSpace(paramsJSON) != "" {
		dec := json.NewDecoder(strings.NewReader(paramsJSON))
		dec.UseNumber()
		if err := dec.Decode(&out); err != nil {
			return nil, &UsageError{Msg: fmt.Sprintf("--params-json: want a JSON object: %v", err)}
		}
		if dec.More() {
			return nil, &UsageError{Msg: "--params-json: trailing data after the JSON object"}
		}
		if out == nil {
			return nil, &UsageError{Msg: "--params-json: want a JSON object, got null"}
		}
	}
	for _, p := range params {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, &UsageError{Msg: fmt.Sprintf("--param %q: want key=value", p)}
		}
		val, err := paramValue(v)
		if err != nil {
			return nil, &UsageError{Msg: fmt.Sprintf("--param %s: %v", k, err)}
		}
		out[k] = val
	}
	return out, nil
}

func paramValue(v string) (any, error) {
	if h, ok := strings.CutPrefix(v, "0x"); ok {
		b, err := hex.DecodeString(h)
		if err != nil {
			return nil, fmt.Errorf("%q is not valid hex (0x-prefixed values are byte arrays)", v)
		}
		arr := make([]int, len(b))
		for i, c := range b {
			arr[i] = int(c)
		}
		return arr, nil
	}
	switch v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil && v != "" && !strings.ContainsAny(v, "xXnN_") {
		return json.Number(v), nil
	}
	return v, nil
}

// jsonCompact is used for human output of values.
func jsonCompact(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSpace(b.String())
}
