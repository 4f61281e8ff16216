package ipc

import (
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/coreos/go-systemd/v22/activation"
)

// ActivationName is the FileDescriptorName= our socket unit gives the fd.
const ActivationName = "rpc"

// ActivationListener returns the listener systemd passed by socket
// activation: the one named "rpc", or the only one when it is unnamed. ok is
// false when the process was not socket-activated. It reads (and unsets)
// LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES, so call it once, at startup. Passed
// sockets it does not use are closed.
func ActivationListener() (l net.Listener, ok bool, err error) {
	named, err := activation.ListenersWithNames()
	if err != nil {
		return nil, false, fmt.Errorf("ipc: socket activation: %w", err)
	}
	return selectActivated(named)
}

// selectActivated picks our listener from ListenersWithNames' result and
// closes the others.
func selectActivated(named map[string][]net.Listener) (net.Listener, bool, error) {
	var names []string
	total := 0
	for name, ls := range named {
		for _, l := range ls {
			if l != nil {
				total++
				names = append(names, name)
			}
		}
	}
	if total == 0 {
		return nil, false, nil
	}
	var chosen net.Listener
	if ls := named[ActivationName]; len(ls) > 0 && ls[0] != nil {
		chosen = ls[0]
	} else if total == 1 && strings.HasPrefix(names[0], "LISTEN_FD_") {
		for _, l := range named[names[0]] {
			if l != nil {
				chosen = l
			}
		}
	}
	for _, ls := range named {
		for _, l := range ls {
			if l != nil && l != chosen {
				l.Close()
			}
		}
	}
	if chosen == nil {
		slices.Sort(names)
		return nil, false, fmt.Errorf("ipc: socket activation passed %d sockets (%s), none named %q", total, strings.Join(names, ", "), ActivationName)
	}
	if network := chosen.Addr().Network(); network != "unix" {
		chosen.Close()
		return nil, false, fmt.Errorf("ipc: socket activation: socket %q is %s, want a unix stream socket", ActivationName, network)
	}
	return chosen, true, nil
}
