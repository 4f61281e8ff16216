package ipc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/rpc"
)

// Defaults applied by NewServer to zero ServerOptions fields.
const (
	DefaultMaxRequestBytes = 4 << 20 // unanswered input per connection
	DefaultBatchItems      = 100
	DefaultBatchBytes      = 1 << 20 // response bytes of one batch
	DefaultConnCalls       = 64      // calls in flight per connection
	DefaultServerCalls     = 1024    // calls in flight on all connections
)

// ServerOptions configures a Server. Zero fields take the defaults above.
type ServerOptions struct {
	// AllowedUIDs are uids besides our own whose processes may connect.
	AllowedUIDs []int
	// MaxRequestBytes caps the bytes a connection may send before it gets an
	// answer (see the package documentation).
	MaxRequestBytes int64
	// BatchItems and BatchBytes are go-ethereum's batch limits (items per
	// batch, response bytes per batch).
	BatchItems int
	BatchBytes int
	// ConnCalls and ServerCalls bound the calls in flight (a batch counts
	// as one) on one connection and on all of them: at the bound, the
	// server reads a connection's next request once an answer went out.
	ConnCalls   int
	ServerCalls int
	// ChainID is answered by eth_chainId (default DefaultChainID).
	ChainID uint64
	// Version is reported by web3_clientVersion as "litsigner/<Version>"
	// (default "dev").
	Version string
	// Logger receives connection events (refusals at Warn). Nil discards.
	Logger *slog.Logger
	// ConnClosed, if set, is called after a served connection has closed
	// and its calls have returned.
	ConnClosed func()
}

// Server serves JSON-RPC on Unix socket listeners; see the package doc.
type Server struct {
	opts ServerOptions
	rpc  *rpc.Server
	log  *slog.Logger

	mu        sync.Mutex
	closed    bool
	done      chan struct{}
	listeners map[net.Listener]struct{}
	conns     map[*serverConn]struct{}
	wg        sync.WaitGroup

	calls chan struct{} // the server's call slots (see callSlots)
}

// nextConnID numbers connections process-wide (ids key the registry).
var nextConnID atomic.Uint64

// NewServer returns a server answering rpc_modules, eth_chainId and
// web3_clientVersion; add the daemon's namespaces with RegisterName.
func NewServer(opts ServerOptions) *Server {
	if opts.MaxRequestBytes <= 0 {
		opts.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if opts.BatchItems <= 0 {
		opts.BatchItems = DefaultBatchItems
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = DefaultBatchBytes
	}
	if opts.ConnCalls <= 0 {
		opts.ConnCalls = DefaultConnCalls
	}
	if opts.ServerCalls <= 0 {
		opts.ServerCalls = DefaultServerCalls
	}
	if opts.ChainID == 0 {
		opts.ChainID = DefaultChainID
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		opts:      opts,
		rpc:       rpc.NewServer(),
		log:       log,
		done:      make(chan struct{}),
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*serverConn]struct{}),
		calls:     make(chan struct{}, opts.ServerCalls),
	}
	s.rpc.SetBatchLimits(opts.BatchItems, opts.BatchBytes)
	// Both receivers have valid methods, so registration cannot fail; an
	// error would still be logged rather than ignored.
	if err := s.rpc.RegisterName("eth", &ethService{chainID: opts.ChainID}); err != nil {
		log.Error("ipc: register eth", "err", err)
	}
	if err := s.rpc.RegisterName("web3", &web3Service{version: opts.Version}); err != nil {
		log.Error("ipc: register web3", "err", err)
	}
	return s
}

// RegisterName exposes receiver's exported methods as ns_method (first letter
// lowercased), following go-ethereum's rules. The eth, web3 and rpc
// namespaces are reserved.
func (s *Server) RegisterName(ns string, receiver any) error {
	switch ns {
	case "eth", "web3", "rpc":
		return fmt.Errorf("ipc: register %q: namespace is reserved", ns)
	}
	if err := s.rpc.RegisterName(ns, receiver); err != nil {
		return fmt.Errorf("ipc: register %q: %w", ns, err)
	}
	return nil
}

