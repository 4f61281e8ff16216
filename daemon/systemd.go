package daemon

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	sddaemon "github.com/coreos/go-systemd/v22/daemon"
)

// sdNotifier sends sd_notify(3) state changes to the service manager. Without
// NOTIFY_SOCKET (not started by systemd) every method is a no-op. Errors are
// logged once: a broken notify socket must not stop the daemon.
type sdNotifier struct {
	log     *slog.Logger
	errOnce sync.Once
}

// newSDNotifier returns an sdNotifier that logs its first failure to log.
func newSDNotifier(log *slog.Logger) *sdNotifier {
	return &sdNotifier{log: log}
}

func (n *sdNotifier) send(state string) {
	// unset=false: the watchdog keeps pinging through the same variable.
	if _, err := sddaemon.SdNotify(false, state); err != nil {
		n.errOnce.Do(func() { n.log.Warn("sd_notify failed", "state", state, "err", err) })
	}
}

// Ready tells systemd the socket is served (READY=1).
func (n *sdNotifier) Ready() { n.send(sddaemon.SdNotifyReady) }

// Stopping tells systemd a graceful stop began (STOPPING=1).
func (n *sdNotifier) Stopping() { n.send(sddaemon.SdNotifyStopping) }

// Status sets the one-line status shown by systemctl status.
func (n *sdNotifier) Status(format string, args ...any) {
	n.send("STATUS=" + fmt.Sprintf(format, args...))
}

// Watchdog pings the watchdog (WATCHDOG=1).
func (n *sdNotifier) Watchdog() { n.send(sddaemon.SdNotifyWatchdog) }

// WatchdogInterval is the ping interval: half of WatchdogSec, or 0 when the
// watchdog is off for this process.
func (n *sdNotifier) WatchdogInterval() time.Duration {
	d, err := sddaemon.SdWatchdogEnabled(false)
	if err != nil {
		n.log.Warn("watchdog settings ignored", "err", err)
		return 0
	}
	return d / 2
}
