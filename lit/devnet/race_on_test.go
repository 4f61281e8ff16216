//go:build race

package devnet

// raceEnabled: the race detector multiplies memory use, so tests that
// bound resident memory skip.
const raceEnabled = true
