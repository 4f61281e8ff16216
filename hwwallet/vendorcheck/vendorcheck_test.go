package vendorcheck

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/hwwallet/emulator/serve"
	"github.com/litsigner/litsigner/hwwallet/internal/vectors"
	"github.com/litsigner/litsigner/hwwallet/ledger"
	"github.com/litsigner/litsigner/hwwallet/speculos"
)

// vectorFile is the repository's hardware-wallet vector file,
// the one package vectors embeds.
const vectorFile = "../internal/vectors/testdata/hwwallet.json"

// The exact library versions the check is about (package.json pins them).
var wantLibraries = map[string]map[string]string{
	"ledger": {"@ledgerhq/hw-app-eth": "7.9.0", "@ledgerhq/hw-transport-node-speculos": "6.34.7"},
	"trezor": {"@trezor/connect": "9.7.3", "@trezor/transport": "1.6.3"},
}

// result is what check.mjs prints.
type result struct {
	Device     string                           `json:"device"`
	Library    map[string]string                `json:"library"`
	AppConfig  *struct{ Version string }        `json:"appConfiguration"`
	Addresses  []struct{ Path, Address string } `json:"addresses"`
	Signatures []struct {
		Path       string `json:"path"`
		MessageHex string `json:"messageHex"`
		Signature  string `json:"signature"`
	} `json:"signatures"`
	Rejected *struct {
		Name       string `json:"name"`
		Message    string `json:"message"`
		StatusCode int    `json:"statusCode"`
		Code       string `json:"code"`
	} `json:"rejected"`
	Blocked           []string `json:"blocked"`
	Events            []string `json:"events"`
	PairingCodesTyped int      `json:"pairingCodesTyped"`
	Reconnect         bool     `json:"reconnect"`
	Offline           []string `json:"offline"`
	Error             any      `json:"error"`
}

// emulatorRun is one `litsigner emulator` running in-process.
type emulatorRun struct {
	addr   string
	codes  chan string // pairing codes the emulated Safe 7 printed
	stderr *syncBuffer // the emulator's screen

	mu    sync.Mutex
	apdus [][]byte // every command APDU the emulated Ledger received
}

func (e *emulatorRun) commands() [][]byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([][]byte(nil), e.apdus...)
}

// startEmulator runs serve.Run (the `litsigner emulator` command) with
// args plus --port 0, reads its JSON line and stops it at cleanup.
func startEmulator(t *testing.T, device string, args ...string) *emulatorRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	run := &emulatorRun{codes: make(chan string, 8)}
	var stderr syncBuffer
	run.stderr = &stderr
	done := make(chan error, 1)
	go func() {
		err := serve.Run(ctx, append([]string{device, "--port", "0"}, args...), serve.Env{
			Stdout: pw,
			Stderr: &stderr,
			Trace: func(cmd, _ []byte) {
				run.mu.Lock()
				run.apdus = append(run.apdus, append([]byte(nil), cmd...))
				run.mu.Unlock()
			},
		})
		pw.CloseWithError(fmt.Errorf("emulator stopped: %v", err))
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("litsigner emulator %s: %v", device, err)
		}
		if t.Failed() {
			t.Logf("emulator stderr:\n%s", stderr.String())
		}
	})
	rd := bufio.NewReader(pr)
	line, err := rd.ReadString('\n')
	if err != nil {
		t.Fatalf("litsigner emulator %s: no JSON line: %v", device, err)
	}
	go func() { // later lines: the pairing codes a Safe 7 shows
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				return
			}
			var pc serve.PairingCode
			if json.Unmarshal([]byte(line), &pc) == nil && pc.Code != "" {
				run.codes <- pc.Code
			}
		}
	}()
	var ann serve.Announcement
	if err := json.Unmarshal([]byte(line), &ann); err != nil {
		t.Fatalf("litsigner emulator %s: bad JSON line %q: %v", device, line, err)
	}
	wantTransport := map[string]string{"ledger": "speculos-apdu", "trezor": "udp"}[device]
	if ann.Device != device || ann.Transport != wantTransport || !strings.HasPrefix(ann.Address, "127.0.0.1:") || strings.HasSuffix(ann.Address, ":0") {
		t.Fatalf("litsigner emulator %s announced %+v", device, ann)
	}
	run.addr = ann.Address
	return run
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runCheck runs check.mjs and returns its parsed output; any failure ends
// the test with the script's stderr.
func runCheck(t *testing.T, node, device, addr, mnemonic string, extra ...string) result {
	t.Helper()
	return runCheckStdin(t, node, device, addr, mnemonic, nil, extra...)
}

