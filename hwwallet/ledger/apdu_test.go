package ledger

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/internal/vectors"
)

func mustPath(t testing.TB, s string) accounts.DerivationPath {
	t.Helper()
	p, err := accounts.ParseDerivationPath(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPublishedAPDUs checks SIGN_PERSONAL_MESSAGE bytes against recorded
// exchanges (ledgerjs hw-app-eth replay; hwwallet/PROTOCOL.md §3) and the first HID
// report against the framing (01 01 05 00 00, length, APDU, zero padding).
func TestPublishedAPDUs(t *testing.T) {
	v, err := vectors.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(v.LedgerAPDUs) == 0 {
		t.Fatal("no APDU vectors")
	}
	for _, tc := range v.LedgerAPDUs {
		t.Run(tc.Path+" "+tc.Message, func(t *testing.T) {
			apdus, err := signPersonalAPDUs(mustPath(t, tc.Path), []byte(tc.Message))
			if err != nil {
				t.Fatal(err)
			}
			if len(apdus) != 1 {
				t.Fatalf("%d APDUs, want 1", len(apdus))
			}
			if got := hex.EncodeToString(apdus[0]); got != tc.APDU {
				t.Fatalf("APDU\n got %s\nwant %s", got, tc.APDU)
			}
			if tc.HIDFramePrefix == "" {
				return
			}
			reports, err := frameAPDU(apdus[0])
			if err != nil {
				t.Fatal(err)
			}
			want, _ := hex.DecodeString(tc.HIDFramePrefix)
			want = append(want, byte(len(apdus[0])>>8), byte(len(apdus[0])))
			want = append(want, apdus[0]...)
			want = append(want, make([]byte, hwwallet.ReportSize-len(want))...)
			if len(reports) != 1 || !bytes.Equal(reports[0], want) {
				t.Fatalf("first report\n got %x\nwant %x", reports[0], want)
			}
		})
	}
}

func TestSignChunking(t *testing.T) {
	path := mustPath(t, "m/44'/60'/0'/0/0")
	for _, tc := range []struct {
		msgLen, apdus, firstMsgBytes int
	}{
		{0, 1, 0},
		{1, 1, 1},
		{125, 1, 125}, // 150 - 1 - 20 - 4
		{126, 2, 125},
		{125 + 150, 2, 125},
		{125 + 151, 3, 125},
		{MaxMessageLen, 1 + (MaxMessageLen-125+149)/150, 125},
	} {
		msg := bytes.Repeat([]byte{'a'}, tc.msgLen)
		apdus, err := signPersonalAPDUs(path, msg)
		if err != nil {
			t.Fatal(err)
		}
		if len(apdus) != tc.apdus {
			t.Errorf("len %d: %d APDUs, want %d", tc.msgLen, len(apdus), tc.apdus)
			continue
		}
		var got []byte
		for i, a := range apdus {
			p1 := byte(0x80)
			if i == 0 {
				p1 = 0
			}
			if a[0] != 0xE0 || a[1] != 0x08 || a[2] != p1 || a[3] != 0 || int(a[4]) != len(a)-5 || len(a)-5 > 150 {
				t.Fatalf("len %d: APDU %d header % x", tc.msgLen, i, a[:5])
			}
			if i == 0 {
				if n := len(a) - 5 - 25; n != tc.firstMsgBytes {
					t.Errorf("len %d: first APDU carries %d message bytes, want %d", tc.msgLen, n, tc.firstMsgBytes)
				}
				got = append(got, a[5+25:]...)
			} else {
				got = append(got, a[5:]...)
			}
		}
		if !bytes.Equal(got, msg) {
			t.Errorf("len %d: message not reassembled", tc.msgLen)
		}
	}
}

func TestBadRequests(t *testing.T) {
	long := make(accounts.DerivationPath, 11)
	for _, tc := range []struct {
		name string
		path accounts.DerivationPath
		msg  []byte
	}{
		{"empty path", accounts.DerivationPath{}, []byte("x")},
		{"path too long", long, []byte("x")},
		{"message too long", mustPath(t, "m/44'/60'/0'/0/0"), make([]byte, MaxMessageLen+1)},
	} {
		if _, err := signPersonalAPDUs(tc.path, tc.msg); !errors.Is(err, hwwallet.ErrBadRequest) {
			t.Errorf("%s: %v, want ErrBadRequest", tc.name, err)
		}
	}
}

func TestFrameRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 57, 58, 116, 117, 260, 1000, 65535} {
		in := bytes.Repeat([]byte{0x5a}, n)
		reports, err := frameAPDU(in)
		if err != nil {
			t.Fatal(err)
		}
		wantReports := 1
		if n > 57 {
			wantReports = 1 + (n-57+58)/59
		}
		if len(reports) != wantReports {
			t.Errorf("%d bytes: %d reports, want %d", n, len(reports), wantReports)
		}
		out, err := unframe(reports)
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if !bytes.Equal(in, out) {
			t.Errorf("%d bytes: round trip differs", n)
		}
	}
	if _, err := frameAPDU(make([]byte, 65536)); !errors.Is(err, hwwallet.ErrBadRequest) {
		t.Errorf("oversized APDU: %v", err)
	}
}