// Serve accepts connections on l until Shutdown (then it returns
// ErrServerClosed) or a permanent accept error. Serve may run on several
// listeners at once; Shutdown closes them all.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
	}()

	backoff := 5 * time.Millisecond
	for {
		conn, err := l.Accept()
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			if !retryableAccept(err) {
				return fmt.Errorf("ipc: accept: %w", err)
			}
			s.log.Warn("ipc: accept failed, retrying", "err", err, "in", backoff)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-s.done:
				t.Stop()
				return ErrServerClosed
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		s.wg.Add(1)
		go s.serveConn(conn)
	}
}

func retryableAccept(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	for _, e := range []error{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED, syscall.EINTR} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *Server) uidAllowed(uid int) bool {
	return uid == os.Geteuid() || slices.Contains(s.opts.AllowedUIDs, uid)
}

// refuse writes one error line to a peer we will not serve, then closes.
func refuse(conn net.Conn, msg string) {
	conn.SetWriteDeadline(time.Now().Add(errorLineTimeout))
	conn.Write(marshalErrorLine(CodeConnectionRefused, msg))
	conn.Close()
}

func (s *Server) serveConn(conn net.Conn) {
	defer s.wg.Done()
	peer, err := peerCredentials(conn)
	if err != nil {
		s.log.Warn("ipc: refusing connection", "err", err)
		refuse(conn, "connection refused: cannot read peer credentials")
		return
	}
	if !s.uidAllowed(peer.UID) {
		s.log.Warn("ipc: refusing connection from another user", "uid", peer.UID, "pid", peer.PID, "exe", peer.Exe)
		refuse(conn, fmt.Sprintf("connection refused: peer uid %d is not allowed (only uid %d and configured allowed-uids)", peer.UID, os.Geteuid()))
		return
	}
	peer.ConnID = nextConnID.Add(1)
	ctx, cancel := context.WithCancelCause(context.Background())
	sc := newServerConn(conn, peer, cancel, s.opts.MaxRequestBytes, newCallSlots(ctx, s.opts.ConnCalls, s.calls, s.opts.BatchItems), s.log)
	defer sc.Close()

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.conns[sc] = struct{}{}
	s.mu.Unlock()
	registerConn(peer, ctx)
	defer func() {
		unregisterConn(peer.ConnID)
		s.mu.Lock()
		delete(s.conns, sc)
		s.mu.Unlock()
		if s.opts.ConnClosed != nil {
			s.opts.ConnClosed()
		}
	}()

	s.log.Debug("ipc: connection", "conn", peer.ConnID, "pid", peer.PID, "uid", peer.UID, "exe", peer.Exe)
	s.rpc.ServeCodec(rpc.NewCodec(sc), 0)
}

// shutdownAnswerWait bounds how long Shutdown waits for the answers of the
// calls it cancelled before it closes their connections.
const shutdownAnswerWait = 2 * time.Second

// Shutdown stops accepting, cancels every connection's context (cause
// ErrServerClosed), lets the cancelled calls write their answers (for up to
// shutdownAnswerWait), closes the connections and waits until their
// handlers have returned or ctx is done. Listeners made by Listen remove their socket
// file when closed; activated ones do not.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
	var errs []error
	for l := range s.listeners {
		if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, fmt.Errorf("ipc: close listener: %w", err))
		}
	}
	conns := make([]*serverConn, 0, len(s.conns))
	for sc := range s.conns {
		sc.cancel(ErrServerClosed)
		conns = append(conns, sc)
	}
	s.mu.Unlock()

	// The calls in flight now see their CallContext cancelled and answer
	// (the daemon's "stopping" error): let those answers go out before the
	// connections close, for a moment (shutdownAnswerWait) and within ctx.
	wait, stop := context.WithTimeout(ctx, shutdownAnswerWait)
	for _, sc := range conns {
		if !sc.calls.waitAnswered(wait) {
			break
		}
	}
	stop()

	// Stop closes every codec, which closes our connections; go-ethereum then
	// waits for the calls still in flight.
	s.rpc.Stop()

	waited := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(waited)
	}()
	select {
	case <-waited:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("ipc: shutdown: handlers still running: %w", ctx.Err()))
	}
	return errors.Join(errs...)
}
