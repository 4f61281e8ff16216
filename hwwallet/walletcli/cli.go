// Package walletcli is the logic of 'litsigner wallet': list devices, show
// accounts, sign a personal message, with human or JSON output and exit
// codes per error kind. cmd/litsigner only calls Run.
package walletcli

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/hwwallet/hub"
	"github.com/litsigner/litsigner/hwwallet/trezor"
	"github.com/litsigner/litsigner/hwwallet/usbhid"
)

// Env is the process environment Run works in.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Getenv reads environment variables (os.Getenv).
	Getenv func(string) string
	// NoUSB keeps the commands off the USB bus (tests).
	NoUSB bool
}

// Usage describes the subcommands.
const Usage = `usage: litsigner wallet <command> [flags]

commands:
  list                      list hardware wallets (--emulators adds the emulators)
  accounts                  show addresses: [--device D] [--path P]... [--count N]
  sign-message              personal_sign: --device D [--path P] (--message TEXT | --message-hex HEX)
  pair                      pair a Trezor Safe 7 with this computer: [--device D] (type the code it shows)
  pair CODE                 answer the daemon's pending pairing with the code the Trezor shows
  forget                    forget every Trezor pairing of this computer (they must pair again)
  unlock                    unlock the daemon's session wallet (needs litsignerd)

accounts and sign-message take --safety-checks prompt for a Trezor: before the
request the device is asked (you confirm it there) to warn about non-standard
paths instead of refusing them ("Forbidden key path"), until it is unplugged.

--device takes an ID from 'wallet list', or emulator:ledger / emulator:trezor /
emulator:trezor-safe7
(seed from --mnemonic, $` + hub.EmulatorMnemonicEnv + `, or the Speculos test mnemonic;
the emulator approves by itself and prints what its screen shows to stderr),
or an emulator on the network: speculos:HOST:PORT (Speculos' APDU port) or
trezor-udp:HOST:PORT (trezor-user-env, or 'litsigner emulator').
Add --json for machine-readable output. Exit codes: 0 ok, 1 failure,
2 usage, 3 device (rejected, locked, app closed, PIN, pairing, absent, no permission, timeout).

A Trezor Safe 7 speaks THP: the first time, it shows a 6-digit code that
the command asks for on the terminal; the pairing (this computer's key and
the device's credential) is kept, mode 0600, in
$XDG_STATE_HOME/litsigner (default ~/.local/state/litsigner), so later the
device only asks to confirm the connection.`

// Run executes 'litsigner wallet <args>' (without "unlock" and "pair
// CODE", which belong to the daemon client) and returns the exit code.
func Run(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, Usage)
		return ExitUsage
	}
	var err error
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprintln(env.Stdout, Usage)
		return ExitOK
	case "list":
		err = runList(ctx, args[1:], env)
	case "accounts":
		err = runAccounts(ctx, args[1:], env)
	case "sign-message":
		err = runSign(ctx, args[1:], env)
	case "pair":
		err = runPair(ctx, args[1:], env)
	case "forget":
		err = runForget(args[1:], env)
	default:
		err = usagef(fmt.Sprintf("unknown wallet command %q (want list, accounts, sign-message, pair, forget or unlock)", args[0]))
	}
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		name := "wallet"
		if len(args) > 0 {
			name += " " + args[0]
		}
		fmt.Fprintf(env.Stderr, "litsigner: %s: %s\n", name, Describe(err))
		var ue *UsageError
		if !errors.As(err, &ue) {
			fmt.Fprintf(env.Stderr, "  (%v)\n", err)
		} else {
			fmt.Fprintln(env.Stderr, "Run 'litsigner wallet -h' for help.")
		}
	}
	return ExitCode(err)
}

// common holds the flags every command shares.
type common struct {
	fs       *flag.FlagSet
	device   string
	mnemonic string
	asJSON   bool
	timeout  time.Duration
	// forcePairing pairs THP devices again ('wallet pair').
	forcePairing bool
	safety       string // --safety-checks, for the commands that take it
}

