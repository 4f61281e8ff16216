package ledger

import (
	"bytes"
	"testing"
)

// FuzzUnframe feeds arbitrary report sequences to the reply reassembler.
func FuzzUnframe(f *testing.F) {
	r, _ := frameAPDU(bytes.Repeat([]byte{7}, 130))
	f.Add(bytes.Join(r, nil))
	f.Add([]byte{1, 1, 5, 0, 0, 0, 2, 0x90, 0})
	f.Fuzz(func(t *testing.T, stream []byte) {
		var reports [][]byte
		for len(stream) > 0 {
			n := min(64, len(stream))
			reports = append(reports, stream[:n])
			stream = stream[n:]
		}
		out, err := unframe(reports)
		if err == nil && len(out) > 65535 {
			t.Fatalf("reply of %d bytes", len(out))
		}
	})
}

// FuzzParseReply runs every reply parser on arbitrary data.
func FuzzParseReply(f *testing.F) {
	f.Add([]byte{0x90, 0x00})
	f.Add([]byte{1, 8, 'E', 't', 'h', 'e', 'r', 'e', 'u', 'm', 5, '1', '.', '2', '.', '3', 1, 0, 0x90, 0})
	f.Add(append([]byte{65, 4}, make([]byte, 64+1+40)...))
	f.Fuzz(func(t *testing.T, reply []byte) {
		data, sw, err := splitStatus(reply)
		if err != nil {
			return
		}
		_ = checkStatus(sw)
		_, _ = parseAddress(data)
		_, _, _ = parseAppAndVersion(data)
		_, _ = parseAppConfiguration(data)
		if sig, err := parseSignature(data); err == nil && (len(sig) != 65 || sig[64] < 27) {
			t.Fatalf("bad signature accepted: %x", sig)
		}
	})
}

// FuzzParseAddress feeds arbitrary GET_ADDRESS replies; an accepted reply
// must carry a public key that hashes to its address.
func FuzzParseAddress(f *testing.F) {
	f.Add(append([]byte{65, 4}, make([]byte, 64+1+40)...))
	f.Add([]byte{65})
	f.Fuzz(func(t *testing.T, data []byte) {
		addr, err := parseAddress(data)
		if err != nil {
			return
		}
		if len(data) < 107 || addr == ([20]byte{}) && data[66] != 40 {
			t.Fatalf("accepted malformed reply %x", data)
		}
	})
}
