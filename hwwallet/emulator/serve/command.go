package serve

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/hwwallet/speculos"
	"github.com/litsigner/litsigner/hwwallet/trezorudp"
)

// MnemonicEnv names the environment variable Run reads the seed from when
// --mnemonic is not given (the same one the hub's emulators use).
const MnemonicEnv = "LITSIGNER_EMULATOR_MNEMONIC"

// ErrUsage marks a bad command line.
var ErrUsage = errors.New("usage")

// Usage describes the command.
const Usage = `usage: litsigner emulator ledger|trezor [flags]

Runs one emulated device in the foreground on the vendor's emulator
transport, so Ledger's and Trezor's host libraries (and litsigner's own
drivers, with --device speculos:HOST:PORT or trezor-udp:HOST:PORT) can use it:

  ledger  Speculos' APDU protocol over TCP (default port 9999)
  trezor  the Trezor emulator's UDP protocol (default port 21324)

It prints one JSON line, e.g.
  {"device":"ledger","transport":"speculos-apdu","address":"127.0.0.1:9999"}
then approves every request (or, with --reject, rejects it as the user
would), printing the device's screen to stderr, until SIGINT or SIGTERM.

trezor --model safe7 is a Trezor Safe 7, which speaks only the Trezor Host
Protocol (THP): when a host pairs, it shows a 6-digit code, printed on
stdout as one more JSON line, {"pairingCode":"123456"}, for the host's user
to type. Its secrets derive from the seed, so a host's pairing survives
restarts of the emulator.
trezor --model 1 --locked sets the PIN 1234 (a Trezor One locks only
with a PIN): the host answers the PIN matrix shown on stderr (litsigner
wallet unlock POSITIONS); the screen line gives the positions for 1234.
The emulator signs for anyone who can reach it, with a test seed: it binds
to loopback only, unless --allow-remote is given with a non-loopback --host.

flags:`

// Announcement is the JSON line Run prints once the device listens.
type Announcement struct {
	// Device is "ledger" or "trezor".
	Device string `json:"device"`
	// Transport is "speculos-apdu" (TCP) or "udp".
	Transport string `json:"transport"`
	// Address is host:port, with the port actually bound.
	Address string `json:"address"`
}

// PairingCode is the JSON line Run prints when the emulated Safe 7 shows a
// pairing code.
type PairingCode struct {
	Code string `json:"pairingCode"`
}

// LockedOnePIN is the PIN --locked sets on a Trezor One, which locks only
// with a PIN (the other models take theirs on the device, which the
// emulator approves).
const LockedOnePIN = "1234"

// modelAliases accepts the models without spaces or capitals ("safe7").
var modelAliases = map[string]string{
	"1": emulator.TrezorOne, "t": emulator.TrezorT, "safe3": emulator.TrezorSafe3,
	"safe5": emulator.TrezorSafe5, "safe7": emulator.TrezorSafe7,
}

// Env is what Run needs from the process.
type Env struct {
	Stdout, Stderr io.Writer
	// Getenv reads environment variables (os.Getenv); nil reads none.
	Getenv func(string) string
	// Trace, when set, receives every Ledger APDU exchange (tests use it
	// to compare APDU streams); --trace prints them to Stderr instead.
	Trace TraceFunc
}

