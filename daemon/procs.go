package daemon

import "runtime"

// daemonProcs is how many threads litsignerd runs Go code on (GOMAXPROCS)
// unless the GOMAXPROCS environment variable says otherwise.
//
// A call's work is a fan-out of ten small HTTP requests and a little
// crypto: the daemon mostly waits for nodes. With more than one P, every
// reply that arrives while the other Ps sleep wakes a second thread, and
// the runtime's monitor thread, woken again each time the process leaves
// an idle spell, polls every 20 µs until it is idle again; on a 2-core
// machine these wake-ups were about a fifth of the daemon's CPU per call
// (daemon's BenchmarkCPUPerCall: 2.3–2.7 ms per call with two Ps,
// 1.7–2.1 ms with one, at 1, 8 and 64 clients, with p99 at 64 clients no
// worse). One P still serves several hundred calls a second, more than a
// desktop's apps bring. The devnet child that --dev starts is another
// process and keeps the default.
const daemonProcs = 1

// limitProcs applies daemonProcs unless getenv("GOMAXPROCS") is set (the
// runtime has then applied that value) and returns the GOMAXPROCS in force.
func limitProcs(getenv func(string) string) int {
	if getenv("GOMAXPROCS") != "" {
		return runtime.GOMAXPROCS(0)
	}
	runtime.GOMAXPROCS(daemonProcs)
	return daemonProcs
}
