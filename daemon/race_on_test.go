//go:build race

package daemon

// raceDetector is true when the tests run with -race.
const raceDetector = true
