package trezor

import (
	"fmt"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/accounts/usbwallet/trezor"
	"github.com/ethereum/go-ethereum/common"
	"github.com/litsigner/litsigner/hwwallet"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Message type numbers (trezor-firmware common/protob/messages.proto,
// enum MessageType), taken from go-ethereum's generated map so they cannot
// drift from the structs they go with.
var (
	msgInitialize               = trezor.Type(&trezor.Initialize{})               // 0
	msgFailure                  = trezor.Type(&trezor.Failure{})                  // 3
	msgFeatures                 = trezor.Type(&trezor.Features{})                 // 17
	msgPinMatrixRequest         = trezor.Type(&trezor.PinMatrixRequest{})         // 18
	msgPinMatrixAck             = trezor.Type(&trezor.PinMatrixAck{})             // 19
	msgCancel                   = trezor.Type(&trezor.Cancel{})                   // 20
	msgButtonRequest            = trezor.Type(&trezor.ButtonRequest{})            // 26
	msgButtonAck                = trezor.Type(&trezor.ButtonAck{})                // 27
	msgPassphraseRequest        = trezor.Type(&trezor.PassphraseRequest{})        // 41
	msgPassphraseAck            = trezor.Type(&trezor.PassphraseAck{})            // 42
	msgGetFeatures              = trezor.Type(&trezor.GetFeatures{})              // 55
	msgEthereumGetAddress       = trezor.Type(&trezor.EthereumGetAddress{})       // 56
	msgEthereumAddress          = trezor.Type(&trezor.EthereumAddress{})          // 57
	msgEthereumSignMessage      = trezor.Type(&trezor.EthereumSignMessage{})      // 64
	msgEthereumMessageSignature = trezor.Type(&trezor.EthereumMessageSignature{}) // 66
	msgPassphraseStateRequest   = trezor.Type(&trezor.PassphraseStateRequest{})   // 77
	msgPassphraseStateAck       = trezor.Type(&trezor.PassphraseStateAck{})       // 78
)

// initializeMsg is Initialize without session_id: a fresh session
// (messages-management.proto; go-ethereum calls field 1 "state").
var initializeMsg trezor.Initialize

// maxPassphrase is PassphraseAck.passphrase's limit (messages-common.options
// max_size:51, including the NUL of the C string).
const maxPassphrase = 50

// getAddressRequest is EthereumGetAddress (messages-ethereum.proto):
// address_n = 1, show_display = 2 (false: no confirmation screen).
func getAddressRequest(path accounts.DerivationPath) *trezor.EthereumGetAddress {
	return &trezor.EthereumGetAddress{AddressN: []uint32(path), ShowDisplay: proto.Bool(false)}
}

// signMessageRequest is EthereumSignMessage (messages-ethereum.proto):
// address_n = 1, message = 2. Fields 3 (encoded_network) and 4 (chunkify)
// are optional and left out.
func signMessageRequest(path accounts.DerivationPath, message []byte) *trezor.EthereumSignMessage {
	return &trezor.EthereumSignMessage{AddressN: []uint32(path), Message: message}
}

// passphraseAck is PassphraseAck (messages-common.proto): passphrase = 1 or
// on_device = 3, never both. go-ethereum's 2019 struct lacks on_device, so
// it is added as the unknown field 3 (varint 1), encoded 18 01.
func passphraseAck(passphrase string, onDevice bool) *trezor.PassphraseAck {
	ack := &trezor.PassphraseAck{}
	if onDevice {
		b := protowire.AppendTag(nil, 3, protowire.VarintType)
		b = protowire.AppendVarint(b, 1)
		ack.ProtoReflect().SetUnknown(b)
		return ack
	}
	// An absent passphrase is an error on core ("use empty string"), so the
	// empty one is sent explicitly (0a 00).
	ack.Passphrase = proto.String(passphrase)
	return ack
}

// decodeAddress parses EthereumAddress (type 57, messages-ethereum.proto):
// modern firmware sends address = 2 as a "0x…" string (go-ethereum's
// AddressHex), firmware before T1 1.8.0 / T 2.1.0 the 20 raw bytes in
// field 1 (AddressBin).
func decodeAddress(data []byte) (common.Address, error) {
	var m trezor.EthereumAddress
	if err := proto.Unmarshal(data, &m); err != nil {
		return common.Address{}, fmt.Errorf("decode EthereumAddress: %v: %w", err, hwwallet.ErrBadReply)
	}
	addr, ok, err := replyAddress(m.GetAddressHex(), m.GetAddressBin())
	if err != nil {
		return common.Address{}, fmt.Errorf("decode EthereumAddress: %w", err)
	}
	if !ok {
		return common.Address{}, fmt.Errorf("EthereumAddress without an address: %w", hwwallet.ErrBadReply)
	}
	return addr, nil
}

// decodeSignature parses EthereumMessageSignature (type 66,
// messages-ethereum.proto): signature = 2, address = 3 (string; field 1
// holds 20 bytes on legacy firmware). The address is nil when absent.
func decodeSignature(data []byte) ([]byte, *common.Address, error) {
	var m trezor.EthereumMessageSignature
	if err := proto.Unmarshal(data, &m); err != nil {
		return nil, nil, fmt.Errorf("decode EthereumMessageSignature: %v: %w", err, hwwallet.ErrBadReply)
	}
	addr, ok, err := replyAddress(m.GetAddressHex(), m.GetAddressBin())
	if err != nil {
		return nil, nil, fmt.Errorf("decode EthereumMessageSignature: %w", err)
	}
	sig := append([]byte(nil), m.GetSignature()...)
	if !ok {
		return sig, nil, nil
	}
	return sig, &addr, nil
}

// replyAddress reads an address given as hex string or 20 raw bytes.
func replyAddress(hex string, bin []byte) (common.Address, bool, error) {
	switch {
	case hex != "":
		if !common.IsHexAddress(hex) {
			return common.Address{}, false, fmt.Errorf("address %q is not 20 hex bytes: %w", hex, hwwallet.ErrBadReply)
		}
		return common.HexToAddress(hex), true, nil
	case len(bin) != 0:
		if len(bin) != common.AddressLength {
			return common.Address{}, false, fmt.Errorf("binary address of %d bytes: %w", len(bin), hwwallet.ErrBadReply)
		}
		return common.BytesToAddress(bin), true, nil
	default:
		return common.Address{}, false, nil
	}
}
