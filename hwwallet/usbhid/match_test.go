package usbhid

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/karalabe/usb"
	"github.com/litsigner/litsigner/hwwallet"
)

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		vid, pid, page uint16
		iface          int
		kind           Kind
		model          string
	}{
		{0x2c97, 0x0000, 0, 0, LedgerHID, "Blue"},
		{0x2c97, 0x0001, 0, 0, LedgerHID, "Nano S"},
		{0x2c97, 0x0004, 0, 0, LedgerHID, "Nano X"},
		{0x2c97, 0x0005, 0, 0, LedgerHID, "Nano S Plus"},
		{0x2c97, 0x0006, 0, 0, LedgerHID, "Stax"},
		{0x2c97, 0x0007, 0, 0, LedgerHID, "Flex"},
		{0x2c97, 0x0008, 0, 0, LedgerHID, "Nano Gen5"},
		{0x2c97, 0x1011, 0, 0, LedgerHID, "Nano S"},
		{0x2c97, 0x4011, 0, 0, LedgerHID, "Nano X"},
		{0x2c97, 0x5011, 0, 0, LedgerHID, "Nano S Plus"},
		{0x2c97, 0x5015, 0, 0, LedgerHID, "Nano S Plus"},
		{0x2c97, 0x6011, 0, 0, LedgerHID, "Stax"},
		{0x2c97, 0x7011, 0, 0, LedgerHID, "Flex"},
		{0x2c97, 0x8011, 0, 0, LedgerHID, "Nano Gen5"},
		{0x2c97, 0x5011, 0xffa0, -1, LedgerHID, "Nano S Plus"}, // macOS: usage page
		{0x2c97, 0x5011, 0xf1d0, 1, 0, ""},                     // U2F interface
		{0x2c97, 0x5011, 0, -1, 0, ""},                         // unknown interface, wrong page
		{0x2c97, 0x0002, 0, 0, 0, ""},                          // not a model
		{0x2c97, 0x9011, 0, 0, 0, ""},
		{0x534c, 0x0001, 0, 0, TrezorHID, "Trezor One"},
		{0x534c, 0x0001, 0xff00, -1, TrezorHID, "Trezor One"},
		{0x534c, 0x0001, 0, 1, 0, ""},
		{0x534c, 0x0002, 0, 0, 0, ""},
		{0x1209, 0x53c1, 0, 0, TrezorWebUSB, ""},
		{0x1209, 0x53c1, 0, 1, 0, ""}, // debug link
		{0x1209, 0x53c0, 0, 0, 0, ""}, // bootloader
		{0x046d, 0xc52b, 0, 0, 0, ""},
	} {
		kind, _, model, ok := Match(tc.vid, tc.pid, tc.page, tc.iface)
		if ok != (tc.kind != 0) || kind != tc.kind || model != tc.model {
			t.Errorf("Match(%04x:%04x page %04x iface %d) = %v %q %v, want %v %q", tc.vid, tc.pid, tc.page, tc.iface, kind, model, ok, tc.kind, tc.model)
		}
	}
}

func TestFromUSB(t *testing.T) {
	devs := fromUSB([]usb.DeviceInfo{
		{Path: "1-3:1.0", VendorID: 0x2c97, ProductID: 0x5011, Interface: 0, Product: "Nano S Plus", Serial: "0001"},
		{Path: "1-3:1.1", VendorID: 0x2c97, ProductID: 0x5011, Interface: 1},
		{Path: "1209:53c1:02", VendorID: 0x1209, ProductID: 0x53c1, Interface: 0},
		{Path: "1-3:1.0", VendorID: 0x2c97, ProductID: 0x5011, Interface: 0, Product: "Nano S Plus", Serial: "0001"},
		{Path: "2-1:1.0", VendorID: 0x534c, ProductID: 0x0001, Interface: 0},
	})
	var ids []string
	for _, d := range devs {
		ids = append(ids, d.Info.ID)
	}
	want := "ledger:1-3:1.0 trezor:1209:53c1:02 trezor:2-1:1.0"
	if got := strings.Join(ids, " "); got != want {
		t.Fatalf("ids %q, want %q", got, want)
	}
	if devs[0].Kind != LedgerHID || devs[0].Info.Model != "Nano S Plus" || devs[0].Info.Serial != "0001" {
		t.Errorf("ledger: %+v", devs[0])
	}
	if devs[1].Kind != TrezorWebUSB || devs[2].Kind != TrezorHID {
		t.Errorf("kinds: %v %v", devs[1].Kind, devs[2].Kind)
	}
}

func TestCheckPlatform(t *testing.T) {
	dir := t.TempDir()
	if err := checkPlatform(false, "linux", dir); !errors.Is(err, hwwallet.ErrUSBUnavailable) {
		t.Errorf("no cgo: %v", err)
	}
	if err := checkPlatform(true, "linux", filepath.Join(dir, "missing")); !errors.Is(err, hwwallet.ErrUSBUnavailable) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("no /dev/bus/usb: %v", err)
	}
	if err := checkPlatform(true, "linux", dir); err != nil {
		t.Errorf("present: %v", err)
	}
	if err := checkPlatform(true, "darwin", filepath.Join(dir, "missing")); err != nil {
		t.Errorf("darwin: %v", err)
	}
}

func TestClassifyErrors(t *testing.T) {
	if err := classifyEnumerateError(errors.New("failed to initialize libusb: libusb: other error [code -99]")); !errors.Is(err, hwwallet.ErrUSBUnavailable) {
		t.Errorf("libusb init: %v", err)
	}
	info := hwwallet.DeviceInfo{Vendor: hwwallet.VendorLedger, Model: "Nano X"}
	withStrings := info
	withStrings.Product, withStrings.Serial = "Nano X", "0001"
	for _, tc := range []struct {
		err  string
		info hwwallet.DeviceInfo
		want error
	}{
		{"hidapi: failed to open device", info, hwwallet.ErrNoPermission},
		{"failed to open device: libusb: access denied [code -3]", withStrings, hwwallet.ErrNoPermission},
		{"hidapi: failed to open device", withStrings, hwwallet.ErrBusy},
		{"failed to claim interface: libusb: resource busy [code -6]", withStrings, hwwallet.ErrBusy},
		{"failed to open device: not found", withStrings, hwwallet.ErrNoDevice},
	} {
		err := classifyOpenError(errors.New(tc.err), tc.info)
		if !errors.Is(err, tc.want) {
			t.Errorf("%q: %v, want %v", tc.err, err, tc.want)
		}
	}
	err := classifyOpenError(errors.New("hidapi: failed to open device"), info)
	if !strings.Contains(err.Error(), UdevRulesPath) && strings.Contains(PermissionHint(), "udev") {
		t.Errorf("permission error does not name the rules file: %v", err)
	}
}
