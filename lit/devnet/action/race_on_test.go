//go:build race

package action

// raceEnabled: the race detector multiplies memory use, so tests that
// bound resident memory skip.
const raceEnabled = true
