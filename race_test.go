//go:build race

package main

// raceEnabled: the race detector makes every run several times slower, so
// the sampling tests take fewer samples under it.
const raceEnabled = true
