package devnet

import "github.com/litsigner/litsigner/lit/gcpace"

// The devnet child's GC pacing (package gcpace).
//
// With the default GOGC=100 the GC runs each time the program has
// allocated as much as its live heap (plus stacks and globals). The devnet's
// live heap is small (some MB) while each node request allocates ~100 KB,
// so under load the child collected dozens of times a second, a fifth of
// its CPU. The child therefore paces its GC so that a cycle may allocate at
// least minGCCycle bytes: with a live heap base B, the next cycle allocates
// at most max(B, minGCCycle), never less than under GOGC=100.
//
// Why the action memory accounting stays correct (action/memory.go): the
// watchdog charges heap growth to the runs that executed JavaScript and
// reduces the charges only when the heap shrinks, i.e. after a collection.
// So between two collections the active runs together are charged at most
// what the process allocated during the cycle. Under GOGC=100 that is B; here
// it is max(B, minGCCycle). Where the two differ (B < minGCCycle), the
// extra charge is below minGCCycle (32 MiB), far from any run's limit
// (256 MiB by default, never below what a real action needs) and from the
// shared budget (at least 256 MiB); where B >= minGCCycle nothing changes.
// A run that really keeps memory raises B itself, which brings the percent
// back to 100. Growth is still charged as soon as it is sampled, so a memory
// bomb is caught exactly as early as before. The process's soft memory
// limit (limitMemory) still forces collections near the RLIMIT_DATA cap,
// whatever the percent.
const minGCCycle = 32 << 20

// startGCTuner paces the child's GC for the rest of its life.
func startGCTuner() { gcpace.Start(minGCCycle) }
