package cli

// A slab hands out short slices cut from one larger array, so that the
// per-event lists of values cost one allocation per many events instead
// of one or two per event. A piece is never handed out twice: a writer
// may keep what it is given.
type slab[T any] struct{ free []T }

// slabLen is the length of each array: small enough that a writer keeping
// one event's values pins little memory.
const slabLen = 256

// take returns n zero elements, their capacity capped at n.
func (s *slab[T]) take(n int) []T {
	if n > len(s.free) {
		if n > slabLen/4 {
			return make([]T, n) // large: its own array, the slab kept for the next
		}
		s.free = make([]T, slabLen)
	}
	piece := s.free[:n:n]
	s.free = s.free[n:]
	return piece
}
