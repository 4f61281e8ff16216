package hwwallet

import "context"

// ReportSize is the size of one USB report for both vendors' framings.
const ReportSize = 64

// Transport moves fixed-size reports between host and device. The USB
// implementation wraps a karalabe/usb device; the emulator implements it in
// memory, so drivers run the same framing code against both.
type Transport interface {
	// WriteReport sends one report of exactly ReportSize bytes.
	WriteReport(ctx context.Context, report []byte) error
	// ReadReport waits for the next report (ReportSize bytes) or for ctx to
	// end. A device that goes away yields an error wrapping ErrDisconnected.
	ReadReport(ctx context.Context) ([]byte, error)
	// Close releases the transport; pending reads return.
	Close() error
}
