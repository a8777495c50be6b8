package splcsv

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// ErrTooLarge is the error of a record longer than a Scanner's bound.
var ErrTooLarge = errors.New("record too large")

// A Scanner splits a CSV stream into records without decoding them, so a
// file of any size can be passed on a record at a time: a record ends at a
// line end outside quotes, found by quote parity as BoundaryScan finds
// it. Each record is then read in place by a Reader (ResetRecords).
type Scanner struct {
	r    *bufio.Reader
	max  int
	rec  []byte
	line int // lines read so far
}

// NewScanner returns a Scanner of r whose records are at most max bytes.
// It reads r by ReadSlice only, so r holds exactly what the Scanner has
// not returned.
func NewScanner(r *bufio.Reader, max int) *Scanner {
	return &Scanner{r: r, max: max}
}

// Next returns the next record, line end included (the last record of the
// stream may have none), and the 1-based line it starts on. The record is
// valid until the next call. At the end of the stream it returns io.EOF. A
// record longer than the bound is read to its end but not kept: Next
// returns ErrTooLarge with its line, and the next call reads on after it.
// A quoted field left open at the end of the stream ends the record, for
// the Reader to report.
func (s *Scanner) Next() (record []byte, line int, err error) {
	s.rec = s.rec[:0]
	line = s.line + 1
	inQuotes, read, tooLarge := false, false, false
	for {
		part, err := s.r.ReadSlice('\n')
		if len(part) > 0 {
			read = true
			if bytes.Count(part, []byte{'"'})%2 == 1 {
				inQuotes = !inQuotes
			}
			if len(s.rec)+len(part) > s.max {
				tooLarge, s.rec = true, s.rec[:0]
			} else if !tooLarge {
				s.rec = append(s.rec, part...)
			}
			if part[len(part)-1] == '\n' {
				s.line++
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF:
			if !read {
				return nil, line, io.EOF
			}
		case err != nil:
			return nil, line, err
		case inQuotes:
			continue
		}
		if tooLarge {
			return nil, line, ErrTooLarge
		}
		return s.rec, line, nil
	}
}
