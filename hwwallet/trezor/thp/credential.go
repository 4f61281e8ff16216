package thp

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
)

// Credential is what a host keeps after pairing to reconnect without a
// code: the device's static public key (to recognise the device behind its
// masked key) and the opaque credential the device issued for the host's
// static key. It holds no secret of the host; the host static key is
// stored beside it.
type Credential struct {
	TrezorStaticPublicKey []byte `json:"trezorStaticPublicKey"`
	Credential            []byte `json:"credential"`
}

// maxCredential is the firmware's limit (rust/trezor-thp channel/mod.rs).
const maxCredential = 128

// issueCredential builds ThpPairingCredential{1 metadata, 2 mac} with
// mac = HMAC-SHA256(key, ThpAuthenticatedCredentialData{1 host static key,
// 2 metadata}) (core/src/apps/thp/credential_manager.py).
func issueCredential(key, hostStatic []byte, m credentialMetadata) []byte {
	meta := m.marshal()
	return appendBytes(appendBytes(nil, 1, meta), 2, credentialMAC(key, hostStatic, meta))
}

func credentialMAC(key, hostStatic, meta []byte) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write(appendBytes(appendBytes(nil, 1, hostStatic), 2, meta))
	return mac.Sum(nil)
}

// checkCredential verifies a credential against the host static key of
// the handshake and returns its metadata.
func checkCredential(key, hostStatic, cred []byte) (credentialMetadata, error) {
	if len(cred) > maxCredential {
		return credentialMetadata{}, fmt.Errorf("credential of %d bytes exceeds %d", len(cred), maxCredential)
	}
	f, err := bytesFields(cred, 1, 2)
	if err != nil {
		return credentialMetadata{}, fmt.Errorf("credential: %w", err)
	}
	if f[0] == nil || f[1] == nil {
		return credentialMetadata{}, fmt.Errorf("credential without metadata or MAC")
	}
	if !hmac.Equal(f[1], credentialMAC(key, hostStatic, f[0])) {
		return credentialMetadata{}, fmt.Errorf("credential MAC does not match")
	}
	return parseCredentialMetadata(f[0])
}

// findCredential returns the stored credential whose device static key
// hides behind the handshake's masked key.
func findCredential(hs *hostHandshake, creds []Credential) (Credential, bool) {
	for _, c := range creds {
		if hs.isDevice(c.TrezorStaticPublicKey) {
			return Credential{
				TrezorStaticPublicKey: bytes.Clone(c.TrezorStaticPublicKey),
				Credential:            bytes.Clone(c.Credential),
			}, true
		}
	}
	return Credential{}, false
}
