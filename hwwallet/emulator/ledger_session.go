package emulator

// LedgerSession is one host connection to the emulated Ledger at the APDU
// level, for transports that carry whole APDUs instead of HID reports
// (Speculos' TCP protocol, see hwwallet/emulator/serve). Like a cable from
// Transport, each session has its own app state, starting idle. A session
// is used by one goroutine at a time.
type LedgerSession struct {
	app *ledgerApp
}

// Session opens an APDU-level session. done is closed when the host goes
// away: a prompt on screen is then abandoned.
func (l *Ledger) Session(done <-chan struct{}) *LedgerSession {
	return &LedgerSession{app: &ledgerApp{keys: l.keys, b: l.b, done: done}}
}

// Exchange answers one APDU (CLA INS P1 P2 Lc data) with the reply data
// followed by the status word. ok is false when the prompt was abandoned
// because done closed; there is no reply then.
func (s *LedgerSession) Exchange(cmd []byte) (reply []byte, ok bool) {
	return s.app.handle(cmd)
}
