package daemon

import (
	"context"
	"fmt"
	"sync"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/lit"
)

// sessionLease is a session in use by one call. Release it when the call is over;
// the key memory is only released when no lease holds it.
type sessionLease struct {
	s    *sessionManager
	l    *liveSession
	once sync.Once
}

// Session is the leased session.
func (le *sessionLease) Session() *lit.Session { return le.l.sess }

// Context returns ctx, also cancelled (cause errSessionEnded) when the
// session is revoked, expires or the daemon stops.
func (le *sessionLease) Context(ctx context.Context) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(le.l.ctx, func() { cancel(context.Cause(le.l.ctx)) })
	return c, func() { stop(); cancel(context.Canceled) }
}

// Release returns the lease; err is the call's outcome, counted in status.
func (le *sessionLease) Release(err error) { le.release(true, err) }

// release drops the lease once; counted says whether it was an API call.
func (le *sessionLease) release(counted bool, err error) {
	le.once.Do(func() {
		le.s.mu.Lock()
		defer le.s.mu.Unlock()
		if counted {
			le.s.stats.Calls++
			if err != nil {
				le.s.stats.CallErrors++
			}
		}
		l := le.l
		l.refs--
		if l.refs == 0 && l.retired {
			le.s.endLocked(l, errSessionEnded)
		}
		if l.refs == 0 && l.ended {
			le.s.freeLocked(l)
		}
	})
}

// walletSigner adapts a hardware wallet account to lit.PersonalSigner.
type walletSigner struct {
	w    hwwallet.Wallet
	path accounts.DerivationPath
	addr common.Address
}

// Address is the account address.
func (w walletSigner) Address() common.Address { return w.addr }

// SignPersonalMessage asks the device to approve.
func (w walletSigner) SignPersonalMessage(ctx context.Context, msg []byte) ([]byte, error) {
	sig, signer, err := w.w.SignPersonalMessage(ctx, w.path, msg)
	if err != nil {
		return nil, err
	}
	if signer != w.addr {
		return nil, fmt.Errorf("device signed with %s, want %s: %w", signer.Hex(), w.addr.Hex(), hwwallet.ErrBadReply)
	}
	return sig, nil
}