// runCheckStdin is runCheck with a feeder of the script's standard input,
// which runs until its context ends (the script exited).
func runCheckStdin(t *testing.T, node, device, addr, mnemonic string, stdin func(context.Context, io.Writer), extra ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"check.mjs", device, "--address", addr, "--vectors", vectorFile, "--mnemonic", mnemonic}, extra...)
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := func() error {
		if stdin == nil {
			return cmd.Run()
		}
		in, err := cmd.StdinPipe()
		if err != nil {
			return err
		}
		if err := cmd.Start(); err != nil {
			return err
		}
		fctx, stop := context.WithCancel(ctx)
		fed := make(chan struct{})
		go func() { defer close(fed); stdin(fctx, in) }()
		err = cmd.Wait()
		stop()
		<-fed
		return err
	}()
	var res result
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil || runErr != nil || res.Error != nil {
		t.Fatalf("node %s: %v (output: %v)\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), runErr, err, stdout.String(), stderr.String())
	}
	for lib, v := range wantLibraries[device] {
		if res.Library[lib] != v {
			t.Errorf("%s is %q, want %s (run npm ci in hwwallet/vendorcheck)", lib, res.Library[lib], v)
		}
	}
	if len(res.Blocked) > 0 {
		t.Errorf("the %s library tried to reach the network: %q\nstderr:\n%s", device, res.Blocked, stderr.String())
	}
	if len(res.Offline) > 0 {
		t.Logf("answered offline (404): %q", res.Offline)
	}
	return res
}

// expectations are the addresses and signatures a mnemonic's vectors
// publish, keyed by path and by path+message.
type expectations struct {
	addresses  map[string]string
	signatures map[string]string // path + "\x00" + hex(message) -> r||s||v hex
}

func expect(t *testing.T, v vectors.Vectors, mnemonic string) expectations {
	t.Helper()
	e := expectations{addresses: map[string]string{}, signatures: map[string]string{}}
	for _, a := range v.Addresses {
		if a.Mnemonic == mnemonic {
			e.addresses[a.Path] = a.Address
		}
	}
	key := func(path, msg string) string { return path + "\x00" + hex.EncodeToString([]byte(msg)) }
	for _, s := range v.LedgerPersonalSign {
		if s.Mnemonic == mnemonic {
			e.signatures[key(s.Path, s.Message)] = s.R + s.S + fmt.Sprintf("%02x", s.V)
		}
	}
	for _, s := range v.TrezorSignMessage {
		if s.Mnemonic == mnemonic {
			e.signatures[key(s.Path, s.Message)] = s.Signature
		}
	}
	return e
}

// checkResults compares a run's addresses and signatures with the vectors;
// signatures without a published value must recover to the address the
// vectors give for the path's default account (or be well-formed).
func checkResults(t *testing.T, res result, e expectations, wantSigs int) {
	t.Helper()
	for _, a := range res.Addresses {
		if want, ok := e.addresses[a.Path]; !ok || a.Address != want {
			t.Errorf("%s: address at %s is %s, want %s", res.Device, a.Path, a.Address, want)
		}
	}
	if len(res.Addresses) < len(e.addresses) {
		t.Errorf("%s: %d addresses, want at least %d", res.Device, len(res.Addresses), len(e.addresses))
	}
	if len(res.Signatures) != wantSigs {
		t.Errorf("%s: %d signatures, want %d", res.Device, len(res.Signatures), wantSigs)
	}
	published := 0
	for _, s := range res.Signatures {
		msg, err := hex.DecodeString(s.MessageHex)
		sig, err2 := hex.DecodeString(s.Signature)
		if err != nil || err2 != nil || len(sig) != 65 || (sig[64] != 27 && sig[64] != 28) {
			t.Errorf("%s: malformed signature %q of %q", res.Device, s.Signature, s.MessageHex)
			continue
		}
		if want, ok := e.signatures[s.Path+"\x00"+s.MessageHex]; ok {
			published++
			if s.Signature != want {
				t.Errorf("%s: signature of %q at %s\n got  %s\n want %s", res.Device, msg, s.Path, s.Signature, want)
			}
			continue
		}
		rsv := append([]byte(nil), sig...)
		rsv[64] -= 27
		pub, err := crypto.SigToPub(accounts.TextHash(msg), rsv)
		if err != nil {
			t.Errorf("%s: signature of %q does not recover: %v", res.Device, msg, err)
			continue
		}
		if want, ok := e.addresses[s.Path]; ok && crypto.PubkeyToAddress(*pub) != common.HexToAddress(want) {
			t.Errorf("%s: signature of %q at %s recovers to %s, want %s", res.Device, msg, s.Path, crypto.PubkeyToAddress(*pub).Hex(), want)
		}
	}
	if published != len(e.signatures) {
		t.Errorf("%s: %d signatures compared with published ones, want %d", res.Device, published, len(e.signatures))
	}
}

