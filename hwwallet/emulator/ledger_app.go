package emulator

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/litsigner/litsigner/hwwallet"
)

// Status words the emulated app answers (app-ethereum src/main.c and the SDK
// status_words.h; ledgerjs for the OS-level ones; hwwallet/PROTOCOL.md §4).
const (
	swOK             = 0x9000
	swRejected       = 0x6985
	swLocked         = 0x5515
	swNotAllowed     = 0x6980
	swIncorrectData  = 0x6A80
	swWrongP1P2      = 0x6B00
	swWrongLength    = 0x6700
	swINSUnsupported = 0x6D00
	swCLAUnsupported = 0x6E00
	swDashboard      = 0x6E01
)

// maxPersonalMessage is the current app's limit (hwwallet/PROTOCOL.md §5).
const maxPersonalMessage = 32766

// ledgerApp is the state of the Ethereum app for one cable.
type ledgerApp struct {
	keys *Keyring
	b    *Behaviour
	done <-chan struct{}

	// SIGN_PERSONAL_MESSAGE in progress (APP_STATE_SIGNING_MESSAGE).
	signing bool
	path    accounts.DerivationPath
	total   int
	msg     []byte
}

// handle answers one APDU; ok is false when the prompt was abandoned
// because the cable went away.
func (a *ledgerApp) handle(cmd []byte) (reply []byte, ok bool) {
	if len(cmd) < 5 || int(cmd[4]) != len(cmd)-5 {
		a.reset()
		return sw(swWrongLength), true
	}
	cla, ins, p1, p2, data := cmd[0], cmd[1], cmd[2], cmd[3], cmd[5:]
	if a.b.Locked() {
		a.reset()
		return sw(swLocked), true
	}
	if cla == 0xB0 && ins == 0x01 {
		return a.appAndVersion(), true
	}
	if a.b.AppClosed() {
		a.reset()
		return sw(swDashboard), true
	}
	if cla != 0xE0 {
		a.reset()
		return sw(swCLAUnsupported), true
	}
	var out []byte
	switch ins {
	case 0x06: // GET_APP_CONFIGURATION: flags major minor patch
		v := LedgerAppVersion
		out = append([]byte{0x00}, v[:]...)
		out = binary.BigEndian.AppendUint16(out, swOK)
	case 0x02: // GET_ADDRESS
		a.reset()
		out = a.getAddress(p1, p2, data)
	case 0x08: // SIGN_PERSONAL_MESSAGE
		out = a.signPersonal(p1, p2, data)
	default:
		out = sw(swINSUnsupported)
	}
	if out == nil {
		return nil, false
	}
	if binary.BigEndian.Uint16(out[len(out)-2:]) != swOK {
		// main.c resets the app context on any error status.
		a.reset()
	}
	return out, true
}

func (a *ledgerApp) reset() {
	a.signing, a.path, a.total, a.msg = false, nil, 0, nil
}

func sw(code uint16) []byte { return binary.BigEndian.AppendUint16(nil, code) }

// appAndVersion answers B0 01: format 1, name, version, flags.
func (a *ledgerApp) appAndVersion() []byte {
	v := LedgerAppVersion
	name, version := "Ethereum", fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2])
	if a.b.AppClosed() {
		name, version = "BOLOS", "1.1.2"
	}
	out := []byte{0x01, byte(len(name))}
	out = append(out, name...)
	out = append(out, byte(len(version)))
	out = append(out, version...)
	out = append(out, 0x01, 0x00) // flags
	return binary.BigEndian.AppendUint16(out, swOK)
}

// parsePath reads n (1..10) big-endian elements; rest is what follows.
func parsePath(data []byte) (path accounts.DerivationPath, rest []byte, ok bool) {
	if len(data) < 1 {
		return nil, nil, false
	}
	n := int(data[0])
	if n == 0 || n > 10 || len(data) < 1+4*n {
		return nil, nil, false
	}
	path = make(accounts.DerivationPath, n)
	for i := range path {
		path[i] = binary.BigEndian.Uint32(data[1+4*i:])
	}
	return path, data[1+4*n:], true
}

