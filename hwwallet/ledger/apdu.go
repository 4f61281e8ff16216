package ledger

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/litsigner/litsigner/hwwallet"
)

// APDU classes and instructions. Sources: LedgerHQ/app-ethereum
// doc/ethapp.adoc and src/apdu_constants.h (CLA E0, INS 02/06/08);
// ledgerjs hw-transport (CLA B0 INS 01, GET_APP_AND_VERSION, answered by the
// OS on the dashboard and by the SDK inside any app). See
// hwwallet/PROTOCOL.md §3, §4.
const (
	claEthereum = 0xE0
	claBOLOS    = 0xB0

	insGetAddress          = 0x02 // E0 02 P1(00 silent|01 display) P2(00|01 chain code)
	insGetAppConfiguration = 0x06 // E0 06 00 00 -> flags major minor patch
	insSignPersonalMessage = 0x08 // E0 08 P1(00 first|80 more) 00
	insGetAppAndVersion    = 0x01 // B0 01 00 00 -> 01 nameLen name verLen ver flagsLen flags

	p1First = 0x00
	p1More  = 0x80

	// chunkSize is the APDU payload size of SIGN_PERSONAL_MESSAGE chunks.
	// The app takes up to 255 (Lc is one byte; Ledger's Python client uses
	// that), but ledgerjs hw-app-eth, which Ledger Live and most dApps use,
	// cuts at 150; we send byte for byte what it sends, so a device sees
	// nothing it has not seen from Ledger's own host code (checked against
	// hw-app-eth 7.9.0 in hwwallet/vendorcheck).
	chunkSize = 150
	// maxPathLen is the app's MAX_BIP32_PATH.
	maxPathLen = 10
	// MaxMessageLen is the longest message the current Ethereum app accepts
	// (msg_length is a uint16 holding 2*len+3 for the hex display; larger
	// messages get 0x6A80, see hwwallet/PROTOCOL.md §5).
	MaxMessageLen = 32766
)

// apdu builds CLA INS P1 P2 Lc data.
func apdu(cla, ins, p1, p2 byte, data []byte) []byte {
	b := make([]byte, 0, 5+len(data))
	b = append(b, cla, ins, p1, p2, byte(len(data)))
	return append(b, data...)
}

// encodePath serializes a BIP-32 path as n followed by n big-endian uint32.
func encodePath(path accounts.DerivationPath) ([]byte, error) {
	if len(path) == 0 || len(path) > maxPathLen {
		return nil, fmt.Errorf("ledger: derivation path of %d elements (want 1..%d): %w", len(path), maxPathLen, hwwallet.ErrBadRequest)
	}
	b := make([]byte, 1, 1+4*len(path))
	b[0] = byte(len(path))
	for _, e := range path {
		b = binary.BigEndian.AppendUint32(b, e)
	}
	return b, nil
}

// getAddressAPDU asks for the address at path without showing it (P1 00) and
// without the chain code (P2 00).
func getAddressAPDU(path accounts.DerivationPath) ([]byte, error) {
	p, err := encodePath(path)
	if err != nil {
		return nil, err
	}
	return apdu(claEthereum, insGetAddress, 0x00, 0x00, p), nil
}

// signPersonalAPDUs cuts path || be32(len) || message into 150-byte APDU
// payloads, the first with P1 00, the rest with P1 80 (app-ethereum
// doc/ethapp.adoc "SIGN ETH PERSONAL MESSAGE").
func signPersonalAPDUs(path accounts.DerivationPath, message []byte) ([][]byte, error) {
	if len(message) > MaxMessageLen {
		return nil, fmt.Errorf("ledger: message of %d bytes (the Ethereum app takes at most %d): %w", len(message), MaxMessageLen, hwwallet.ErrBadRequest)
	}
	p, err := encodePath(path)
	if err != nil {
		return nil, err
	}
	stream := binary.BigEndian.AppendUint32(p, uint32(len(message)))
	stream = append(stream, message...)
	var out [][]byte
	for p1 := byte(p1First); len(stream) > 0; p1 = p1More {
		n := min(chunkSize, len(stream))
		out = append(out, apdu(claEthereum, insSignPersonalMessage, p1, 0x00, stream[:n]))
		stream = stream[n:]
	}
	return out, nil
}