// Run is `litsigner emulator <args>`: it runs until ctx ends and then
// returns nil, or returns an error (wrapping ErrUsage for a bad command
// line; flag.ErrHelp for -h).
func Run(ctx context.Context, args []string, env Env) error {
	if env.Stderr == nil {
		env.Stderr = io.Discard
	}
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, Usage)
		return fmt.Errorf("%w: name the device: ledger or trezor", ErrUsage)
	}
	kind := args[0]
	switch kind {
	case "-h", "--help", "help":
		fs, _ := newFlagSet("ledger", env.Stdout)
		fmt.Fprintln(env.Stdout, Usage)
		fs.PrintDefaults()
		return flag.ErrHelp
	case "ledger", "trezor":
	default:
		return fmt.Errorf("%w: unknown device %q (want ledger or trezor)", ErrUsage, kind)
	}
	fs, f := newFlagSet(kind, env.Stderr)
	defMnemonic := emulator.SpeculosMnemonic
	if kind == "trezor" {
		defMnemonic = emulator.TrezorTestMnemonic
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", ErrUsage, fs.Arg(0))
	}
	if f.delay < 0 {
		return fmt.Errorf("%w: --delay %v is negative", ErrUsage, f.delay)
	}
	if kind == "ledger" && f.model != "" {
		return fmt.Errorf("%w: --model %q is not a Ledger model: the ledger emulator is a Nano S Plus and takes no --model (trezor models: 1, T, safe3, safe5, safe7)", ErrUsage, f.model)
	}
	if f.model == "" {
		f.model = emulator.TrezorT
	}
	if m, ok := modelAliases[strings.ToLower(strings.ReplaceAll(f.model, " ", ""))]; ok {
		f.model = m
	}
	if f.port < 0 || f.port > 65535 {
		return fmt.Errorf("%w: --port %d out of range", ErrUsage, f.port)
	}
	if !isLoopback(f.host) && !f.allowRemote {
		return fmt.Errorf("%w: --host %s is not a loopback address: the emulator signs for anyone who reaches it; add --allow-remote if you mean it", ErrUsage, f.host)
	}
	if f.mnemonic == "" && env.Getenv != nil {
		f.mnemonic = env.Getenv(MnemonicEnv)
	}
	if f.mnemonic == "" {
		f.mnemonic = defMnemonic
	}

	var outMu sync.Mutex // screen lines and traces from several goroutines
	printf := func(format string, a ...any) {
		outMu.Lock()
		defer outMu.Unlock()
		fmt.Fprintf(env.Stderr, format, a...)
	}
	b := emulator.NewBehaviour()
	b.SetLocked(f.locked)
	if f.locked && kind == "trezor" && f.model == emulator.TrezorOne {
		b.SetPIN(LockedOnePIN)
	}
	b.SetDelay(f.delay)
	verdict := "[emulator approves]"
	if f.reject {
		b.SetAction(emulator.Reject)
		verdict = "[emulator rejects]"
	}
	b.OnPrompt(func(p emulator.Prompt) {
		if p.Kind == emulator.PromptPairingCode {
			line, _ := json.Marshal(PairingCode{Code: p.Text})
			outMu.Lock()
			fmt.Fprintf(env.Stdout, "%s\n", line)
			outMu.Unlock()
		}
		line := fmt.Sprintf("[%s screen] %s", p.Vendor, p.Title)
		if len(p.Path) > 0 {
			line += fmt.Sprintf(" (%s)", p.Path)
		}
		line += ":\n" + p.Text + "\n"
		switch {
		case p.Kind == emulator.PromptPIN && p.Text != "":
			// A Trezor One's matrix: the host answers it, not the emulator.
			if pos, err := emulator.TrezorPINPositions(p.Text, b.PIN()); err == nil {
				line += fmt.Sprintf("[PIN %s: litsigner wallet unlock %s]\n", b.PIN(), pos)
			}
		case p.Kind == emulator.PromptSignMessage, p.Kind == emulator.PromptAddress, p.Kind == emulator.PromptConnect, p.Kind == emulator.PromptPIN:
			line += verdict + "\n"
		}
		printf("%s", line)
	})
	logf := func(format string, a ...any) { printf("litsigner emulator: "+format+"\n", a...) }
	addr := net.JoinHostPort(f.host, strconv.Itoa(f.port))
	if b.PIN() != "" {
		logf("locked with PIN %s: answer the matrix with litsigner wallet unlock POSITIONS", b.PIN())
	}

	announce := func(transport string, a net.Addr) error {
		line, err := json.Marshal(Announcement{Device: kind, Transport: transport, Address: a.String()})
		if err != nil {
			return err
		}
		outMu.Lock()
		defer outMu.Unlock()
		_, err = fmt.Fprintf(env.Stdout, "%s\n", line)
		return err
	}

	if kind == "ledger" {
		l, err := emulator.NewLedger(f.mnemonic, b)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrUsage, err)
		}
		defer l.Close()
		tr := env.Trace
		if f.trace {
			tr = func(cmd, reply []byte) {
				printf("apdu => %s\napdu <= %s\n", hex.EncodeToString(cmd), hex.EncodeToString(reply))
			}
		}
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, network("tcp", f.host), addr)
		if err != nil {
			return fmt.Errorf("emulator: listen on %s: %w", addr, err)
		}
		if err := announce("speculos-apdu", ln.Addr()); err != nil {
			ln.Close()
			return fmt.Errorf("emulator: %w", err)
		}
		return ServeSpeculos(ctx, ln, l, tr, logf)
	}

	t, err := emulator.NewTrezor(f.mnemonic, b, f.model)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	defer t.Close()
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, network("udp", f.host), addr)
	if err != nil {
		return fmt.Errorf("emulator: listen on udp %s: %w", addr, err)
	}
	if err := announce("udp", pc.LocalAddr()); err != nil {
		pc.Close()
		return fmt.Errorf("emulator: %w", err)
	}
	return ServeUDP(ctx, pc, t.Transport(), logf)
}

