// Package serve puts litsigner's emulated devices on the vendors' emulator
// transports, so the vendors' own host libraries (and anything written for
// Speculos or trezor-user-env) can drive them: the emulated Ledger on
// Speculos' APDU TCP protocol (ServeSpeculos, hwwallet/speculos) and the
// emulated Trezor on the Trezor emulator's UDP protocol (ServeUDP). Run is
// the `litsigner emulator` command.
package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/hwwallet/speculos"
)

// TraceFunc receives every APDU a host sent and the reply (data and
// status word) the device gave; reply is nil when the host left before the
// device answered.
type TraceFunc func(cmd, reply []byte)

// ServeSpeculos answers Speculos APDU connections on ln with the emulated
// Ledger until ctx ends (then it closes ln and every connection, waits for
// them, and returns nil) or ln fails. Each connection is a session of its
// own (emulator.Ledger.Session); the device answers one APDU at a time
// across all of them, like the single device Speculos runs. trace and
// logf may be nil; logf reports connections that sent malformed frames.
func ServeSpeculos(ctx context.Context, ln net.Listener, l *emulator.Ledger, trace TraceFunc, logf func(format string, args ...any)) error {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	var (
		wg     sync.WaitGroup
		device sync.Mutex // one APDU at a time
		mu     sync.Mutex
		conns  = make(map[net.Conn]struct{})
	)
	stop := context.AfterFunc(ctx, func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	defer stop()
	defer wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("serve: speculos: accept: %w", err)
		}
		mu.Lock()
		if ctx.Err() != nil {
			mu.Unlock()
			c.Close()
			return nil
		}
		conns[c] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
				c.Close()
			}()
			if err := serveSpeculosConn(c, l, &device, trace); err != nil {
				logf("speculos: %s: %v", c.RemoteAddr(), err)
			}
		}()
	}
}

// serveSpeculosConn runs one connection. A reader goroutine reads commands
// ahead, so that the host leaving is seen even while a prompt is on
// screen (the prompt is then abandoned). It returns nil when the host
// closes the connection between commands.
func serveSpeculosConn(c net.Conn, l *emulator.Ledger, device *sync.Mutex, trace TraceFunc) error {
	gone := make(chan struct{}) // closed by the reader when the host left
	quit := make(chan struct{}) // closed when this function returns
	cmds := make(chan []byte)
	var readErr error // written before gone closes
	go func() {
		defer close(gone)
		for {
			cmd, err := speculos.ReadCommand(c)
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
					readErr = err
				}
				return
			}
			select {
			case cmds <- cmd:
			case <-quit:
				return
			}
		}
	}()
	defer func() {
		// Stop the reader (blocked in a send, or in a read) and wait for it.
		close(quit)
		c.Close()
		<-gone
	}()
	session := l.Session(gone)
	for {
		var cmd []byte
		select {
		case cmd = <-cmds:
		case <-gone:
			return readErr
		}
		device.Lock()
		reply, ok := session.Exchange(cmd)
		device.Unlock()
		if trace != nil {
			trace(cmd, reply)
		}
		if !ok {
			return readErr
		}
		frame, err := speculos.AppendReply(nil, reply)
		if err != nil {
			return err
		}
		if _, err := c.Write(frame); err != nil {
			return nil // the host left
		}
	}
}
