package ipc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/rpc"
)

// clientWriteTimeout bounds each request write of the Client.
const clientWriteTimeout = 10 * time.Second

// Client is a JSON-RPC client of litsignerd for the CLI. It is safe for
// concurrent use.
type Client struct {
	path  string
	conn  net.Conn
	rpc   *rpc.Client
	sniff *sniffer
}

// Dial connects to the daemon's socket at path (DefaultSocketPath when
// empty). ctx bounds connecting only. Errors meaning the daemon is absent
// match ErrDaemonUnreachable and read as a sentence for the user.
func Dial(ctx context.Context, path string) (*Client, error) {
	defaultPath := path == ""
	if defaultPath {
		p, err := DefaultSocketPath()
		if err != nil {
			return nil, &UnreachableError{Err: err,
				Reason: fmt.Sprintf("cannot locate litsignerd's socket: %v", err)}
		}
		path = p
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, dialError(path, !defaultPath, err)
	}
	if defaultPath {
		if err := checkServerUID(conn, path); err != nil {
			conn.Close()
			return nil, err
		}
	}
	ended, end := context.WithCancel(context.Background())
	sn := &sniffer{r: conn, done: make(chan struct{}), ended: ended, end: end}
	rc, err := rpc.DialIO(ctx, sn, deadlineWriter{conn})
	if err != nil {
		conn.Close()
		return nil, &UnreachableError{Path: path, Err: err,
			Reason: fmt.Sprintf("cannot talk to litsignerd at %s: %v", path, err)}
	}
	return &Client{path: path, conn: conn, rpc: rc, sniff: sn}, nil
}

// checkServerUID refuses a server of another uid on the default path.
func checkServerUID(conn net.Conn, path string) error {
	p, err := peerCredentials(conn)
	if err != nil {
		return fmt.Errorf("ipc: dial %s: %w", path, err)
	}
	if p.UID != os.Geteuid() {
		return fmt.Errorf("ipc: dial %s: refusing to talk to a litsignerd of uid %d (you are uid %d): %w", path, p.UID, os.Geteuid(), ErrForeignDaemon)
	}
	return nil
}

func dialError(path string, custom bool, err error) error {
	switch {
	case errors.Is(err, syscall.ENOENT):
		return notRunning(path, custom, err)
	case errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOTSOCK):
		// connect(2) refuses a regular file or a directory as it refuses a
		// socket nobody listens on; only the latter is a daemon that died.
		if fi, serr := os.Stat(path); serr == nil && fi.Mode().Type() != os.ModeSocket {
			return &UnreachableError{Path: path, Err: err,
				Reason: fmt.Sprintf("cannot connect to litsignerd: %s is not a socket", path)}
		}
		return &UnreachableError{Path: path, Err: err,
			Reason: fmt.Sprintf("litsignerd is not running: %s is a stale socket (nobody is listening); %s", path, startHint(path, custom))}
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return &UnreachableError{Path: path, Err: err,
			Reason: fmt.Sprintf("cannot connect to litsignerd at %s: permission denied (is it another user's daemon?)", path)}
	default:
		return &UnreachableError{Path: path, Err: err,
			Reason: fmt.Sprintf("cannot connect to litsignerd at %s: %v", path, err)}
	}
}

// Path returns the socket path the client is connected to.
func (c *Client) Path() string { return c.path }

