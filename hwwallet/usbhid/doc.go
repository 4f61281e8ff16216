// Package usbhid finds hardware wallets on USB and talks to them through
// github.com/karalabe/usb (which bundles hidapi and libusb):
//
//   - Match and Enumerate: Ledger HID interface 0 (vendor 0x2c97, every
//     model of go-ethereum's table, legacy and 0xMMII product IDs), Trezor
//     One HID (0x534c:0x0001) and WebUSB Trezors (0x1209:0x53c1, raw
//     interface 0, endpoints 0x01/0x81).
//   - Open: a hwwallet.Transport of 64-byte reports. One reader goroutine
//     per open device polls with a 100 ms timeout (hidapi's
//     hid_read_timeout, or a libusb interrupt transfer for WebUSB, both
//     reached below karalabe/usb, whose own reads cannot time out), so Close
//     can stop it before closing the device: closing while a read is
//     blocked inside hidapi would free memory the reader still uses.
//   - Poller: discovery by enumeration on demand (no goroutine, so lists
//     follow plug and unplug at once), paused while a device waits for its
//     user: enumerating then could break a Ledger's pending confirmation.
//   - Errors: ErrUSBUnavailable when the machine has no USB (no
//     /dev/bus/usb, libusb cannot start, no cgo); ErrNoPermission, naming the
//     udev rules file to install, when a device is visible but cannot be
//     opened; ErrBusy when another program holds it.
package usbhid
