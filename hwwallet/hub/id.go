package hub

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/litsigner/litsigner/hwwallet"
)

// ErrBadDeviceID is wrapped by CheckID's errors: the ID is not one Open
// could ever open, whatever is plugged in.
var ErrBadDeviceID = errors.New("invalid device ID")

// CheckID reports whether id is well formed: an ID of Devices
// ("ledger:...", "trezor:..."), an emulator ID, or speculos:HOST:PORT /
// trezor-udp:HOST:PORT with a port number. It does not look for the
// device; a command line checks with it to tell a typo from an absent
// device.
func CheckID(id string) error {
	switch {
	case IsNetworkID(id):
		prefix, _, addr := splitNetworkID(id)
		host, port, err := net.SplitHostPort(addr)
		if err != nil || host == "" {
			return fmt.Errorf("%w %q: want %sHOST:PORT", ErrBadDeviceID, id, prefix)
		}
		if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
			return fmt.Errorf("%w %q: port %q is not a port number (1-65535)", ErrBadDeviceID, id, port)
		}
		return nil
	case id == EmulatorLedgerID || id == EmulatorTrezorID || id == EmulatorTrezorSafe7ID:
		return nil
	case strings.HasPrefix(id, string(hwwallet.VendorLedger)+":") && len(id) > len(hwwallet.VendorLedger)+1,
		strings.HasPrefix(id, string(hwwallet.VendorTrezor)+":") && len(id) > len(hwwallet.VendorTrezor)+1:
		return nil
	}
	return fmt.Errorf("%w %q: want an ID from 'litsigner wallet list' (ledger:..., trezor:...), %s, %s, %s, %sHOST:PORT or %sHOST:PORT",
		ErrBadDeviceID, id, EmulatorLedgerID, EmulatorTrezorID, EmulatorTrezorSafe7ID, SpeculosPrefix, TrezorUDPPrefix)
}