// getAddress answers E0 02: 65 pubkey 40 hex-address [chain code].
func (a *ledgerApp) getAddress(p1, p2 byte, data []byte) []byte {
	if p1 > 1 || p2 > 1 {
		return sw(swWrongP1P2)
	}
	path, rest, ok := parsePath(data)
	// An optional 8-byte chain ID may follow (shown on Stax/Flex; ledgerjs
	// hw-app-eth getAddress sends it when given one).
	if !ok || (len(rest) != 0 && len(rest) != 8) {
		return sw(swIncorrectData)
	}
	key, chain, err := a.keys.derive(path)
	if err != nil {
		return sw(swIncorrectData)
	}
	addr := crypto.PubkeyToAddress(key.PublicKey)
	if p1 == 1 {
		switch a.b.Confirm(a.done, Prompt{Vendor: hwwallet.VendorLedger, Kind: PromptAddress, Title: "Verify address", Text: addr.Hex(), Path: path}) {
		case Abandoned:
			return nil
		case Rejected:
			return sw(swRejected)
		}
	}
	out := []byte{65}
	out = append(out, crypto.FromECDSAPub(&key.PublicKey)...)
	out = append(out, 40)
	out = append(out, addr.Hex()[2:]...) // EIP-55 checksummed, no 0x
	if p2 == 1 {
		out = append(out, chain...)
	}
	return binary.BigEndian.AppendUint16(out, swOK)
}

// signPersonal follows app-ethereum src/features/sign_message/
// cmd_sign_message.c: P1 00 starts a flow (0x6980 if one is in progress),
// P1 80 continues it; once all declared bytes arrived the review UI runs
// and the reply is v||r||s.
func (a *ledgerApp) signPersonal(p1, p2 byte, data []byte) []byte {
	if p2 != 0 {
		return sw(swWrongP1P2)
	}
	switch p1 {
	case 0x00:
		if a.signing {
			return sw(swNotAllowed)
		}
		path, rest, ok := parsePath(data)
		if !ok || len(rest) < 4 {
			return sw(swIncorrectData)
		}
		total := int(binary.BigEndian.Uint32(rest))
		rest = rest[4:]
		if total > maxPersonalMessage || len(rest) > total {
			return sw(swIncorrectData)
		}
		a.signing, a.path, a.total = true, path, total
		a.msg = append(make([]byte, 0, total), rest...)
	case 0x80:
		if !a.signing || len(a.msg)+len(data) > a.total {
			return sw(swIncorrectData)
		}
		a.msg = append(a.msg, data...)
	default:
		return sw(swWrongP1P2)
	}
	if len(a.msg) < a.total {
		return sw(swOK)
	}
	path, msg := a.path, a.msg
	a.reset()
	key, err := a.keys.Key(path)
	if err != nil {
		return sw(swIncorrectData)
	}
	switch a.b.Confirm(a.done, Prompt{Vendor: hwwallet.VendorLedger, Kind: PromptSignMessage, Title: "Review message", Text: ledgerDisplay(msg), Path: path}) {
	case Abandoned:
		return nil
	case Rejected:
		return sw(swRejected)
	}
	// crypto.Sign is RFC 6979 deterministic with low S, like the app's
	// CX_RND_RFC6979 signing; it returns r||s||recid.
	sig, err := crypto.Sign(accounts.TextHash(msg), key)
	if err != nil {
		return sw(swIncorrectData)
	}
	out := []byte{27 + sig[64]}
	out = append(out, sig[:64]...)
	return binary.BigEndian.AppendUint16(out, swOK)
}

// ledgerDisplay renders a message as the app does: text if every byte is
// printable ASCII or whitespace, otherwise the whole message as 0x-hex
// (ui_common_sign_message.c).
func ledgerDisplay(msg []byte) string {
	for _, c := range msg {
		printable := c >= 0x20 && c < 0x7f
		space := c == ' ' || (c >= '\t' && c <= '\r')
		if !printable && !space {
			return "0x" + hex.EncodeToString(msg)
		}
	}
	return strings.Clone(string(msg))
}
