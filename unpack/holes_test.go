package unpack

import (
	"slices"
	"testing"
)

func TestRangeSets(t *testing.T) {
	a := []Range{{0, 10}, {20, 30}, {40, 50}}
	b := []Range{{5, 25}, {45, 60}}
	if got, want := intersectRanges(a, b), []Range{{5, 10}, {20, 25}, {45, 50}}; !slices.Equal(got, want) {
		t.Errorf("intersect %v, want %v", got, want)
	}
	if got, want := subtractRanges(a, b), []Range{{0, 5}, {25, 30}, {40, 45}}; !slices.Equal(got, want) {
		t.Errorf("subtract %v, want %v", got, want)
	}
	if got, want := subtractRanges([]Range{{0, 100}}, []Range{{10, 20}, {30, 40}}), []Range{{0, 10}, {20, 30}, {40, 100}}; !slices.Equal(got, want) {
		t.Errorf("subtract %v, want %v", got, want)
	}
}