// network is base ("tcp", "udp") for host, in the IP family of an IP
// literal, so that the listener binds what was asked and announces it as
// given: on plain "tcp", 0.0.0.0 means every IPv4 and IPv6 address, and
// the listener announces [::].
func network(base, host string) string {
	ip := net.ParseIP(host)
	switch {
	case ip == nil:
		return base
	case ip.To4() != nil:
		return base + "4"
	}
	return base + "6"
}

// flags are the command line of one device.
type flags struct {
	mnemonic, host, model       string
	port                        int
	reject, allowRemote, locked bool
	trace                       bool
	delay                       time.Duration
}

// newFlagSet defines the flags of 'litsigner emulator kind'; its usage
// goes to w.
func newFlagSet(kind string, w io.Writer) (*flag.FlagSet, *flags) {
	var f flags
	fs := flag.NewFlagSet("litsigner emulator "+kind, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		fmt.Fprintln(w, Usage)
		fs.PrintDefaults()
	}
	defPort := speculos.DefaultPort
	if kind == "trezor" {
		defPort = trezorudp.DefaultPort
	}
	fs.StringVar(&f.mnemonic, "mnemonic", "", "BIP-39 seed (default $"+MnemonicEnv+", else Speculos' default seed for ledger, \"all all ... all\" for trezor)")
	fs.StringVar(&f.host, "host", "127.0.0.1", "address to listen on")
	fs.IntVar(&f.port, "port", defPort, "port to listen on (0 picks a free one; the JSON line shows it)")
	fs.BoolVar(&f.reject, "reject", false, "reject every request on the device, as the user would")
	fs.BoolVar(&f.allowRemote, "allow-remote", false, "allow a non-loopback --host (anyone who reaches it can sign with the test seed)")
	fs.StringVar(&f.model, "model", "", "trezor model: 1, T (default), safe3, safe5, safe7 (THP); ledger has one model (Nano S Plus)")
	fs.BoolVar(&f.locked, "locked", false, "start locked: the user enters the PIN on the device (approves it) when asked; a Trezor One gets PIN "+LockedOnePIN+", entered through the host's matrix")
	fs.DurationVar(&f.delay, "delay", 0, "how long the user looks at each screen before answering")
	fs.BoolVar(&f.trace, "trace", false, "print every APDU (ledger) to stderr")
	return fs, &f
}

// isLoopback reports whether host names only loopback addresses.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
