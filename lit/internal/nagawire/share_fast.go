package nagawire

import "github.com/litsigner/litsigner/lit/internal/jsonfast"

// Field names of a share's inner JSON, as encoding/json matches them.
var (
	shareEnvelopeKeys = []string{"EcdsaSignedMessageShare"}
	ecdsaShareKeys    = []string{"digest", "result", "share_id", "peer_id", "signature_share", "big_r", "compressed_public_key", "public_key", "sig_type"}
)

// unmarshalShareEnvelope is json.Unmarshal(data, &env), in one pass
// without encoding/json for the usual share (the shape jsonfast and
// fastEnvelope describe: fields spelled exactly and once, strings or null,
// unknown keys with simple values). Any other text takes encoding/json.
func unmarshalShareEnvelope(data []byte) (wireShareEnvelope, error) {
	return jsonfast.Unmarshal(data, fastShareEnvelope)
}

// fastShareEnvelope decodes data as json.Unmarshal does, or returns ok
// false.
func fastShareEnvelope(data []byte) (env wireShareEnvelope, ok bool) {
	d := jsonfast.NewReader(data)
	ok = d.Fields(shareEnvelopeKeys, true, func(int) bool {
		if d.Literal("null") {
			env.EcdsaSignedMessageShare = nil
			return true
		}
		w := &wireEcdsaShare{}
		fields := [...]*string{&w.Digest, &w.Result, &w.ShareID, &w.PeerID, &w.SignatureShare, &w.BigR,
			&w.CompressedPublicKey, &w.PublicKey, &w.SigType}
		env.EcdsaSignedMessageShare = w
		return d.Fields(ecdsaShareKeys, true, func(idx int) bool { return d.StrField(fields[idx]) })
	})
	return env, ok && d.Done()
}