// addSafetyFlag adds --safety-checks.
func (c *common) addSafetyFlag() {
	c.fs.StringVar(&c.safety, "safety-checks", "strict", `Trezor safety checks: "strict" (the device's default: non-standard paths are refused) or "prompt" (confirm on the device once, then non-standard paths are signed after a warning)`)
}

// safetyLevel parses --safety-checks.
func (c *common) safetyLevel() (trezor.SafetyCheckLevel, error) {
	if c.safety == "" {
		return trezor.SafetyStrict, nil
	}
	l, err := trezor.ParseSafetyChecks(c.safety)
	if err != nil {
		return 0, usagef("--safety-checks: " + err.Error())
	}
	return l, nil
}

// defaultTimeout bounds a command that waits for the device (and you).
const defaultTimeout = 3 * time.Minute

// newCommon makes the flag set of a command with --json; the commands that
// open a device add --device, --mnemonic and --timeout (addDeviceFlags).
func newCommon(name string, env Env) *common {
	c := &common{fs: flag.NewFlagSet("litsigner wallet "+name, flag.ContinueOnError), timeout: defaultTimeout}
	c.fs.SetOutput(env.Stderr)
	c.fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "usage: litsigner wallet %s [flags]\n\nflags:\n", name)
		c.fs.PrintDefaults()
	}
	c.fs.BoolVar(&c.asJSON, "json", false, "print JSON")
	return c
}

// addDeviceFlags adds the flags of a command that opens a device.
func (c *common) addDeviceFlags(deviceHelp string) {
	c.fs.StringVar(&c.device, "device", "", deviceHelp)
	c.fs.StringVar(&c.mnemonic, "mnemonic", "", "the emulators' BIP-39 mnemonic (default $"+hub.EmulatorMnemonicEnv+", else the Speculos test mnemonic)")
	c.addTimeoutFlag()
}

// addTimeoutFlag adds --timeout.
func (c *common) addTimeoutFlag() {
	c.fs.DurationVar(&c.timeout, "timeout", defaultTimeout, "how long to wait for the device (and you); must be positive")
}

func (c *common) parse(args []string) error {
	if err := c.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef(err.Error())
	}
	if c.fs.NArg() > 0 {
		return usagef(fmt.Sprintf("unexpected argument %q", c.fs.Arg(0)))
	}
	if c.timeout <= 0 {
		return usagef(fmt.Sprintf("--timeout %s: must be positive (e.g. 30s)", c.timeout))
	}
	if c.device != "" {
		// A typo is a usage error, not an absent device.
		if err := hub.CheckID(c.device); err != nil {
			return usagef("--device: " + err.Error())
		}
	}
	return nil
}

// hub opens a hub with emulators enabled (they cost nothing until used).
func (c *common) hub(env Env) (*hub.Hub, error) {
	mnemonic := c.mnemonic
	if mnemonic == "" && env.Getenv != nil {
		mnemonic = env.Getenv(hub.EmulatorMnemonicEnv)
	}
	b := emulator.NewBehaviour()
	b.OnPrompt(func(p emulator.Prompt) {
		fmt.Fprintf(env.Stderr, "[%s screen] %s", p.Vendor, p.Title)
		if len(p.Path) > 0 {
			fmt.Fprintf(env.Stderr, " (%s)", p.Path)
		}
		fmt.Fprintf(env.Stderr, ":\n%s\n", p.Text)
		switch p.Kind {
		case emulator.PromptSignMessage, emulator.PromptAddress, emulator.PromptSafetyChecks, emulator.PromptPathWarning,
			emulator.PromptConnect, emulator.PromptPIN:
			fmt.Fprintln(env.Stderr, "[emulator approves]")
		}
	})
	h, err := hub.New(hub.Options{Emulators: true, EmulatorMnemonic: mnemonic, EmulatorBehaviour: b, NoUSB: env.NoUSB,
		Pairing: pairingStore(env), ForcePairing: c.forcePairing,
		OnConfirm: func(what string) { fmt.Fprintln(env.Stderr, confirmHint(what)) }})
	if err != nil {
		return nil, usagef(err.Error())
	}
	return h, nil
}

