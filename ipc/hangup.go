package ipc

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// A client that has written its last request may shut down its write side
// (shutdown(SHUT_WR): ethers v5's IpcProvider, `nc -N`, socat) and still read
// the replies; the server then reads EOF. A client that went away also makes
// the read return EOF. The two differ in what Linux reports on our socket:
//
//   - peer shut down writing only: POLLIN|POLLRDHUP (our side may still write);
//   - peer closed the socket (or shut down both directions): POLLHUP as well,
//     plus POLLERR when it left our replies unread (ECONNRESET).
//
// So on EOF the connection asks poll(2) once, without waiting, whether POLLHUP
// or POLLERR is set: if so the client is gone and its calls are cancelled at
// once. Otherwise it keeps the connection for the replies and watches for the
// client closing the rest of the way: a goroutine blocks in poll(2) on a
// duplicate of the socket descriptor (events 0: only POLLHUP and POLLERR can
// wake it) and an eventfd that Close signals. Go's netpoller cannot be used
// for this: it watches readability, which a half-closed socket has for good.
// The goroutine holds an OS thread only while a half-closed connection still
// has calls in flight. A reply write that fails cancels the calls too (see
// serverConn.Write).

// hangupWatch is the goroutine waiting for the peer of a half-closed
// connection to close its side entirely.
type hangupWatch struct {
	mu      sync.Mutex
	wake    int // eventfd that stops the poll; -1 once the goroutine is done
	stopped bool
}

// peerHungUp reports whether conn's peer has closed both directions (POLLHUP)
// or left an error on the socket (POLLERR), without blocking.
func peerHungUp(conn net.Conn) (bool, error) {
	fd, err := dupFD(conn)
	if err != nil {
		return false, err
	}
	defer unix.Close(fd)
	fds := []unix.PollFd{{Fd: int32(fd)}}
	if _, err := pollRetry(fds, 0); err != nil {
		return false, fmt.Errorf("ipc: poll socket: %w", err)
	}
	return fds[0].Revents&(unix.POLLHUP|unix.POLLERR) != 0, nil
}

// watchHangup starts a goroutine that calls gone once conn's peer has closed
// both directions, unless stop is called first. The goroutine owns a
// duplicate of the socket descriptor, so closing conn does not race with it.
func watchHangup(conn net.Conn, gone func()) (*hangupWatch, error) {
	fd, err := dupFD(conn)
	if err != nil {
		return nil, err
	}
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("ipc: watch for hangup: eventfd: %w", err)
	}
	w := &hangupWatch{wake: wake}
	go func() {
		fds := []unix.PollFd{{Fd: int32(fd)}, {Fd: int32(wake), Events: unix.POLLIN}}
		_, err := pollRetry(fds, -1)
		w.mu.Lock()
		stopped := w.stopped
		unix.Close(fd)
		unix.Close(wake)
		w.wake = -1
		w.mu.Unlock()
		// POLLNVAL or a poll error would leave us blind: treat it as the
		// peer being gone rather than keep calls of a client we cannot see.
		if !stopped && (err != nil || fds[0].Revents != 0) {
			gone()
		}
	}()
	return w, nil
}

// stop ends the watch without calling gone (a no-op once it has ended).
func (w *hangupWatch) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	if w.wake >= 0 {
		var one = [8]byte{1}
		unix.Write(w.wake, one[:]) // cannot fail but with EAGAIN when already signalled
	}
}

// pollRetry is poll(2), retried on EINTR (Go's signal handling interrupts
// blocking system calls).
func pollRetry(fds []unix.PollFd, timeoutMs int) (int, error) {
	for {
		n, err := unix.Poll(fds, timeoutMs)
		if !errors.Is(err, unix.EINTR) {
			return n, err
		}
	}
}

// dupFD returns a close-on-exec duplicate of conn's descriptor.
func dupFD(conn net.Conn) (int, error) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return -1, fmt.Errorf("ipc: %T has no file descriptor", conn)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, fmt.Errorf("ipc: socket descriptor: %w", err)
	}
	fd, dupErr := -1, error(nil)
	if err := rc.Control(func(s uintptr) { fd, dupErr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return -1, fmt.Errorf("ipc: socket descriptor: %w", err)
	}
	if dupErr != nil {
		return -1, fmt.Errorf("ipc: duplicate socket descriptor: %w", dupErr)
	}
	return fd, nil
}
