package splcsv

import (
	"bytes"
	"errors"
	"fmt"

	"bitsscore/src/internal/textfmt"
)

// MultivaluePrefix starts the name of the column that carries a field's
// values when it has several: "__mv_x" for field x.
const MultivaluePrefix = "__mv_"

// ErrMultivalue is wrapped by the errors of DecodeMultivalue.
var ErrMultivalue = errors.New("malformed multivalue cell")

// DecodeMultivalue decodes the value of an "__mv_" cell, "$v1$;$v2$" with
// every "$" inside a value doubled, appending the values to dst. Values
// without "$$" are sub-slices of mv; the others are decoded into scratch,
// which is returned for reuse. An empty mv decodes to no values.
//
// It is strict where Splunk's own writer is regular: anything but a
// sequence of "$"-delimited values joined by ";" is an error, so a corrupt
// cell is reported instead of becoming a wrong value.
func DecodeMultivalue(mv []byte, dst [][]byte, scratch []byte) (values [][]byte, grown []byte, err error) {
	i := 0
	for i < len(mv) {
		if mv[i] != '$' {
			return dst, scratch, fmt.Errorf("%w: expected '$' at byte %d of %q", ErrMultivalue, i, clip(mv))
		}
		i++
		start := i
		escaped := false
		for {
			k := bytes.IndexByte(mv[i:], '$')
			if k < 0 {
				return dst, scratch, fmt.Errorf("%w: value starting at byte %d is never closed: %q", ErrMultivalue, start-1, clip(mv))
			}
			i += k
			if i+1 < len(mv) && mv[i+1] == '$' {
				escaped = true
				i += 2
				continue
			}
			break
		}
		raw := mv[start:i]
		i++ // closing '$'
		if !escaped {
			dst = append(dst, raw[:len(raw):len(raw)])
		} else {
			from := len(scratch)
			for j := 0; j < len(raw); j++ {
				scratch = append(scratch, raw[j])
				if raw[j] == '$' {
					j++ // skip the doubling '$'
				}
			}
			dst = append(dst, scratch[from:len(scratch):len(scratch)])
		}
		if i < len(mv) {
			if mv[i] != ';' || i+1 >= len(mv) {
				return dst, scratch, fmt.Errorf("%w: expected ';$' at byte %d of %q", ErrMultivalue, i, clip(mv))
			}
			i++
		}
	}
	return dst, scratch, nil
}

// AppendMultivalue appends the "__mv_" encoding of values to dst: the
// value of the companion's cell, before any CSV quoting.
func AppendMultivalue(dst []byte, values [][]byte) []byte {
	return appendMultivalue(dst, values, false)
}

// appendMultivalue appends the "__mv_" encoding of values, doubling the
// quotes too when the encoding is to be the inside of a quoted cell.
func appendMultivalue(dst []byte, values [][]byte, quoted bool) []byte {
	for k, v := range values {
		if k > 0 {
			dst = append(dst, ';')
		}
		dst = append(dst, '$')
		for _, c := range v {
			dst = append(dst, c)
			if c == '$' || (c == '"' && quoted) {
				dst = append(dst, c)
			}
		}
		dst = append(dst, '$')
	}
	return dst
}

// AppendJoined appends values joined by "\n": the plain column of a
// multivalue field, as Splunk writes it.
func AppendJoined(dst []byte, values [][]byte) []byte {
	for k, v := range values {
		if k > 0 {
			dst = append(dst, '\n')
		}
		dst = append(dst, v...)
	}
	return dst
}

// clip is the excerpt of untrusted bytes an error message quotes.
func clip(b []byte) string { return textfmt.ClipBytes(b, 60) }