func setup(t *testing.T) (string, vectors.Vectors) {
	if os.Getenv("LITSIGNER_VENDORCHECK") != "1" {
		t.Skip("set LITSIGNER_VENDORCHECK=1 (after `npm ci` in hwwallet/vendorcheck) to drive the emulators with the vendors' libraries")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("LITSIGNER_VENDORCHECK=1 but node is not on PATH")
	}
	for _, pkg := range []string{"@ledgerhq/hw-app-eth", "@ledgerhq/hw-transport-node-speculos", "@trezor/connect", "@trezor/transport"} {
		if _, err := os.Stat(filepath.Join("node_modules", pkg, "package.json")); err != nil {
			t.Fatalf("LITSIGNER_VENDORCHECK=1 but %s is not installed: run `npm ci` in hwwallet/vendorcheck", pkg)
		}
	}
	v, err := vectors.Load()
	if err != nil {
		t.Fatal(err)
	}
	return node, v
}

// messageCount is how many messages check.mjs signs (every personal
// message of the vector file), plus extra.
func messageCount(v vectors.Vectors, extra int) int {
	return len(v.LedgerPersonalSign) + len(v.TrezorSignMessage) + len(v.LedgerAPDUs) + extra
}

// longMessage is a SIWE-sized and then some ASCII message: 7 APDUs of
// hw-app-eth's 150-byte chunks.
func longMessage() []byte {
	var b strings.Builder
	b.WriteString("localhost wants you to sign in with your Ethereum account:\n0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D\n\n")
	for i := 0; b.Len() < 1000; i++ {
		fmt.Fprintf(&b, "Line %d of a long message that has to travel in several APDUs.\n", i)
	}
	return []byte(b.String())
}

// signAPDUs picks the SIGN_PERSONAL_MESSAGE commands (CLA E0, INS 08)
// from an APDU stream.
func signAPDUs(cmds [][]byte) [][]byte {
	var out [][]byte
	for _, c := range cmds {
		if len(c) >= 2 && c[0] == 0xE0 && c[1] == 0x08 {
			out = append(out, c)
		}
	}
	return out
}

func TestLedgerHWAppEth(t *testing.T) {
	node, v := setup(t)
	long := longMessage()
	for _, mnemonic := range []string{"speculos", "trezor_all"} {
		t.Run(mnemonic, func(t *testing.T) {
			emu := startEmulator(t, "ledger", "--mnemonic", v.Mnemonics[mnemonic])
			extra := []string{}
			if mnemonic == "speculos" {
				extra = []string{"--long-hex", hex.EncodeToString(long)}
			}
			res := runCheck(t, node, "ledger", emu.addr, mnemonic, extra...)
			av := emulator.LedgerAppVersion
			if want := fmt.Sprintf("%d.%d.%d", av[0], av[1], av[2]); res.AppConfig == nil || res.AppConfig.Version != want {
				t.Errorf("app configuration %+v, want version %s", res.AppConfig, want)
			}
			checkResults(t, res, expect(t, v, mnemonic), messageCount(v, len(extra)/2))

			// The recorded exchanges: hw-app-eth sends the published APDUs.
			sent := signAPDUs(emu.commands())
			for _, want := range v.LedgerAPDUs {
				found := false
				for _, c := range sent {
					found = found || hex.EncodeToString(c) == want.APDU
				}
				if !found {
					t.Errorf("hw-app-eth never sent the published APDU %s (%q at %s)", want.APDU, want.Message, want.Path)
				}
			}
			if mnemonic != "speculos" {
				return
			}
			// The long message: hw-app-eth's APDUs are the tail of the
			// stream; our driver, on the same emulator, must send the same.
			theirs := lastSignFlow(sent)
			if len(theirs) < 3 {
				t.Fatalf("hw-app-eth sent the long message in %d APDUs", len(theirs))
			}
			before := len(emu.commands())
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, err := speculos.Dial(ctx, emu.addr)
			if err != nil {
				t.Fatal(err)
			}
			d, err := ledger.OpenAPDU(c, hwwallet.DeviceInfo{ID: "speculos:" + emu.addr})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			sig, _, err := d.SignPersonalMessage(ctx, hwwallet.DefaultPath, long)
			if err != nil {
				t.Fatalf("our driver: %v", err)
			}
			ours := lastSignFlow(signAPDUs(emu.commands()[before:]))
			if len(ours) != len(theirs) {
				t.Fatalf("our driver sent %d sign APDUs, hw-app-eth %d", len(ours), len(theirs))
			}
			for i := range ours {
				if !bytes.Equal(ours[i], theirs[i]) {
					t.Errorf("sign APDU %d differs:\n ours %x\n hw-app-eth %x", i, ours[i], theirs[i])
				}
			}
			if got := res.Signatures[len(res.Signatures)-1].Signature; got != hex.EncodeToString(sig) {
				t.Errorf("long message: hw-app-eth got %s, our driver %x", got, sig)
			}
		})
	}
}

