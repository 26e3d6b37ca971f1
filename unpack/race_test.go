//go:build race

package unpack

// raceEnabled: the race detector makes every open some ten times slower,
// so the sampling tests take fewer samples under it.
const raceEnabled = true
