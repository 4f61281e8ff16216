package thp

import (
	"context"

	"github.com/litsigner/litsigner/hwwallet"
)

// Reports adapts a hwwallet.Transport (USB, the emulator's pipe, UDP) to
// a PacketTransport: a THP packet is one 64-byte report.
func Reports(t hwwallet.Transport) PacketTransport { return reports{t} }

type reports struct{ t hwwallet.Transport }

func (r reports) ReadPacket(ctx context.Context) ([]byte, error) { return r.t.ReadReport(ctx) }

func (r reports) WritePacket(ctx context.Context, p []byte) error { return r.t.WriteReport(ctx, p) }
