package cli

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// ParseParams builds an action's jsParams from --params-json (a JSON
// object, applied first) and --param k=v flags (applied in order). A --param
// value is
//   - a number when it is one in JSON's grammar ("42", "-1.5"); an integer
//     beyond 2^53, which a JavaScript number would round, is refused (give
//     it as a string in --params-json),
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
		for k, v := range out {
			if err := checkExact(k, v); err != nil {
				return nil, &UsageError{Msg: "--params-json: " + err.Error()}
			}
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
	if isJSONNumber(v) {
		if !exactInJS(v) {
			return nil, fmt.Errorf("%s is an integer beyond 2^53, which a JavaScript number cannot hold exactly; pass it as a string: --params-json '{\"KEY\": \"%s\"}' (or BigInt(\"%s\") in the action)", v, v, v)
		}
		return json.Number(v), nil
	}
	return v, nil
}

// isJSONNumber reports whether v is a number in JSON's grammar ("42",
// "-1.5", "1e3"; not "+1", ".5", "007", "Infinity" or "0x10").
func isJSONNumber(v string) bool {
	if v == "" || !(v[0] == '-' || v[0] >= '0' && v[0] <= '9') || !json.Valid([]byte(v)) {
		return false
	}
	_, err := strconv.ParseFloat(v, 64)
	return err == nil
}

// maxExactInt is 2^53, above which a float64 (a JavaScript number) does not
// hold every integer.
var maxExactInt = new(big.Int).Lsh(big.NewInt(1), 53)

// exactInJS reports whether the JSON number v, written as an integer, is
// one a JavaScript number holds exactly; a number with a fraction or an
// exponent is taken as the float it is.
func exactInJS(v string) bool {
	if strings.ContainsAny(v, ".eE") {
		return true
	}
	n, ok := new(big.Int).SetString(v, 10)
	return ok && n.CmpAbs(maxExactInt) <= 0
}

// checkExact refuses, anywhere in a --params-json value, an integer a
// JavaScript number would round.
func checkExact(path string, v any) error {
	switch v := v.(type) {
	case json.Number:
		if !exactInJS(v.String()) {
			return fmt.Errorf("%s: %s is an integer beyond 2^53, which a JavaScript number cannot hold exactly; write it as a string (\"%s\")", path, v, v)
		}
	case map[string]any:
		for k, x := range v {
			if err := checkExact(path+"."+k, x); err != nil {
				return err
			}
		}
	case []any:
		for i, x := range v {
			if err := checkExact(fmt.Sprintf("%s[%d]", path, i), x); err != nil {
				return err
			}
		}
	}
	return nil
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
