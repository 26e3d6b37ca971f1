//go:build race

package testutil

// RaceEnabled: the race detector makes every open some ten times slower,
// so the sampling tests take fewer samples under it.
const RaceEnabled = true
