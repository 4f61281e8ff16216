package usbhid

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"slices"

	"github.com/karalabe/usb"
	"github.com/litsigner/litsigner/hwwallet"
)

// Device is one hardware-wallet interface found on USB.
type Device struct {
	// Info is what the hub lists; Info.ID is "ledger:<path>" or
	// "trezor:<path>".
	Info hwwallet.DeviceInfo
	// Kind says which transport opens it.
	Kind Kind
	usb  usb.DeviceInfo
}

// Available reports why USB cannot be used on this machine (an error
// wrapping hwwallet.ErrUSBUnavailable), or nil.
func Available() error {
	return checkPlatform(usb.Supported(), runtime.GOOS, usbDevDir)
}

// Enumerate lists the supported hardware wallets on USB: Ledger HID
// interfaces (vendor 0x2c97), Trezor One HID (0x534c:0x0001) and WebUSB
// Trezors (0x1209:0x53c1, raw interface 0). On Linux, enumerating opens each
// device briefly to read its strings: do not enumerate while a device waits
// for the user (the Poller pauses for that).
func Enumerate(ctx context.Context) ([]Device, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Raw first: it is the call that reports a failing libusb_init (hidapi's
	// enumeration silently returns nothing then).
	raws, err := usb.EnumerateRaw(TrezorWebUSBVendorID, TrezorWebUSBProduct)
	if err != nil {
		return nil, classifyEnumerateError(err)
	}
	ledgers, err := usb.EnumerateHid(LedgerVendorID, 0)
	if err != nil {
		return nil, classifyEnumerateError(err)
	}
	ones, err := usb.EnumerateHid(TrezorOneVendorID, TrezorOneProductID)
	if err != nil {
		return nil, classifyEnumerateError(err)
	}
	all := append(append(raws, ledgers...), ones...)
	return fromUSB(all), nil
}

// fromUSB keeps the supported interfaces, names them, sorts by ID and drops
// duplicates (hidapi lists a device once per usage on some platforms).
func fromUSB(infos []usb.DeviceInfo) []Device {
	var out []Device
	for _, u := range infos {
		kind, vendor, model, ok := Match(u.VendorID, u.ProductID, u.UsagePage, u.Interface)
		if !ok {
			continue
		}
		out = append(out, Device{
			Info: hwwallet.DeviceInfo{
				ID:      fmt.Sprintf("%s:%s", vendor, u.Path),
				Vendor:  vendor,
				Model:   model,
				Product: u.Product,
				Serial:  u.Serial,
			},
			Kind: kind,
			usb:  u,
		})
	}
	slices.SortFunc(out, func(a, b Device) int { return cmp.Compare(a.Info.ID, b.Info.ID) })
	return slices.CompactFunc(out, func(a, b Device) bool { return a.Info.ID == b.Info.ID })
}

// Find enumerates and returns the device with the given ID, or an error
// wrapping hwwallet.ErrNoDevice.
func Find(ctx context.Context, id string) (Device, error) {
	devs, err := Enumerate(ctx)
	if err != nil {
		return Device{}, err
	}
	for _, d := range devs {
		if d.Info.ID == id {
			return d, nil
		}
	}
	return Device{}, fmt.Errorf("usbhid: %q is not plugged in (see 'litsigner wallet list'): %w", id, hwwallet.ErrNoDevice)
}

// Infos returns the DeviceInfo of each device.
func Infos(devs []Device) []hwwallet.DeviceInfo {
	out := make([]hwwallet.DeviceInfo, len(devs))
	for i, d := range devs {
		out[i] = d.Info
	}
	return out
}
