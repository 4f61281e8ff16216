package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/lit"
)

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// StatusResult is what `litsigner status --json` prints.
type StatusResult struct {
	Session rpcapi.SessionStatus `json:"session"`
	Network rpcapi.NetworkStatus `json:"network"`
}

// Status prints the session and the network.
func Status(ctx context.Context, c Caller, w io.Writer, asJSON bool) error {
	var r StatusResult
	if err := c.Call(ctx, &r.Session, "lit_sessionStatus"); err != nil {
		return fmt.Errorf("session status: %w", err)
	}
	if err := c.Call(ctx, &r.Network, "lit_networkStatus"); err != nil {
		return fmt.Errorf("network status: %w", err)
	}
	if asJSON {
		return printJSON(w, r)
	}
	printSession(w, r.Session)
	printNetwork(w, r.Network)
	return nil
}

// printNetwork prints lit_networkStatus for a human.
func printNetwork(w io.Writer, n rpcapi.NetworkStatus) {
	mode := ""
	if n.Dev {
		mode = " (devnet of --dev)"
	}
	proto := n.Protocol
	if proto == "" {
		proto = "v2"
	}
	if n.Chain != nil && len(n.Nodes) == 0 && !n.Connected {
		// Naga reads its nodes and threshold from the chain at the first
		// call: "0 of 0" would read as an empty network.
		fmt.Fprintf(w, "network:  %s%s, protocol %s, nodes and threshold not read from the chain yet (the first call reads them)\n", n.Name, mode, proto)
	} else {
		fmt.Fprintf(w, "network:  %s%s, protocol %s, threshold %d of %d nodes\n", n.Name, mode, proto, n.Threshold, len(n.Nodes))
	}
	if n.Chain != nil {
		epoch := "not read yet"
		if n.Connected {
			epoch = fmt.Sprint(n.Epoch)
		}
		fmt.Fprintf(w, "          epoch %s; chain %d at %s\n", epoch, n.Chain.ChainID, n.Chain.RPCURL)
	}
	if n.Reissues > 0 {
		fmt.Fprintf(w, "          %d call(s) re-issued to other nodes; last: %s\n", n.Reissues, n.LastReissue)
	}
	if p := n.Payment; p != nil {
		balance := "unknown"
		if p.Balance != nil {
			balance = *p.Balance + " wei"
			if p.StableBalance != nil {
				balance += " (stable " + *p.StableBalance + " wei)"
			}
		}
		account := p.Account
		if account == "" {
			account = "the session's account (no session yet)"
		}
		fmt.Fprintf(w, "payment:  %s pays, balance %s, maxPrice %s wei per call\n", account, balance, p.MaxPrice)
		if p.Error != "" {
			fmt.Fprintf(w, "          (balance not read: %s)\n", p.Error)
		}
		if p.Note != "" {
			fmt.Fprintf(w, "          (%s)\n", p.Note)
		}
	}
	for _, nd := range n.Nodes {
		var state string
		switch nd.State {
		case "up":
			state = fmt.Sprintf("up, %.1f ms", nd.LastLatencyMs)
		case "down":
			state = "down: " + nd.LastError
		default:
			state = "unknown (not contacted yet)"
		}
		if nd.Price != "" {
			state += ", price " + nd.Price + " wei"
		}
		if nd.ExecLatencyMs > 0 {
			state += fmt.Sprintf(", exec %.1f ms", nd.ExecLatencyMs)
		}
		if nd.Slow {
			state += ", slow"
		}
		if nd.BadShares > 0 {
			state += fmt.Sprintf(", %d bad share set(s)", nd.BadShares)
		}
		if nd.Attestation == lit.AttestationVerified {
			state += ", attested"
		}
		if nd.State == "up" && nd.LastError != "" {
			state += "; last error: " + nd.LastError
		}
		fmt.Fprintf(w, "  %-28s %s\n", nd.URL, state)
	}
	for i, p := range n.PKPs {
		fmt.Fprintf(w, "pkp %d:    publicKey %s\n          address   %s\n", i, p.PublicKey, p.EthAddress)
	}
}

func printSession(w io.Writer, s rpcapi.SessionStatus) {
	switch s.State {
	case "active":
		fmt.Fprintf(w, "session:  active for %s until %s (%s left)\n", s.Address, s.ExpiresAt.Local().Format(time.RFC3339),
			time.Until(*s.ExpiresAt).Round(time.Second))
		fmt.Fprintf(w, "          session key %s, approved on %s\n", s.SessionPublicKey, s.Device)
		for _, r := range s.Resources {
			fmt.Fprintf(w, "          may run %s\n", r)
		}
	case "approving":
		fmt.Fprintf(w, "session:  waiting for approval on %s\n", s.Device)
	case "pairing":
		fmt.Fprintf(w, "session:  waiting for the pairing code of %s: %s\n", s.Device, s.Hint)
	default:
		fmt.Fprintln(w, "session:  none (the next exec or `litsigner session start` asks the device)")
	}
	fmt.Fprintf(w, "          %d approvals (%d prompts), %d calls (%d failed)\n", s.Approvals, s.ApprovalAttempts, s.Calls, s.CallErrors)
}

