//go:build !((freebsd && cgo) || (linux && cgo) || (darwin && !ios && cgo) || (windows && cgo))

package usbhid

import (
	"fmt"

	"github.com/litsigner/litsigner/hwwallet"
)

func openPort(d Device) (port, error) {
	return nil, fmt.Errorf("usbhid: open %s: built without cgo: %w", d.Info.ID, hwwallet.ErrUSBUnavailable)
}
