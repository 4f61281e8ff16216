//go:build !linux || !cgo

package timerslack

// Set reports whether the process's threads got Slack at its start: never
// without cgo or outside Linux.
func Set() bool { return false }

const cgoBuild = false