// splitStatus separates the reply data from the trailing status word.
func splitStatus(reply []byte) (data []byte, sw uint16, err error) {
	if len(reply) < 2 {
		return nil, 0, fmt.Errorf("ledger: reply of %d bytes has no status word: %w", len(reply), hwwallet.ErrBadReply)
	}
	n := len(reply) - 2
	return reply[:n], binary.BigEndian.Uint16(reply[n:]), nil
}

// parseAddress reads a GET_ADDRESS reply: pubLen(65) pubkey addrLen(40)
// ASCII hex address [chain code]. The address must match the public key.
func parseAddress(data []byte) (common.Address, error) {
	bad := func(what string) (common.Address, error) {
		return common.Address{}, fmt.Errorf("ledger: get address reply: %s: %w", what, hwwallet.ErrBadReply)
	}
	if len(data) < 1 || int(data[0]) != 65 || len(data) < 1+65+1 {
		return bad("public key missing")
	}
	pub, err := crypto.UnmarshalPubkey(data[1:66])
	if err != nil {
		return bad("public key invalid")
	}
	rest := data[66:]
	if int(rest[0]) != 40 || len(rest) < 41 {
		return bad("address missing")
	}
	raw, err := hex.DecodeString(strings.ToLower(string(rest[1:41])))
	if err != nil {
		return bad("address is not hex")
	}
	addr := common.BytesToAddress(raw)
	if addr != crypto.PubkeyToAddress(*pub) {
		return bad("address does not match the public key")
	}
	if extra := len(rest) - 41; extra != 0 && extra != 32 {
		return bad(fmt.Sprintf("%d trailing bytes", extra))
	}
	return addr, nil
}

// AppVersion is the Ethereum app's version from GET_APP_CONFIGURATION.
type AppVersion struct {
	// Flags is the app's configuration byte (bit 0: blind signing allowed).
	Flags byte
	// Major, Minor and Patch form the version number.
	Major, Minor, Patch byte
}

// String formats the version as major.minor.patch.
func (v AppVersion) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// atLeast reports whether v >= major.minor.patch.
func (v AppVersion) atLeast(major, minor, patch byte) bool {
	if v.Major != major {
		return v.Major > major
	}
	if v.Minor != minor {
		return v.Minor > minor
	}
	return v.Patch >= patch
}

// parseAppConfiguration reads flags major minor patch (more bytes may follow
// on newer apps and are ignored).
func parseAppConfiguration(data []byte) (AppVersion, error) {
	if len(data) < 4 {
		return AppVersion{}, fmt.Errorf("ledger: app configuration of %d bytes: %w", len(data), hwwallet.ErrBadReply)
	}
	return AppVersion{Flags: data[0], Major: data[1], Minor: data[2], Patch: data[3]}, nil
}

// parseAppAndVersion reads the running app's name and version:
// 01 nameLen name verLen version [flagsLen flags].
func parseAppAndVersion(data []byte) (name, version string, err error) {
	bad := fmt.Errorf("ledger: app and version reply % x: %w", data, hwwallet.ErrBadReply)
	if len(data) < 2 || data[0] != 0x01 {
		return "", "", bad
	}
	n := int(data[1])
	if len(data) < 2+n+1 {
		return "", "", bad
	}
	name = string(data[2 : 2+n])
	rest := data[2+n:]
	v := int(rest[0])
	if len(rest) < 1+v {
		return "", "", bad
	}
	return name, string(rest[1 : 1+v]), nil
}

// parseSignature turns the app's v(27/28) || r || s into r || s || v.
func parseSignature(data []byte) ([]byte, error) {
	if len(data) != 65 {
		return nil, fmt.Errorf("ledger: signature of %d bytes, want 65: %w", len(data), hwwallet.ErrBadReply)
	}
	v := data[0]
	if v != 27 && v != 28 {
		return nil, fmt.Errorf("ledger: signature v = %d, want 27 or 28: %w", v, hwwallet.ErrBadReply)
	}
	sig := make([]byte, 65)
	copy(sig, data[1:])
	sig[64] = v
	return sig, nil
}
