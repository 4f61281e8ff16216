// Package timerslack gives litsignerd's threads a timer slack of Slack,
// set before the Go runtime starts them (a C constructor runs on the only
// thread there is, and every thread the runtime creates inherits it).
//
// Why: litsignerd mostly waits for Lit nodes, so it leaves and enters idle
// spells hundreds of times a second. Each time, the Go runtime's monitor
// thread (sysmon) polls every 20 µs until the process is idle again; under
// the kernel's default slack of 50 µs those wake-ups were 13 % of
// litsignerd's CPU per call in a profile at 8 clients, and a fifth at one
// client (daemon's BenchmarkCPUPerCall). With 1 ms of slack the kernel
// folds them into other wake-ups. The slack delays only timer expiries
// (time.Sleep, timeouts, tickers: by at most Slack), never a wake-up for
// I/O, and the runtime's duties that sysmon times (taking the processor
// from a long system call, pre-empting a goroutine after 10 ms) come at
// most Slack later.
//
// A slack the process was started with (systemd's TimerSlackNSec=, a
// parent's prctl) is kept: the constructor sets Slack only over the
// kernel's default.
package timerslack

import "time"

// Slack is the timer slack litsignerd's threads get.
const Slack = time.Millisecond

// kernelDefault is Linux's default timer slack (50 µs).
const kernelDefault = 50 * time.Microsecond
