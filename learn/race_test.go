//go:build race

package learn

// The race detector makes sync.Pool drop items on purpose, so allocation counts mean nothing.
const raceEnabled = true
