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
// once. Otherwise it keeps the connection for the replies and registers it
// with hangups, one epoll instance for the process that waits for POLLHUP or
// POLLERR on every half-closed connection (registered with no events, so
// nothing else wakes it) and calls the connection's gone function. Go's
// netpoller cannot do this: it waits for readability, which a half-closed
// socket has for good. One goroutine, and so one OS thread blocked in
// epoll_wait, serves all half-closed connections; it exits when none is left,
// so it outlives no server. A reply write that fails cancels the calls too
// (serverConn.Write).

// peerHungUp reports whether conn's peer has closed both directions (POLLHUP)
// or left an error on the socket (POLLERR), without blocking.
func peerHungUp(conn net.Conn) (bool, error) {
	fd, err := dupFD(conn)
	if err != nil {
		return false, err
	}
	defer unix.Close(fd)
	fds := []unix.PollFd{{Fd: int32(fd)}}
	for {
		_, err = unix.Poll(fds, 0)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		return false, fmt.Errorf("ipc: poll socket: %w", err)
	}
	return fds[0].Revents&(unix.POLLHUP|unix.POLLERR) != 0, nil
}

// hangups is the process's hangup poller.
var hangups = &hangupPoller{epfd: -1, watches: make(map[uint32]hangupEntry)}

// hangupPoller calls a function when the peer of a registered socket hangs
// up. Watches are keyed by an id carried in the epoll event, so an event
// for a watch removed meanwhile (whose descriptor number may be reused) is
// recognised and dropped.
type hangupPoller struct {
	mu      sync.Mutex
	epfd    int // epoll instance, created on first use and kept
	wake    int // eventfd in epfd that makes the goroutine re-check
	nextID  uint32
	watches map[uint32]hangupEntry
	running bool // the goroutine is running (or about to)
}

type hangupEntry struct {
	fd   int // our duplicate of the socket descriptor
	gone func()
}

// wakeID is the epoll id of the eventfd (watch ids skip it).
const wakeID = 0

// watch calls gone once conn's peer has closed both directions, unless the
// returned stop function is called first (stop may be called any number of
// times, also after gone).
func (p *hangupPoller) watch(conn net.Conn, gone func()) (stop func(), err error) {
	fd, err := dupFD(conn)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.init(); err != nil {
		unix.Close(fd)
		return nil, err
	}
	id := p.nextID + 1
	for id == wakeID || p.hasWatch(id) {
		id++
	}
	p.nextID = id
	// Events 0: epoll reports EPOLLHUP and EPOLLERR regardless.
	ev := unix.EpollEvent{Fd: int32(id)}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("ipc: watch for hangup: epoll_ctl: %w", err)
	}
	p.watches[id] = hangupEntry{fd: fd, gone: gone}
	if !p.running {
		p.running = true
		go p.loop()
	}
	return func() { p.remove(id) }, nil
}

func (p *hangupPoller) hasWatch(id uint32) bool {
	_, ok := p.watches[id]
	return ok
}

// init creates the epoll instance and its wake-up eventfd; p.mu is held.
func (p *hangupPoller) init() error {
	if p.epfd >= 0 {
		return nil
	}
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return fmt.Errorf("ipc: watch for hangup: epoll_create: %w", err)
	}
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return fmt.Errorf("ipc: watch for hangup: eventfd: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: wakeID}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wake, &ev); err != nil {
		unix.Close(wake)
		unix.Close(epfd)
		return fmt.Errorf("ipc: watch for hangup: epoll_ctl: %w", err)
	}
	p.epfd, p.wake = epfd, wake
	return nil
}

// remove ends a watch (a no-op once ended) and, if it was the last, wakes
// the goroutine so that it exits.
func (p *hangupPoller) remove(id uint32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.watches[id]
	if !ok {
		return
	}
	delete(p.watches, id)
	unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, e.fd, nil) // closing e.fd removes it anyway
	unix.Close(e.fd)
	if len(p.watches) == 0 {
		var one = [8]byte{1}
		unix.Write(p.wake, one[:]) // fails only with EAGAIN when already signalled
	}
}

// loop waits for hangups until no watch is left.
func (p *hangupPoller) loop() {
	events := make([]unix.EpollEvent, 16)
	for {
		n, err := unix.EpollWait(p.epfd, events, -1)
		if err != nil && !errors.Is(err, unix.EINTR) {
			// Cannot happen with valid arguments; rather than spin, give up
			// on every watch: their peers are treated as gone.
			p.failAll()
			return
		}
		var gone []func()
		p.mu.Lock()
		for _, ev := range events[:max(n, 0)] {
			id := uint32(ev.Fd)
			if id == wakeID {
				var buf [8]byte
				unix.Read(p.wake, buf[:])
				continue
			}
			if e, ok := p.watches[id]; ok {
				delete(p.watches, id)
				unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, e.fd, nil)
				unix.Close(e.fd)
				gone = append(gone, e.gone)
			}
		}
		exit := len(p.watches) == 0
		if exit {
			p.running = false
		}
		p.mu.Unlock()
		for _, f := range gone {
			f()
		}
		if exit {
			return
		}
	}
}

// failAll ends every watch as if its peer hung up.
func (p *hangupPoller) failAll() {
	p.mu.Lock()
	var gone []func()
	for id, e := range p.watches {
		delete(p.watches, id)
		unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, e.fd, nil)
		unix.Close(e.fd)
		gone = append(gone, e.gone)
	}
	p.running = false
	p.mu.Unlock()
	for _, f := range gone {
		f()
	}
}

// dupFD returns a close-on-exec duplicate of conn's descriptor: the poller
// owns it, so closing conn cannot race with an epoll_ctl on a reused number.
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