func TestUnframeRejects(t *testing.T) {
	good, _ := frameAPDU(bytes.Repeat([]byte{1}, 100))
	mutate := func(i, at int, b byte) [][]byte {
		out := make([][]byte, len(good))
		for j := range good {
			out[j] = append([]byte(nil), good[j]...)
		}
		out[i][at] = b
		return out
	}
	for name, reports := range map[string][][]byte{
		"channel":   mutate(0, 0, 0x00),
		"tag":       mutate(0, 2, 0x02),
		"sequence":  mutate(1, 4, 0x05),
		"truncated": good[:1],
		"short":     {good[0][:5]},
		"trailing":  append(append([][]byte{}, good...), good[0]),
	} {
		if _, err := unframe(reports); !errors.Is(err, hwwallet.ErrBadReply) {
			t.Errorf("%s: %v, want ErrBadReply", name, err)
		}
	}
}

func TestStatusWords(t *testing.T) {
	for _, tc := range []struct {
		sw   uint16
		want error
	}{
		{0x6985, hwwallet.ErrUserRejected},
		{0x5515, hwwallet.ErrLocked},
		{0x6982, hwwallet.ErrLocked},
		{0x6E00, hwwallet.ErrAppNotOpen},
		{0x6E01, hwwallet.ErrAppNotOpen},
		{0x6D00, hwwallet.ErrAppNotOpen},
		{0x6511, hwwallet.ErrAppNotOpen},
		{0x6901, hwwallet.ErrBusy},
		{0x6980, hwwallet.ErrBusy},
		{0x6A80, hwwallet.ErrBadRequest},
		{0x6A84, hwwallet.ErrBadRequest},
		{0x6B00, hwwallet.ErrBadRequest},
	} {
		err := checkStatus(tc.sw)
		if !errors.Is(err, tc.want) {
			t.Errorf("0x%04X: %v, want %v", tc.sw, err, tc.want)
		}
		var se *StatusError
		if !errors.As(err, &se) || se.SW != tc.sw {
			t.Errorf("0x%04X: not a *StatusError with that SW", tc.sw)
		}
	}
	if err := checkStatus(0x9000); err != nil {
		t.Errorf("0x9000: %v", err)
	}
	if err := checkStatus(0x1234); err == nil || errors.Unwrap(err) != nil {
		t.Errorf("unknown status: %v", err)
	}
}

func TestParseReplies(t *testing.T) {
	if _, _, err := parseAppAndVersion([]byte{1, 8, 'E', 't', 'h', 'e', 'r', 'e', 'u', 'm', 5, '1', '.', '2', '.', '3', 1, 0}); err != nil {
		t.Error(err)
	}
	for name, data := range map[string][]byte{
		"empty":     nil,
		"format":    {2, 1, 'a', 1, '1'},
		"name long": {1, 9, 'a'},
		"no ver":    {1, 1, 'a'},
		"ver long":  {1, 1, 'a', 4, '1'},
	} {
		if _, _, err := parseAppAndVersion(data); !errors.Is(err, hwwallet.ErrBadReply) {
			t.Errorf("app and version %s: %v", name, err)
		}
	}
	if _, err := parseAppConfiguration([]byte{0, 1, 2}); !errors.Is(err, hwwallet.ErrBadReply) {
		t.Errorf("short configuration: %v", err)
	}
	if _, err := parseSignature(make([]byte, 64)); !errors.Is(err, hwwallet.ErrBadReply) {
		t.Errorf("short signature: %v", err)
	}
	sig := make([]byte, 65)
	sig[0] = 29
	if _, err := parseSignature(sig); !errors.Is(err, hwwallet.ErrBadReply) {
		t.Errorf("v=29: %v", err)
	}
	for name, data := range map[string][]byte{
		"empty":     nil,
		"no key":    {65},
		"bad key":   append([]byte{65}, make([]byte, 66)...),
		"short len": {64, 4},
	} {
		if _, err := parseAddress(data); !errors.Is(err, hwwallet.ErrBadReply) {
			t.Errorf("address %s: %v", name, err)
		}
	}
}