// lastSignFlow returns the APDUs of the last SIGN_PERSONAL_MESSAGE flow
// (from its P1 00 chunk on).
func lastSignFlow(sign [][]byte) [][]byte {
	for i := len(sign) - 1; i >= 0; i-- {
		if sign[i][2] == 0x00 {
			return sign[i:]
		}
	}
	return nil
}

func TestTrezorConnect(t *testing.T) {
	node, v := setup(t)
	for _, mnemonic := range []string{"trezor_all", "speculos"} {
		t.Run(mnemonic, func(t *testing.T) {
			emu := startEmulator(t, "trezor", "--mnemonic", v.Mnemonics[mnemonic])
			res := runCheck(t, node, "trezor", emu.addr, mnemonic)
			checkResults(t, res, expect(t, v, mnemonic), messageCount(v, 0))
		})
	}
}

func TestVendorsSeeUserRefusal(t *testing.T) {
	node, _ := setup(t)
	t.Run("ledger", func(t *testing.T) {
		emu := startEmulator(t, "ledger", "--reject")
		res := runCheck(t, node, "ledger", emu.addr, "speculos", "--reject")
		// ledgerjs: TransportStatusError 0x6985, "Condition of use not
		// satisfied (denied by the user?)".
		if res.Rejected == nil || res.Rejected.Name != "TransportStatusError" || res.Rejected.StatusCode != 0x6985 || !strings.Contains(res.Rejected.Message, "denied by the user") {
			t.Errorf("hw-app-eth saw %+v, want its user-refusal error (0x6985)", res.Rejected)
		}
	})
	t.Run("trezor", func(t *testing.T) {
		emu := startEmulator(t, "trezor", "--reject")
		res := runCheck(t, node, "trezor", emu.addr, "trezor_all", "--reject")
		if res.Rejected == nil || res.Rejected.Code != "Failure_ActionCancelled" {
			t.Errorf("@trezor/connect saw %+v, want Failure_ActionCancelled", res.Rejected)
		}
	})
}

// typeCodes is the user at the screen of an emulated Safe 7: every code
// the emulator prints goes, as one line, to the script's stdin, as the
// fixture scripts of shared/fixtures/trezor-thp/04 type it.
func typeCodes(emu *emulatorRun) func(context.Context, io.Writer) {
	return func(ctx context.Context, w io.Writer) {
		for {
			select {
			case c := <-emu.codes:
				if _, err := io.WriteString(w, c+"\n"); err != nil {
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}
}

// TestTrezorConnectTHP: @trezor/connect with its THP settings pairs with
// `litsigner emulator trezor --model safe7` (the code typed from the
// emulator's JSON line), signs the vectors, then reconnects with the
// credential it saved (no code) to the same emulator and to a new one
// started locked (connect retries the handshake with try_to_unlock, and
// the device's secrets, derived from the seed, still accept the
// credential).
func TestTrezorConnectTHP(t *testing.T) {
	node, v := setup(t)
	creds := filepath.Join(t.TempDir(), "connect-credentials.json")
	emu := startEmulator(t, "trezor", "--model", "safe7")
	e := expect(t, v, "trezor_all")
	for _, tc := range []struct {
		name      string
		emu       *emulatorRun
		reconnect bool
	}{
		{"pair", emu, false},
		{"reconnect", emu, true},
		{"reconnect after restart, locked", startEmulator(t, "trezor", "--model", "safe7", "--locked"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runCheckStdin(t, node, "trezor", tc.emu.addr, "trezor_all", typeCodes(tc.emu), "--thp", "--credentials", creds)
			wantCodes := 1
			if tc.reconnect {
				wantCodes = 0
			}
			if res.Reconnect != tc.reconnect || res.PairingCodesTyped != wantCodes {
				t.Fatalf("reconnect %v, %d codes typed; want %v, %d (events %q)", res.Reconnect, res.PairingCodesTyped, tc.reconnect, wantCodes, res.Events)
			}
			if _, err := os.Stat(creds); err != nil {
				t.Fatalf("connect saved no credential: %v", err)
			}
			checkResults(t, res, e, messageCount(v, 0))
			if locked := strings.Contains(tc.name, "locked"); locked != strings.Contains(tc.emu.stderr.String(), "Enter PIN") {
				t.Errorf("PIN entry on the screen: %v, want %v:\n%s", !locked, locked, tc.emu.stderr.String())
			}
		})
	}
}
