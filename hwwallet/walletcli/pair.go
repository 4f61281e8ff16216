package walletcli

import (
	"context"
	"errors"
	"fmt"

	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/trezor"
	"github.com/litsigner/litsigner/hwwallet/trezor/thpstore"
)

// pairingStore is the THP pairing store in the environment's state
// directory; nil (the hub's default) when the environment names none.
func pairingStore(env Env) trezor.PairingStore {
	if env.Getenv == nil {
		return nil
	}
	dir, err := thpstore.DefaultDir(env.Getenv)
	if err != nil {
		return nil
	}
	return thpstore.New(dir)
}

// runPair pairs a Trezor Safe 7 again: it shows a new code, which is asked
// for on the terminal, and the new credential replaces the old one.
func runPair(ctx context.Context, args []string, env Env) error {
	c := newCommon("pair", env)
	c.addDeviceFlags("device ID (default: the only one plugged in)")
	c.fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "usage: litsigner wallet pair [--device D] [--json]\n\nflags:\n")
		c.fs.PrintDefaults()
		fmt.Fprintf(env.Stderr, "\n'litsigner wallet pair CODE' instead answers the daemon's pending pairing with the\ncode the Trezor shows; it takes --socket PATH (default $LITSIGNER_SOCKET, else the\nper-user socket) and --timeout, like the other commands that talk to litsignerd.\n")
	}
	if err := c.parse(args); err != nil {
		return err
	}
	c.forcePairing = true
	_, w, done, err := c.openWallet(ctx, env)
	if err != nil {
		return err
	}
	defer done()
	d, ok := unwrapTrezor(w)
	if !ok || !d.IsTHP() {
		return usagef(fmt.Sprintf("%s does not use pairing (only a Trezor Safe 7 does)", w.Info().ID))
	}
	if c.asJSON {
		return printJSON(env.Stdout, map[string]string{"device": w.Info().ID, "model": w.Info().Model, "status": "paired"})
	}
	fmt.Fprintf(env.Stdout, "paired with %s (%s): from now on it only asks to confirm the connection\n", w.Info().ID, w.Info().Model)
	return nil
}

// unwrapTrezor finds the Trezor driver under the hub's wrappers.
func unwrapTrezor(w hwwallet.Wallet) (*trezor.Device, bool) {
	for {
		switch v := w.(type) {
		case *trezor.Device:
			return v, true
		case interface{ Unwrap() hwwallet.Wallet }:
			w = v.Unwrap()
		default:
			return nil, false
		}
	}
}

// runForget removes this computer's THP key and every pairing credential.
func runForget(args []string, env Env) error {
	c := newCommon("forget", env)
	if err := c.parse(args); err != nil {
		return err
	}
	store, ok := pairingStore(env).(*thpstore.Store)
	if !ok {
		return errors.New("no state directory: set XDG_STATE_HOME or HOME")
	}
	did, err := store.Forget()
	if err != nil {
		return err
	}
	if c.asJSON {
		return printJSON(env.Stdout, map[string]any{"forgotten": did, "path": store.Path()})
	}
	if did {
		fmt.Fprintf(env.Stdout, "forgot the Trezor pairings in %s: a Trezor Safe 7 will show a new code next time\n", store.Path())
	} else {
		fmt.Fprintln(env.Stdout, "no Trezor pairing was stored")
	}
	return nil
}

// confirmHint tells the user what a THP device (Trezor Safe 7) waits for;
// what is the ButtonRequest name, or "unlock".
func confirmHint(what string) string {
	switch what {
	case "thp_pairing_request":
		return "Allow pairing with this computer on the Trezor."
	case "thp_connection_request", "thp_autoconnect_credential_request":
		return "Allow the connection on the Trezor."
	case "unlock":
		return "Enter your PIN on the Trezor."
	case "sign_message":
		return "Check the message on the Trezor and approve it there."
	}
	return "Confirm on the Trezor."
}
