package walletcli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/litsigner/litsigner/hwwallet"
)

// terminalPrompter asks the Trezor PIN (matrix positions) and passphrase
// on the terminal.
type terminalPrompter struct {
	in  io.Reader
	out io.Writer
	r   *bufio.Reader
}

// readLine reads one line, giving up (but not stopping the read) when ctx
// ends: the process exits soon after in the CLI.
func (p *terminalPrompter) readLine(ctx context.Context) (string, error) {
	if p.in == nil {
		return "", errors.New("no terminal to ask on")
	}
	if p.r == nil {
		p.r = bufio.NewReader(p.in)
	}
	type result struct {
		s   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		s, err := p.r.ReadString('\n')
		if err == io.EOF && s != "" {
			err = nil
		}
		ch <- result{strings.TrimRight(s, "\r\n"), err}
	}()
	select {
	case r := <-ch:
		return r.s, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// PIN implements hwwallet.Prompter.
func (p *terminalPrompter) PIN(ctx context.Context, dev hwwallet.DeviceInfo) (string, error) {
	fmt.Fprintf(p.out, "Enter the PIN of %s %s: type the positions of your digits in the matrix the device shows,\nusing the keypad layout\n  7 8 9\n  4 5 6\n  1 2 3\nPIN positions: ", dev.Vendor, dev.Model)
	s, err := p.readLine(ctx)
	if err != nil {
		return "", fmt.Errorf("read PIN: %v: %w", err, hwwallet.ErrPINNeeded)
	}
	return strings.TrimSpace(s), nil
}

// Passphrase implements hwwallet.Prompter. An empty line with
// canEnterOnDevice chooses entry on the device.
func (p *terminalPrompter) Passphrase(ctx context.Context, dev hwwallet.DeviceInfo, canEnterOnDevice bool) (string, bool, error) {
	if canEnterOnDevice {
		fmt.Fprint(p.out, "Passphrase (shown as you type; empty line = enter it on the device): ")
	} else {
		fmt.Fprint(p.out, "Passphrase (shown as you type; empty line = no passphrase): ")
	}
	s, err := p.readLine(ctx)
	if err != nil {
		return "", false, fmt.Errorf("read passphrase: %w", err)
	}
	if s == "" && canEnterOnDevice {
		return "", true, nil
	}
	return s, false, nil
}

// PairingCode implements hwwallet.PairingPrompter: the 6-digit code a
// Trezor Safe 7 shows the first time it meets this computer, one line.
func (p *terminalPrompter) PairingCode(ctx context.Context, dev hwwallet.DeviceInfo) (string, error) {
	name := "Trezor"
	if dev.Model != "" {
		name += " " + strings.TrimPrefix(dev.Model, "Trezor ")
	}
	fmt.Fprintf(p.out, "The %s shows a 6-digit code to pair it with this computer (needed once).\nPairing code: ", name)
	s, err := p.readLine(ctx)
	if err != nil {
		return "", fmt.Errorf("read pairing code: %v: %w", err, hwwallet.ErrPairingNeeded)
	}
	return strings.Join(strings.Fields(s), ""), nil
}