// Call invokes method with args and decodes the result into result (a
// pointer, or nil to discard it). ctx bounds the call. Errors the server
// returned are *Error (code, message, data); a refused or lost connection
// matches ErrDaemonUnreachable; a cancelled ctx gives ctx's error.
func (c *Client) Call(ctx context.Context, result any, method string, args ...any) error {
	// go-ethereum's client closes the pending calls when its reader hits the
	// end of the connection, except the one whose request it is still
	// writing; if that write then succeeds, the call waits for ever (until
	// ctx). End such a call sniffDrainWait after the connection ended: any
	// reply read before the end has been delivered by then.
	callCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	lost := make(chan struct{})
	var (
		mu       sync.Mutex
		finished bool
		timer    *time.Timer
	)
	stop := context.AfterFunc(c.sniff.ended, func() {
		mu.Lock()
		defer mu.Unlock()
		if !finished {
			timer = time.AfterFunc(sniffDrainWait, func() { close(lost); cancel() })
		}
	})
	defer func() {
		stop()
		mu.Lock()
		finished = true
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
	}()
	err := c.rpc.CallContext(callCtx, result, method, args...)
	if err == nil {
		return nil
	}
	select {
	case <-lost:
		if ctx.Err() == nil {
			err = fmt.Errorf("connection ended: %w", io.ErrUnexpectedEOF)
		}
	default:
	}
	var rerr rpc.Error
	if errors.As(err, &rerr) {
		e := &Error{Code: rerr.ErrorCode(), Message: rerr.Error()}
		var derr rpc.DataError
		if errors.As(err, &derr) {
			e.Data = derr.ErrorData()
		}
		return e
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("ipc: call %s: %w", method, ctxErr)
	}
	// The server explains a refusal or an oversized request in one line
	// with id null before it closes; go-ethereum's client drops such lines.
	// A write can fail before the reader got there: give it a moment to
	// drain the socket.
	if isConnError(err) {
		t := time.NewTimer(sniffDrainWait)
		select {
		case <-c.sniff.done:
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
	if serr := c.sniff.serverError(); serr != nil {
		if serr.Code == CodeConnectionRefused {
			return &UnreachableError{Path: c.path, Err: serr, Reason: serr.Message}
		}
		return serr
	}
	if isConnError(err) {
		return &UnreachableError{Path: c.path, Err: err,
			Reason: fmt.Sprintf("lost the connection to litsignerd at %s: %v", c.path, err)}
	}
	return fmt.Errorf("ipc: call %s: %w", method, err)
}

func isConnError(err error) bool {
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, rpc.ErrClientQuit) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) ||
		errors.As(err, &ne)
}

// Close closes the connection.
func (c *Client) Close() error {
	// Closing the socket first unblocks go-ethereum's reader, which
	// rpc.Client.Close waits for.
	err := c.conn.Close()
	c.rpc.Close()
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("ipc: close: %w", err)
	}
	return nil
}

// deadlineWriter bounds each write (go-ethereum cannot set deadlines on the
// io.Writer DialIO takes).
type deadlineWriter struct{ conn net.Conn }

func (w deadlineWriter) Write(p []byte) (int, error) {
	w.conn.SetWriteDeadline(time.Now().Add(clientWriteTimeout))
	return w.conn.Write(p)
}

// sniffDrainWait bounds how long Call waits for the reader to see the end of
// a connection the server closed.
const sniffDrainWait = 500 * time.Millisecond

// sniffMaxLine bounds the lines the sniffer keeps; our id-null error lines
// are short, responses may be long and are skipped.
const sniffMaxLine = 4096

// sniffer passes the server's bytes through and remembers the last error
// line with id null.
type sniffer struct {
	r io.Reader

	line []byte // current line, unless skip
	skip bool   // current line is too long to be ours

	done     chan struct{} // closed when reading fails (EOF, closed)
	doneOnce sync.Once
	ended    context.Context // cancelled with done, for context.AfterFunc
	end      context.CancelFunc

	mu      sync.Mutex
	lastErr *Error
}

func (s *sniffer) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.feed(p[:n])
	if err != nil {
		s.doneOnce.Do(func() {
			close(s.done)
			s.end()
		})
	}
	return n, err
}

func (s *sniffer) feed(p []byte) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		seg := p
		if i >= 0 {
			seg = p[:i]
		}
		if !s.skip {
			if len(s.line)+len(seg) > sniffMaxLine {
				s.skip = true
				s.line = s.line[:0]
			} else {
				s.line = append(s.line, seg...)
			}
		}
		if i < 0 {
			return
		}
		if !s.skip {
			s.inspect(s.line)
		}
		s.line = s.line[:0]
		s.skip = false
		p = p[i+1:]
	}
}

func (s *sniffer) inspect(line []byte) {
	if !bytes.Contains(line, []byte(`"id":null`)) {
		return
	}
	var msg struct {
		ID    json.RawMessage `json:"id"`
		Error *struct {
			Code    int             `json:"code"`
			Message string          `json:"message"`
			Data    json.RawMessage `json:"data"`
		} `json:"error"`
	}
	if json.Unmarshal(line, &msg) != nil || msg.Error == nil || (len(msg.ID) > 0 && string(msg.ID) != "null") {
		return
	}
	e := &Error{Code: msg.Error.Code, Message: msg.Error.Message}
	if len(msg.Error.Data) > 0 {
		e.Data = msg.Error.Data
	}
	s.mu.Lock()
	s.lastErr = e
	s.mu.Unlock()
}

func (s *sniffer) serverError() *Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr
}
