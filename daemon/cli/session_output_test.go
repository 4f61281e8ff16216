package cli

import (
	"strings"
	"testing"

	"github.com/litsigner/litsigner/daemon/rpcapi"
)

// TestPrintSessionPairing: an approval waiting for a pairing code says
// which command answers it (notifications may be off).
func TestPrintSessionPairing(t *testing.T) {
	var b strings.Builder
	printSession(&b, rpcapi.SessionStatus{State: "pairing", Device: "trezor:1", Hint: "enter the code shown on the device with: litsigner wallet pair CODE"})
	if got := b.String(); !strings.Contains(got, "pairing code of trezor:1") || !strings.Contains(got, "litsigner wallet pair CODE") {
		t.Fatalf("status text:\n%s", got)
	}
}
