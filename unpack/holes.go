package unpack

// intersectRanges returns the ranges in both a and b (each sorted, not
// overlapping).
func intersectRanges(a, b []Range) []Range {
	var out []Range
	for i, j := 0, 0; i < len(a) && j < len(b); {
		s, e := max(a[i].Start, b[j].Start), min(a[i].End, b[j].End)
		if s < e {
			out = append(out, Range{s, e})
		}
		if a[i].End < b[j].End {
			i++
		} else {
			j++
		}
	}
	return out
}

// subtractRanges returns the parts of a outside b (each sorted, not
// overlapping).
func subtractRanges(a, b []Range) []Range {
	var out []Range
	j := 0
	for _, r := range a {
		for j < len(b) && b[j].End <= r.Start {
			j++
		}
		pos := r.Start
		for k := j; k < len(b) && b[k].Start < r.End; k++ {
			if b[k].Start > pos {
				out = append(out, Range{pos, b[k].Start})
			}
			pos = max(pos, b[k].End)
		}
		if pos < r.End {
			out = append(out, Range{pos, r.End})
		}
	}
	return out
}

// WithoutCommonHoles returns the parts of spans (sorted, not overlapping)
// that a comparison of a and b must read: all of them, less the ranges
// that are holes of both a and b, each such range first shrunk by margin
// bytes at both ends (for context around a difference next to it) and
// then to whole 4 KiB pages, so that what is left starts and ends on row
// boundaries of a hex dump. When a and b are not both Holed, spans are
// returned as they are. The sizes of a and b are not compared here: two
// Holed data of different sizes differ.
func WithoutCommonHoles(spans []Range, a, b any, margin int64) []Range {
	ha, okA := a.(Holed)
	hb, okB := b.(Holed)
	if !okA || !okB {
		return spans
	}
	common := intersectRanges(ha.Holes(), hb.Holes())
	if len(common) == 0 {
		return spans
	}
	return skipRanges(spans, common, margin)
}

// skipRanges returns spans less the ranges skip (sorted, not
// overlapping), each first shrunk by margin bytes at both ends (for
// context around a difference next to it) and then to whole 4 KiB pages,
// so that what is left starts and ends on row boundaries of a hex dump.
// skip is reused.
func skipRanges(spans, skip []Range, margin int64) []Range {
	const page = 4096
	out := skip[:0]
	for _, r := range skip {
		s := (r.Start + max(margin, 0) + page - 1) &^ (page - 1)
		e := (r.End - max(margin, 0)) &^ (page - 1)
		if s < e {
			out = append(out, Range{s, e})
		}
	}
	return subtractRanges(spans, out)
}
