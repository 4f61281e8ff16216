package daemon

import "github.com/litsigner/litsigner/lit/gcpace"

// daemonGCCycle is the least a GC cycle of litsignerd may allocate (see
// package gcpace), unless the GOGC environment variable is set.
//
// litsignerd's live heap base is a few MB (heap, and the stacks of the
// connections' goroutines) while a call allocates ~100 KB: under GOGC=100
// a burst of calls collected every ~30 calls, and each collection scanned
// hundreds of goroutine stacks: 15 % of the daemon's CPU in a profile of
// daemon's BenchmarkCPUPerCall at 8 clients, 11 % with cycles of 16 MiB,
// 7 % with 32 MiB. The cost is up to 32 MiB more heap while calls run; an
// idle daemon gives it back (idleMemory), and one that has run no call yet
// has had no cycle paced (gcpace.Start).
const daemonGCCycle = 32 << 20

// paceGC paces the GC for daemonGCCycle unless getenv("GOGC") is set (the
// runtime has then applied that value). It reports whether it did.
func paceGC(getenv func(string) string) bool {
	if getenv("GOGC") != "" {
		return false
	}
	gcpace.Start(daemonGCCycle)
	return true
}
