package usbhid

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/litsigner/litsigner/hwwallet"
)

// UdevRulesPath is where the litsigner package installs its udev rules;
// UdevRulesSource is the same file in the source tree.
const (
	UdevRulesPath   = "/usr/lib/udev/rules.d/60-litsigner.rules"
	UdevRulesSource = "packaging/udev/60-litsigner.rules"
)

// usbDevDir is where Linux exposes USB devices to libusb (usbfs).
const usbDevDir = "/dev/bus/usb"

// checkPlatform says plainly why USB cannot be used at all, or returns nil.
// supported is karalabe/usb's Supported() (false without cgo); devDir is
// probed on Linux only.
func checkPlatform(supported bool, goos, devDir string) error {
	if !supported {
		return fmt.Errorf("usbhid: this build has no USB support (built without cgo, or an unsupported platform): %w", hwwallet.ErrUSBUnavailable)
	}
	if goos == "linux" {
		if _, err := os.Stat(devDir); err != nil {
			return fmt.Errorf("usbhid: %s does not exist (no USB bus here; in a container, pass the devices in): %w", devDir, hwwallet.ErrUSBUnavailable)
		}
	}
	return nil
}

// classifyEnumerateError turns a karalabe/usb enumeration error into a
// typed one: a failing libusb_init means no USB at all.
func classifyEnumerateError(err error) error {
	if err == nil {
		return nil
	}
	if strings.Contains(err.Error(), "failed to initialize libusb") {
		return fmt.Errorf("usbhid: %v: %w", err, hwwallet.ErrUSBUnavailable)
	}
	return fmt.Errorf("usbhid: enumerate: %w", err)
}

// PermissionHint is the sentence shown when a device is visible but cannot
// be opened.
func PermissionHint() string {
	if runtime.GOOS != "linux" {
		return "check that no other program (Ledger Live, Trezor Suite, a browser tab) is using the device"
	}
	return fmt.Sprintf("the udev rules are missing: install %s (shipped by the litsigner package; %s in the source tree), run 'sudo udevadm control --reload-rules && sudo udevadm trigger', then replug the device", UdevRulesPath, UdevRulesSource)
}

// libusb error codes as karalabe/usb formats them ("libusb: ... [code N]").
const (
	libusbErrAccess   = "[code -3]"
	libusbErrNoDevice = "[code -4]"
	libusbErrNotFound = "[code -5]"
	libusbErrBusy     = "[code -6]"
)

// classifyOpenError turns an open failure into a typed error. hidapi only
// says "failed to open device"; the enumeration's empty product and serial
// strings (libusb could not open the device to read them) then tell a
// permission problem from a device claimed by another program.
func classifyOpenError(err error, info hwwallet.DeviceInfo) error {
	msg := err.Error()
	name := strings.TrimSpace(string(info.Vendor) + " " + info.Model)
	switch {
	case strings.Contains(msg, libusbErrAccess),
		strings.Contains(msg, "failed to open device") && info.Product == "" && info.Serial == "":
		return fmt.Errorf("usbhid: %s is visible but cannot be opened (%v); %s: %w", name, err, PermissionHint(), hwwallet.ErrNoPermission)
	case strings.Contains(msg, libusbErrNoDevice), strings.Contains(msg, libusbErrNotFound), strings.Contains(msg, "not found"):
		return fmt.Errorf("usbhid: %s went away: %v: %w", name, err, hwwallet.ErrNoDevice)
	case strings.Contains(msg, libusbErrBusy), strings.Contains(msg, "failed to open device"), strings.Contains(msg, "failed to claim interface"):
		return fmt.Errorf("usbhid: %s cannot be opened (%v); close other programs using it (Ledger Live, Trezor Suite, a browser tab): %w", name, err, hwwallet.ErrBusy)
	}
	return fmt.Errorf("usbhid: open %s: %w", name, err)
}

// errClosed is returned by a transport used after Close.
var errClosed = errors.New("usbhid: transport closed")
