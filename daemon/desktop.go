package daemon

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

// desktopTimeout bounds connecting to the session bus and each call: a
// missing or stuck notification daemon must never delay an approval.
const desktopTimeout = 2 * time.Second

// desktopNotifier shows freedesktop notifications (org.freedesktop.Notifications)
// on the user's session bus. It connects lazily, works asynchronously, and
// silently does nothing when there is no session bus.
type desktopNotifier struct {
	log *slog.Logger

	mu     sync.Mutex
	conn   *dbus.Conn
	failed bool // gave up connecting; do not retry
	closed bool
	wg     sync.WaitGroup
	queue  chan func(context.Context, *dbus.Conn)
	// connCancel ends the connection's context (see dial).
	connCancel context.CancelFunc
	current    uint32 // id of the notification on screen, 0 if none
	connect    func(ctx context.Context) (*dbus.Conn, error)
}

// newDesktopNotifier returns a notifier for the session bus of this process's
// environment (DBUS_SESSION_BUS_ADDRESS).
func newDesktopNotifier(log *slog.Logger) *desktopNotifier {
	return &desktopNotifier{log: log, connect: func(ctx context.Context) (*dbus.Conn, error) {
		return dbus.ConnectSessionBus(dbus.WithContext(ctx))
	}}
}

// Show replaces the current notification (if any) with a new one. It returns
// at once; delivery happens in the background.
func (d *desktopNotifier) Show(summary, body string) {
	d.async(func(ctx context.Context, c *dbus.Conn) {
		d.mu.Lock()
		replaces := d.current
		d.mu.Unlock()
		var id uint32
		err := c.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications").CallWithContext(ctx,
			"org.freedesktop.Notifications.Notify", 0,
			"litsignerd", replaces, "security-high", summary, body,
			[]string{}, map[string]dbus.Variant{"urgency": dbus.MakeVariant(byte(2))}, int32(-1)).Store(&id)
		if err != nil {
			d.log.Debug("desktop notification not shown", "err", err)
			return
		}
		d.mu.Lock()
		d.current = id
		d.mu.Unlock()
	})
}

// Dismiss closes the current notification, if any.
func (d *desktopNotifier) Dismiss() {
	d.async(func(ctx context.Context, c *dbus.Conn) {
		d.mu.Lock()
		id := d.current
		d.current = 0
		d.mu.Unlock()
		if id == 0 {
			return
		}
		call := c.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications").CallWithContext(ctx,
			"org.freedesktop.Notifications.CloseNotification", 0, id)
		if call.Err != nil {
			d.log.Debug("desktop notification not closed", "err", call.Err)
		}
	})
}

// async queues f to run with a connected bus on the worker goroutine, so
// notifications keep their order. A full queue drops f: notifications are
// a courtesy, never a reason to block.
func (d *desktopNotifier) async(f func(ctx context.Context, c *dbus.Conn)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed || d.failed {
		return
	}
	if d.queue == nil {
		d.queue = make(chan func(context.Context, *dbus.Conn), 16)
		d.wg.Add(1)
		go d.worker(d.queue)
	}
	select {
	case d.queue <- f:
	default:
	}
}

func (d *desktopNotifier) worker(queue <-chan func(context.Context, *dbus.Conn)) {
	defer d.wg.Done()
	for f := range queue {
		d.mu.Lock()
		c, failed := d.conn, d.failed
		d.mu.Unlock()
		if failed {
			continue
		}
		if c == nil {
			var err error
			if c, err = d.dial(); err != nil {
				d.mu.Lock()
				d.failed = true
				d.mu.Unlock()
				d.log.Debug("no session bus: desktop notifications off", "err", err)
				continue
			}
			d.mu.Lock()
			d.conn = c
			d.mu.Unlock()
		}
		ctx, cancel := context.WithTimeout(context.Background(), desktopTimeout)
		f(ctx, c)
		cancel()
	}
}

// dial connects within desktopTimeout. godbus ties a connection's life to
// the context it was made with, so the context lives until Close.
func (d *desktopNotifier) dial() (*dbus.Conn, error) {
	ctx, cancel := context.WithCancel(context.Background())
	type result struct {
		c   *dbus.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := d.connect(ctx)
		ch <- result{c, err}
	}()
	t := time.NewTimer(desktopTimeout)
	defer t.Stop()
	select {
	case r := <-ch:
		if r.err != nil {
			cancel()
			return nil, r.err
		}
		d.mu.Lock()
		d.connCancel = cancel
		d.mu.Unlock()
		return r.c, nil
	case <-t.C:
		// Cancelling closes the half-made connection, which ends the dial.
		cancel()
		if r := <-ch; r.c != nil {
			_ = r.c.Close()
		}
		return nil, errors.New("session bus did not answer in time")
	}
}

// Close lets queued notifications finish (each bounded by a short timeout)
// and disconnects.
func (d *desktopNotifier) Close() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed = true
	if d.queue != nil {
		close(d.queue)
	}
	d.mu.Unlock()
	d.wg.Wait()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn != nil {
		_ = d.conn.Close()
		d.conn = nil
	}
	if d.connCancel != nil {
		d.connCancel()
	}
}
