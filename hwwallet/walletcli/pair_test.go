package walletcli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/litsigner/litsigner/hwwallet/trezor/thpstore"
)

// typist reads the emulated Safe 7's screen on stderr and types the
// pairing code it shows (or wrong, when set) on stdin, as a user would.
type typist struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	in    *io.PipeWriter
	wrong bool // type the code with its first digit off
	typed int
}

var codeOnScreen = regexp.MustCompile(`Pairing code:\n(\d{6})\n`)

func (ty *typist) Write(p []byte) (int, error) {
	ty.mu.Lock()
	defer ty.mu.Unlock()
	ty.buf.Write(p)
	if m := codeOnScreen.FindAllStringSubmatch(ty.buf.String(), -1); len(m) > ty.typed {
		code := m[ty.typed][1]
		if ty.wrong {
			code = string('0'+(code[0]-'0'+1)%10) + code[1:] // one digit off
		}
		ty.typed++
		go io.WriteString(ty.in, code+"\n") // the reader is the prompter, which may not be reading yet
	}
	return len(p), nil
}

func (ty *typist) String() string {
	ty.mu.Lock()
	defer ty.mu.Unlock()
	return ty.buf.String()
}

// runTyping runs the CLI with a typist at the terminal and state in dir.
func runTyping(t *testing.T, dir string, wrong bool, args ...string) (int, string, *typist) {
	t.Helper()
	r, w := io.Pipe()
	defer w.Close()
	ty := &typist{in: w, wrong: wrong}
	var out bytes.Buffer
	env := map[string]string{"XDG_STATE_HOME": dir}
	code := Run(context.Background(), args, Env{Stdin: r, Stdout: &out, Stderr: ty, Getenv: func(k string) string { return env[k] }, NoUSB: true})
	return code, out.String(), ty
}

func TestSafe7PairOnFirstUseThenConnect(t *testing.T) {
	dir := t.TempDir()
	code, out, ty := runTyping(t, dir, false, "sign-message", "--device", "emulator:trezor-safe7", "--message", "hello")
	if code != ExitOK || !strings.Contains(out, "signature: 0x") || ty.typed != 1 {
		t.Fatalf("first use: exit %d, typed %d\n%s\n%s", code, ty.typed, out, ty)
	}
	if !strings.Contains(ty.String(), "Pairing code: ") {
		t.Fatalf("the code was not asked for:\n%s", ty)
	}
	fi, err := os.Stat(filepath.Join(dir, "litsigner", thpstore.FileName))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("pairing file: %v %v", fi, err)
	}
	code, out, ty = runTyping(t, dir, false, "accounts", "--device", "emulator:trezor-safe7", "--count", "1")
	if code != ExitOK || ty.typed != 0 || !strings.Contains(out, "0x") {
		t.Fatalf("second use: exit %d, typed %d\n%s\n%s", code, ty.typed, out, ty)
	}
	// 'wallet pair' pairs again (a new code) even though a pairing exists.
	code, out, ty = runTyping(t, dir, false, "pair", "--device", "emulator:trezor-safe7")
	if code != ExitOK || ty.typed != 1 || !strings.Contains(out, "paired with emulator:trezor-safe7") {
		t.Fatalf("pair: exit %d, typed %d\n%s\n%s", code, ty.typed, out, ty)
	}
	code, out, _ = runTyping(t, dir, false, "forget")
	if code != ExitOK || !strings.Contains(out, "forgot") {
		t.Fatalf("forget: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "litsigner", thpstore.FileName)); !os.IsNotExist(err) {
		t.Fatalf("pairing file after forget: %v", err)
	}
	if code, out, _ = runTyping(t, dir, false, "forget"); code != ExitOK || !strings.Contains(out, "no Trezor pairing") {
		t.Fatalf("forget again: exit %d\n%s", code, out)
	}
}

func TestSafe7WrongCode(t *testing.T) {
	dir := t.TempDir()
	code, _, ty := runTyping(t, dir, true, "accounts", "--device", "emulator:trezor-safe7", "--count", "1")
	if code != ExitDevice || !strings.Contains(ty.String(), "pairing failed") {
		t.Fatalf("wrong code: exit %d\n%s", code, ty)
	}
}

func TestPairNeedsATHPDevice(t *testing.T) {
	code, _, ty := runTyping(t, t.TempDir(), false, "pair", "--device", "emulator:trezor")
	if code != ExitUsage || !strings.Contains(ty.String(), "does not use pairing") {
		t.Fatalf("pair a codec v1 Trezor: exit %d\n%s", code, ty)
	}
}
