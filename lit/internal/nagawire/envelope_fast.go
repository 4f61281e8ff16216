package nagawire

import (
	"strconv"

	"github.com/litsigner/litsigner/lit/internal/jsonfast"
)

// Field names of an Envelope and of its Payload, as encoding/json matches
// them.
var (
	envelopeKeys = []string{"version", "payload", "epoch"}
	payloadKeys  = []string{"verification_key", "random", "created_at", "ciphertext_and_tag"}
)

// UnmarshalEnvelope is json.Unmarshal(body, &env), in one pass without
// encoding/json for the usual envelope (an envelope is mostly its
// ciphertext in hex, which encoding/json scanned twice): one object with
// the fields spelled exactly and once, strings as jsonfast reads them, an
// epoch that is null or an integer, other keys with a string, number,
// literal, {} or []. Any other body takes encoding/json, whose error it
// returns.
func UnmarshalEnvelope(body []byte) (Envelope, error) {
	return jsonfast.Unmarshal(body, fastEnvelope)
}

// fastEnvelope decodes body as json.Unmarshal does, or returns ok false.
func fastEnvelope(body []byte) (env Envelope, ok bool) {
	d := jsonfast.NewReader(body)
	ok = d.Fields(envelopeKeys, true, func(idx int) bool {
		switch idx {
		case 0:
			return d.StrField(&env.Version)
		case 1:
			return d.Literal("null") || readPayload(d, &env.Payload)
		default:
			if d.Literal("null") {
				env.Epoch = nil
				return true
			}
			num, ok := d.Number()
			if !ok {
				return false
			}
			n, err := strconv.ParseUint(string(num), 10, 64)
			env.Epoch = &n
			return err == nil
		}
	})
	return env, ok && d.Done()
}

// readPayload reads a Payload object into p (fields it leaves out keep
// their value, as encoding/json does).
func readPayload(d *jsonfast.Reader, p *Payload) bool {
	fields := [...]*string{&p.VerificationKey, &p.Random, &p.CreatedAt, &p.CiphertextAndTag}
	return d.Fields(payloadKeys, true, func(idx int) bool { return d.StrField(fields[idx]) })
}
