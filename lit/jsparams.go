package lit

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// readOnlyGlobals are the JavaScript globals an action cannot assign: a v2
// node that defines a jsParam of one of these names as a global fails
// ("Cannot assign to read only property"), on every node.
var readOnlyGlobals = map[string]bool{"undefined": true, "NaN": true, "Infinity": true}

// checkJSParams refuses jsParams (valid JSON, an object) that every node
// would refuse: a number out of float64's range (JavaScript and the nodes'
// JSON decoders read numbers as float64; 1e999 is not one), and, when
// asGlobals (v2 defines each jsParam as a global of the action), a key
// naming a read-only global. Errors wrap ErrInvalidParams and name the
// top-level key.
func checkJSParams(params []byte, asGlobals bool) error {
	depth := 0
	key := ""          // the top-level key whose value is being read
	expectKey := false // the next string at depth 1 is a key
	for i := 0; i < len(params); i++ {
		switch c := params[i]; {
		case c == '{':
			depth++
			expectKey = depth == 1
		case c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		case c == ',':
			expectKey = depth == 1
		case c == '"':
			start := i
			escaped := false
			for i++; i < len(params) && params[i] != '"'; i++ {
				if params[i] == '\\' {
					escaped = true
					i++
				}
			}
			if !expectKey {
				continue
			}
			expectKey = false
			key = string(params[start+1 : i])
			if escaped {
				if err := json.Unmarshal(params[start:i+1], &key); err != nil {
					return fmt.Errorf("jsParams are not valid JSON: %w", ErrInvalidParams)
				}
			}
			if asGlobals && readOnlyGlobals[key] {
				return fmt.Errorf("jsParams key %q cannot be a global of the action (undefined, NaN and Infinity are read-only): %w", key, ErrInvalidParams)
			}
		case c == '-' || c >= '0' && c <= '9':
			start := i
			big := false
			for ; i+1 < len(params); i++ {
				n := params[i+1]
				if n == 'e' || n == 'E' {
					big = true
				} else if n != '.' && n != '+' && n != '-' && (n < '0' || n > '9') {
					break
				}
			}
			// Without an exponent only a number of over 300 digits can
			// leave float64's range.
			if big || i+1-start > 300 {
				if _, err := strconv.ParseFloat(string(params[start:i+1]), 64); err != nil {
					return fmt.Errorf("jsParams key %q holds the number %s, out of JavaScript's range (float64): %w", key, clip(string(params[start:i+1])), ErrInvalidParams)
				}
			}
		}
	}
	return nil
}