// open opens c.device, or the only hardware wallet plugged in when empty.
func (c *common) open(ctx context.Context, h *hub.Hub, env Env) (hwwallet.Wallet, error) {
	id := c.device
	if id == "" {
		if !env.NoUSB {
			if err := usbhid.Available(); err != nil {
				return nil, err
			}
		}
		devs, err := h.Devices(ctx)
		if err != nil {
			return nil, err
		}
		var usb []hwwallet.DeviceInfo
		for _, d := range devs {
			if !d.Emulated {
				usb = append(usb, d)
			}
		}
		switch len(usb) {
		case 0:
			return nil, fmt.Errorf("no device plugged in (or use --device emulator:ledger): %w", hwwallet.ErrNoDevice)
		case 1:
			id = usb[0].ID
		default:
			return nil, usagef(fmt.Sprintf("%d hardware wallets are plugged in: pick one with --device (see 'litsigner wallet list')", len(usb)))
		}
	}
	return h.Open(ctx, id, &terminalPrompter{in: env.Stdin, out: env.Stderr})
}

// openWallet bounds ctx by --timeout, opens a hub and the wallet on it, and
// returns the bounded context, the wallet and a function that closes the
// wallet, the hub and the context, in that order.
func (c *common) openWallet(ctx context.Context, env Env) (context.Context, hwwallet.Wallet, func(), error) {
	level, err := c.safetyLevel()
	if err != nil {
		return nil, nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	h, err := c.hub(env)
	if err != nil {
		cancel()
		return nil, nil, nil, err
	}
	w, err := c.open(ctx, h, env)
	if err != nil {
		h.Close()
		cancel()
		return nil, nil, nil, err
	}
	done := func() {
		w.Close()
		h.Close()
		cancel()
	}
	if level.Prompts() {
		if err := allowNonStandardPaths(ctx, w, env); err != nil {
			done()
			return nil, nil, nil, err
		}
	}
	return ctx, w, done, nil
}

// allowNonStandardPaths sends the Trezor ApplySettings(safety_checks =
// PromptTemporarily), as trezorctl's `set safety-checks prompt` does; the
// user confirms it on the device.
func allowNonStandardPaths(ctx context.Context, w hwwallet.Wallet, env Env) error {
	p, ok := w.(trezor.PathPrompter)
	if !ok || w.Info().Vendor != hwwallet.VendorTrezor {
		return usagef(fmt.Sprintf("--safety-checks is a Trezor setting; %s is a %s", w.Info().ID, w.Info().Vendor))
	}
	if !w.Info().Emulated {
		fmt.Fprintln(env.Stderr, "Confirm on the Trezor that it may warn about non-standard paths instead of refusing them (until it is unplugged).")
	}
	return p.AllowNonStandardPaths(ctx)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func runList(ctx context.Context, args []string, env Env) error {
	c := newCommon("list", env)
	c.addTimeoutFlag()
	emulators := c.fs.Bool("emulators", false, "also list emulator:ledger and emulator:trezor")
	if err := c.parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	h, err := hub.New(hub.Options{Emulators: *emulators, NoUSB: env.NoUSB})
	if err != nil {
		return err
	}
	defer h.Close()
	devs, err := h.Devices(ctx)
	if err != nil {
		return err
	}
	if devs == nil {
		devs = []hwwallet.DeviceInfo{}
	}
	if c.asJSON {
		return printJSON(env.Stdout, devs)
	}
	if len(devs) == 0 {
		fmt.Fprintln(env.Stderr, "no hardware wallet found (plug it in and unlock it; --emulators lists the emulators)")
		return nil
	}
	for _, d := range devs {
		line := fmt.Sprintf("%-28s %-7s %s", d.ID, d.Vendor, d.Model)
		if d.Product == "" && !d.Emulated {
			line += "  (cannot read its name: udev rules missing?)"
		}
		fmt.Fprintln(env.Stdout, strings.TrimRight(line, " "))
	}
	return nil
}

// pathList is a repeatable --path flag.
type pathList []accounts.DerivationPath

func (p *pathList) String() string { return fmt.Sprint(*p) }

func (p *pathList) Set(s string) error {
	path, err := accounts.ParseDerivationPath(s)
	if err != nil {
		return err
	}
	*p = append(*p, path)
	return nil
}

// Account is one line of 'wallet accounts'.
type Account struct {
	Path    string `json:"path"`
	Address string `json:"address"`
}

func runAccounts(ctx context.Context, args []string, env Env) error {
	c := newCommon("accounts", env)
	c.addDeviceFlags("device ID (default: the only one plugged in)")
	var paths pathList
	c.fs.Var(&paths, "path", "derivation path, repeatable (default m/44'/60'/0'/0/i for i < count)")
	c.addSafetyFlag()
	count := c.fs.Int("count", 5, "number of default-path accounts")
	if err := c.parse(args); err != nil {
		return err
	}
	if len(paths) == 0 {
		if *count < 1 || *count > 100 {
			return usagef("--count must be between 1 and 100")
		}
		for i := range *count {
			p := append(accounts.DerivationPath(nil), accounts.DefaultBaseDerivationPath...)
			p[len(p)-1] = uint32(i)
			paths = append(paths, p)
		}
	}
	ctx, w, done, err := c.openWallet(ctx, env)
	if err != nil {
		return err
	}
	defer done()
	var out []Account
	for _, p := range paths {
		addr, err := w.Address(ctx, p)
		if err != nil {
			return err
		}
		out = append(out, Account{Path: p.String(), Address: addr.Hex()})
	}
	if c.asJSON {
		return printJSON(env.Stdout, out)
	}
	for _, a := range out {
		fmt.Fprintf(env.Stdout, "%-22s %s\n", a.Path, a.Address)
	}
	return nil
}

// Signature is the output of 'wallet sign-message'.
type Signature struct {
	Device    string `json:"device"`
	Path      string `json:"path"`
	Address   string `json:"address"`
	Signature string `json:"signature"`
}

func runSign(ctx context.Context, args []string, env Env) error {
	c := newCommon("sign-message", env)
	c.addDeviceFlags("device ID (required)")
	pathFlag := c.fs.String("path", hwwallet.DefaultPath.String(), "derivation path")
	text := c.fs.String("message", "", "message text (UTF-8)")
	hexMsg := c.fs.String("message-hex", "", "message bytes in hex (0x optional)")
	c.addSafetyFlag()
	if err := c.parse(args); err != nil {
		return err
	}
	if c.device == "" {
		return usagef("--device is required (see 'litsigner wallet list', or emulator:ledger)")
	}
	path, err := accounts.ParseDerivationPath(*pathFlag)
	if err != nil {
		return usagef(fmt.Sprintf("--path: %v", err))
	}
	var msg []byte
	switch hasText, hasHex := isSet(c.fs, "message"), isSet(c.fs, "message-hex"); {
	case hasText == hasHex:
		return usagef("give exactly one of --message and --message-hex")
	case hasText:
		msg = []byte(*text)
	default:
		msg, err = hex.DecodeString(strings.TrimPrefix(strings.TrimPrefix(*hexMsg, "0x"), "0X"))
		if err != nil {
			return usagef(fmt.Sprintf("--message-hex: %v", err))
		}
	}
	ctx, w, done, err := c.openWallet(ctx, env)
	if err != nil {
		return err
	}
	defer done()
	if !w.Info().Emulated {
		fmt.Fprintln(env.Stderr, "Check the message on the device and approve it there.")
	}
	sig, signer, err := w.SignPersonalMessage(ctx, path, msg)
	if err != nil {
		return err
	}
	out := Signature{Device: w.Info().ID, Path: path.String(), Address: signer.Hex(), Signature: hexutil.Encode(sig)}
	if c.asJSON {
		return printJSON(env.Stdout, out)
	}
	fmt.Fprintf(env.Stdout, "address:   %s\nsignature: %s\n", out.Address, out.Signature)
	return nil
}

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
