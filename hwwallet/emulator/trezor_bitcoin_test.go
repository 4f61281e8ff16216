package emulator

import (
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/usbwallet/trezor"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// getAddressReport frames a GetAddress (type 29) by hand.
func getAddressReport(t *testing.T, coin string, scriptType uint64, path ...uint32) []byte {
	t.Helper()
	var body []byte
	for _, e := range path {
		body = protowire.AppendTag(body, 1, protowire.VarintType)
		body = protowire.AppendVarint(body, uint64(e))
	}
	body = protowire.AppendTag(body, 2, protowire.BytesType)
	body = protowire.AppendString(body, coin)
	body = protowire.AppendTag(body, 5, protowire.VarintType)
	body = protowire.AppendVarint(body, scriptType)
	reports := trezorReports(msgGetAddress, body)
	if len(reports) != 1 {
		t.Fatalf("GetAddress takes %d reports", len(reports))
	}
	return reports[0]
}

// TestTrezorBitcoinGetAddress: the Testnet address Trezor Connect derives
// its session id from, for the "all all ... all" seed, as trezor-firmware's
// device tests publish it (tests/device_tests/bitcoin/test_getaddress.py:
// m/44h/1h/0h/0/0 -> mvbu1Gdy8SUjTenqerxUaZyYjmveZvt33q).
func TestTrezorBitcoinGetAddress(t *testing.T) {
	emu, err := NewTrezor(TrezorTestMnemonic, nil, TrezorT)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		emu.Close()
		select {
		case <-emu.Done():
		case <-time.After(5 * time.Second):
			t.Error("device goroutines did not stop")
		}
	}()
	const h = 0x80000000
	kind, data := exchange(t, emu.Transport(), getAddressReport(t, "Testnet", 0, 44+h, 1+h, 0+h, 0, 0))
	if kind != msgAddress {
		t.Fatalf("reply type %d (%x)", kind, data)
	}
	num, typ, n := protowire.ConsumeTag(data)
	addr, m := protowire.ConsumeString(data[n:])
	if num != 1 || typ != protowire.BytesType || m < 0 || addr != "mvbu1Gdy8SUjTenqerxUaZyYjmveZvt33q" {
		t.Fatalf("Address %q (field %d)", addr, num)
	}
	// Unsupported requests get DataError, not a wrong address.
	for _, r := range [][]byte{
		getAddressReport(t, "Litecoin", 0, 44+h, 1+h, 0+h, 0, 0),
		getAddressReport(t, "Testnet", 3, 44+h, 1+h, 0+h, 0, 0), // SPENDWITNESS
		getAddressReport(t, "Bitcoin", 0, 44+h, 0+h, 0+h, 0, 0), // outside the Ethereum/testnet path policy
	} {
		kind, data := exchange(t, emu.Transport(), r)
		var f trezor.Failure
		if err := proto.Unmarshal(data, &f); err != nil || kind != 3 || f.GetCode() != trezor.Failure_Failure_DataError {
			t.Errorf("reply type %d %v: %v", kind, &f, err)
		}
	}
}

func TestBase58(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want string
	}{
		{nil, ""},
		{[]byte{0}, "1"},
		{[]byte{0, 0, 1}, "112"},
		{[]byte("hello world"), "StV1DL6CwTryKyV"},
	} {
		if got := base58(tc.in); got != tc.want {
			t.Errorf("base58(%x) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestLedgerGetAddressChainID: GET_ADDRESS takes an optional 8-byte chain
// ID after the path (hw-app-eth getAddress with chainId); other trailing
// lengths are refused.
func TestLedgerGetAddressChainID(t *testing.T) {
	l, err := NewLedger(SpeculosMnemonic, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	tr := l.Transport()
	defer tr.Close()
	data, sw := ledgerExchange(t, tr, ledgerHex("e00200001d"+path5+"0000000000000001"))
	if sw != 0x9000 || len(data) != 1+65+1+40 || string(data[67:]) != "Dad77910DbDFdE764fC21FCD4E74D71bBACA6D8D" {
		t.Fatalf("with chain id: sw %04x, %x", sw, data)
	}
	if _, sw := ledgerExchange(t, tr, ledgerHex("e002000019"+path5+"00000001")); sw != 0x6A80 {
		t.Fatalf("4 trailing bytes: sw %04x, want 6a80", sw)
	}
}

// FuzzParseGetAddress feeds host bytes to the GetAddress decoder: no
// panic, and a path element never exceeds 32 bits.
func FuzzParseGetAddress(f *testing.F) {
	f.Add([]byte{0x08, 0xac, 0x80, 0x80, 0x80, 0x08, 0x12, 0x07, 'T', 'e', 's', 't', 'n', 'e', 't'})
	f.Add([]byte{0x0a, 0x02, 0x01, 0x02, 0x28, 0x03})
	f.Fuzz(func(t *testing.T, b []byte) {
		req, ok := parseGetAddress(b)
		if ok && len(req.path) > len(b) {
			t.Fatalf("%d path elements from %d bytes", len(req.path), len(b))
		}
	})
}
