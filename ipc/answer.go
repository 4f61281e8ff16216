package ipc

import (
	"bytes"
	"encoding/json"
)

// expectsAnswer reports whether go-ethereum will write an answer to msg,
// one JSON value that encoding/json accepted: it mirrors how go-ethereum's
// rpc package (v1.17) picks a message apart (rpc/json.go fillMessage: the
// members jsonrpc, id, method, params, result and error, matched exactly
// after unescaping, the last of a repeated one winning) and which messages
// it answers (rpc/handler.go): all but notifications (jsonrpc "2.0", a
// method, no id) and responses to its own calls (jsonrpc "2.0", a valid id,
// a result or error, no method or params); a batch is answered when it is
// empty, holds more than batchItems messages, or holds one that is.
// TestExpectsAnswerMatchesServer holds it to the server. A message counted
// but not answered would hold its call slots until the connection closes.
//
// It scans msg without decoding it (about 1 µs for a typical call, where
// encoding/json's tokenizer took 46 µs): go-ethereum decodes the request
// again anyway.
func expectsAnswer(msg []byte, batchItems int) bool {
	i := skipSpace(msg, 0)
	if i >= len(msg) || msg[i] != '[' {
		return answeredMessage(msg[i:])
	}
	n, answered := 0, false
	for i++; ; {
		i = skipSpace(msg, i)
		if i >= len(msg) || msg[i] == ']' {
			break
		}
		if msg[i] == ',' {
			i++
			continue
		}
		end := valueEnd(msg, i)
		n++
		answered = answered || answeredMessage(msg[i:end])
		i = end
	}
	return answered || n == 0 || (batchItems > 0 && n > batchItems)
}

// answeredMessage reports whether go-ethereum answers one message (see
// expectsAnswer).
func answeredMessage(msg []byte) bool {
	var (
		version, method       string
		id, params, res, fail []byte
	)
	i := skipSpace(msg, 0)
	if i >= len(msg) || msg[i] != '{' {
		return true // not an object: an invalid request, answered
	}
	for i++; ; {
		i = skipSpace(msg, i)
		if i >= len(msg) || msg[i] == '}' {
			break
		}
		if msg[i] == ',' {
			i++
			continue
		}
		keyStart, keyEnd := i, stringEnd(msg, i)
		key := msg[keyStart+1 : keyEnd-1]
		i = skipSpace(msg, keyEnd) + 1 // past the colon
		start := skipSpace(msg, i)
		i = valueEnd(msg, start)
		value := msg[start:i]
		if bytes.IndexByte(key, '\\') >= 0 {
			var k string
			if json.Unmarshal(msg[keyStart:keyEnd], &k) != nil {
				continue
			}
			key = []byte(k)
		}
		switch string(key) {
		case "jsonrpc":
			unquote(value, &version) // a non-string leaves it, as in go-ethereum
		case "id":
			id = value
		case "method":
			unquote(value, &method)
		case "params":
			params = value
		case "result":
			res = value
		case "error":
			fail = value
		}
	}
	validID := len(id) > 0 && id[0] != '{' && id[0] != '['
	notification := version == "2.0" && id == nil && method != ""
	response := version == "2.0" && validID && method == "" && params == nil && (res != nil || fail != nil)
	return !notification && !response
}

// unquote sets *s to the JSON string value, as json.Unmarshal into a
// string does: a value that is not a string (null included) leaves *s.
func unquote(value []byte, s *string) {
	if len(value) < 2 || value[0] != '"' {
		return
	}
	if bytes.IndexByte(value, '\\') < 0 {
		*s = string(value[1 : len(value)-1])
		return
	}
	json.Unmarshal(value, s)
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the offset just past the string whose opening quote is
// at b[i].
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return len(b)
		}
		// Escaped if an odd number of backslashes run up to the quote.
		backslashes := 0
		for k := i + j - 1; k >= i && b[k] == '\\'; k-- {
			backslashes++
		}
		i += j + 1
		if backslashes%2 == 0 {
			return i
		}
	}
	return len(b)
}

// valueEnd returns the offset just past the JSON value that starts at b[i].
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return len(b)
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = stringEnd(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(b)
	}
	for ; i < len(b); i++ { // a number, true, false or null
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
	}
	return len(b)
}