// SessionStart starts (or shows) the session, prompting the device.
func SessionStart(ctx context.Context, c Caller, ttl string, w io.Writer, asJSON bool) error {
	var p *rpcapi.StartSessionParams
	if ttl != "" {
		p = &rpcapi.StartSessionParams{TTL: ttl}
	}
	var st rpcapi.SessionStatus
	if err := c.Call(ctx, &st, "lit_startSession", p); err != nil {
		return fmt.Errorf("start session: %w", err)
	}
	if asJSON {
		return printJSON(w, st)
	}
	printSession(w, st)
	return nil
}

// SessionRevoke ends the session; the daemon wipes the key.
func SessionRevoke(ctx context.Context, c Caller, w io.Writer, asJSON bool) error {
	var did bool
	if err := c.Call(ctx, &did, "lit_revokeSession"); err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	if asJSON {
		return printJSON(w, map[string]bool{"revoked": did})
	}
	if did {
		fmt.Fprintln(w, "session revoked; the daemon wiped the session key")
	} else {
		fmt.Fprintln(w, "no session to revoke")
	}
	return nil
}

// Exec runs an action. When the action gets no publicKey and the daemon
// runs its devnet (--dev), the devnet's first PKP is filled in and a note
// goes to stderr, so the quick start needs no copy and paste.
func Exec(ctx context.Context, c Caller, req rpcapi.ExecuteJsParams, w, stderr io.Writer, asJSON bool) error {
	if _, ok := req.JSParams["publicKey"]; !ok {
		var ns rpcapi.NetworkStatus
		if err := c.Call(ctx, &ns, "lit_networkStatus"); err != nil {
			return fmt.Errorf("network status: %w", err)
		}
		if ns.Dev && len(ns.PKPs) > 0 {
			if req.JSParams == nil {
				req.JSParams = map[string]any{}
			}
			req.JSParams["publicKey"] = ns.PKPs[0].PublicKey
			fmt.Fprintf(stderr, "litsigner: no publicKey param: using the devnet's PKP %s (address %s)\n", ns.PKPs[0].PublicKey, ns.PKPs[0].EthAddress)
		}
	}
	var res rpcapi.ExecuteResult
	if err := c.Call(ctx, &res, "lit_executeJs", req); err != nil {
		return fmt.Errorf("exec: %w", err)
	}
	if asJSON {
		return printJSON(w, res)
	}
	names := make([]string, 0, len(res.Signatures))
	for n := range res.Signatures {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := res.Signatures[n]
		fmt.Fprintf(w, "signature %s:\n  signature  %s\n  r          %s\n  s          %s\n  recid      %d\n  publicKey  %s\n  dataSigned %s\n",
			n, s.Signature, s.R, s.S, s.RecID, s.PublicKey, s.DataSigned)
	}
	if res.Response != nil && res.Response != "" {
		fmt.Fprintf(w, "response: %s\n", jsonCompact(res.Response))
	}
	if res.Logs != "" {
		fmt.Fprintf(w, "logs:\n%s", res.Logs)
		if res.Logs[len(res.Logs)-1] != '\n' {
			fmt.Fprintln(w)
		}
	}
	if len(names) == 0 && (res.Response == nil || res.Response == "") && res.Logs == "" {
		fmt.Fprintln(w, "the action ran and returned nothing")
	}
	return nil
}

// WalletUnlock sends Trezor PIN matrix positions to the pending request.
func WalletUnlock(ctx context.Context, c Caller, positions string, w io.Writer) error {
	if err := c.Call(ctx, nil, "wallet_unlock", positions); err != nil {
		return fmt.Errorf("wallet unlock: %w", err)
	}
	fmt.Fprintln(w, "PIN sent to the device")
	return nil
}

// WalletPair sends the pairing code a Trezor Safe 7 shows to the daemon's
// pending pairing.
func WalletPair(ctx context.Context, c Caller, code string, w io.Writer) error {
	if err := c.Call(ctx, nil, "wallet_pair", code); err != nil {
		return fmt.Errorf("wallet pair: %w", err)
	}
	fmt.Fprintln(w, "pairing code sent to the device")
	return nil
}
