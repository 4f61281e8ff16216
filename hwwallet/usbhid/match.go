package usbhid

import (
	"github.com/litsigner/litsigner/hwwallet"
)

// USB vendor and product IDs (hwwallet/PROTOCOL.md §1; go-ethereum
// accounts/usbwallet/hub.go; trezor-firmware common/udev/51-trezor.rules).
const (
	LedgerVendorID       = 0x2c97
	TrezorOneVendorID    = 0x534c // Trezor One with HID firmware
	TrezorOneProductID   = 0x0001
	TrezorWebUSBVendorID = 0x1209 // every WebUSB Trezor (One >= 1.7, T, Safe 3/5)
	TrezorWebUSBProduct  = 0x53c1
	// TrezorWebUSBInEndpoint and TrezorWebUSBOutEndpoint are the interrupt
	// endpoints of the WebUSB wire interface 0.
	TrezorWebUSBInEndpoint  = 0x81
	TrezorWebUSBOutEndpoint = 0x01
)

// Kind is how a device is reached.
type Kind int

// The device kinds.
const (
	// LedgerHID is a Ledger's HID interface 0 (APDU framing).
	LedgerHID Kind = iota + 1
	// TrezorHID is a Trezor One with HID firmware (codec v1 over HID reports).
	TrezorHID
	// TrezorWebUSB is a WebUSB Trezor's raw interface 0 (codec v1 over
	// interrupt transfers on endpoints 0x01/0x81).
	TrezorWebUSB
)

// Ledger product IDs. Old firmware uses one PID per model (ledgerLegacyPIDs);
// current firmware uses 0xMMII, MM the model (ledgerModelPrefixes) and II a
// bitmap of the interfaces exposed (0x5011 = Nano S Plus with HID+U2F...).
// Sources: go-ethereum accounts/usbwallet/hub.go NewLedgerHub, ledgerjs
// devices/src/index.ts (legacyUsbProductId, productIdMM); hwwallet/PROTOCOL.md §1.
var ledgerLegacyPIDs = map[uint16]string{
	0x0000: "Blue",
	0x0001: "Nano S",
	0x0004: "Nano X",
	0x0005: "Nano S Plus",
	0x0006: "Stax",
	0x0007: "Flex",
	0x0008: "Nano Gen5",
}

var ledgerModelPrefixes = map[byte]string{
	0x10: "Nano S",
	0x40: "Nano X",
	0x50: "Nano S Plus",
	0x60: "Stax",
	0x70: "Flex",
	0x80: "Nano Gen5",
}

// LedgerModel names the Ledger model of a product ID.
func LedgerModel(productID uint16) (string, bool) {
	if name, ok := ledgerLegacyPIDs[productID]; ok {
		return name, true
	}
	name, ok := ledgerModelPrefixes[byte(productID>>8)]
	return name, ok
}

// Match classifies a USB interface. usagePage is only meaningful on macOS
// and Windows (0 on Linux/libusb, where the interface number decides);
// interface is -1 where the platform does not know it. ok is false for
// anything that is not a supported hardware wallet's signing interface.
func Match(vendorID, productID, usagePage uint16, iface int) (kind Kind, vendor hwwallet.Vendor, model string, ok bool) {
	switch vendorID {
	case LedgerVendorID:
		name, known := LedgerModel(productID)
		if !known {
			return 0, "", "", false
		}
		// Interface 0 is the APDU HID interface (others are U2F/WebUSB);
		// usage page 0xffa0 identifies it where interfaces are unknown.
		if iface != 0 && !(iface < 0 && usagePage == 0xffa0) {
			return 0, "", "", false
		}
		return LedgerHID, hwwallet.VendorLedger, name, true
	case TrezorOneVendorID:
		if productID != TrezorOneProductID || (iface != 0 && !(iface < 0 && usagePage == 0xff00)) {
			return 0, "", "", false
		}
		return TrezorHID, hwwallet.VendorTrezor, "Trezor One", true
	case TrezorWebUSBVendorID:
		if productID != TrezorWebUSBProduct || iface != 0 {
			return 0, "", "", false
		}
		// The model is only known once the device answers Features.
		return TrezorWebUSB, hwwallet.VendorTrezor, "", true
	}
	return 0, "", "", false
}
