package serve

import (
	"context"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/trezor"
	"github.com/litsigner/litsigner/hwwallet/trezorudp"
)

// TestRunLedgerRefusesTrezorModels: --model names a Trezor model; the
// ledger emulator has one model and says which models exist.
func TestRunLedgerRefusesTrezorModels(t *testing.T) {
	err := Run(context.Background(), []string{"ledger", "--model", "safe7", "--port", "0"}, Env{Stdout: io.Discard, Stderr: io.Discard})
	if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "Nano S Plus") || !strings.Contains(err.Error(), "safe7") {
		t.Fatalf("ledger --model safe7: %v", err)
	}
}

// TestListenNetwork: an IP literal is listened on in its own family, so
// 0.0.0.0 announces 0.0.0.0:PORT, not [::]:PORT.
func TestListenNetwork(t *testing.T) {
	for _, c := range []struct{ host, want string }{
		{"0.0.0.0", "udp4"},
		{"127.0.0.1", "udp4"},
		{"::", "udp6"},
		{"::1", "udp6"},
		{"localhost", "udp"},
	} {
		if got := network("udp", c.host); got != c.want {
			t.Errorf("network(udp, %s) = %s, want %s", c.host, got, c.want)
		}
	}
	if a := runCommand(t, "ledger", "--host", "::1", "--port", "0"); !strings.HasPrefix(a.Address, "[::1]:") {
		t.Errorf("--host ::1 announced %s", a.Address)
	}
}

// matrixReader answers the PIN matrix with the positions the emulator's
// screen line gives for its PIN.
type matrixReader struct {
	stderr *lockedBuilder
	asked  int
}

var unlockLine = regexp.MustCompile(`\[PIN 1234: litsigner wallet unlock ([1-9]{4})\]`)

func (m *matrixReader) PIN(ctx context.Context, _ hwwallet.DeviceInfo) (string, error) {
	m.asked++
	for ctx.Err() == nil {
		if all := unlockLine.FindAllStringSubmatch(m.stderr.String(), -1); len(all) == m.asked {
			return all[len(all)-1][1], nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return "", ctx.Err()
}

func (m *matrixReader) Passphrase(context.Context, hwwallet.DeviceInfo, bool) (string, bool, error) {
	return "", false, nil
}

// TestRunLockedTrezorOne: --locked on a Trezor One sets PIN 1234 (it
// locks only with a PIN), so the host gets the PIN matrix.
func TestRunLockedTrezorOne(t *testing.T) {
	a, stderr := runCommandStderr(t, "trezor", "--model", "1", "--locked", "--port", "0")
	if !strings.Contains(stderr.String(), "locked with PIN 1234") {
		t.Fatalf("stderr does not name the PIN:\n%s", stderr.String())
	}
	c, err := trezorudp.Dial(ctxFor(t, 5*time.Second), a.Address)
	if err != nil {
		t.Fatal(err)
	}
	m := &matrixReader{stderr: stderr}
	d, err := trezor.OpenContext(ctxFor(t, 5*time.Second), c, hwwallet.DeviceInfo{ID: "trezor-udp:" + a.Address}, m)
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Address(ctxFor(t, 5*time.Second), hwwallet.DefaultPath); err != nil || m.asked != 1 {
		t.Fatalf("address: %v after %d PIN prompts, want 1", err, m.asked)
	}
}
