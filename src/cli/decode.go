package cli

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// convertHint says how to turn a Windows event log into something score
// reads; it ends every refusal of binary input.
const convertHint = `convert a Windows event log (.evtx) to event XML first, with one of:
    evtx_dump.py FILE.evtx > FILE.xml                      (python-evtx)
    wevtutil qe FILE.evtx /lf:true /f:xml > FILE.xml       (Windows)
    Get-WinEvent -Path FILE.evtx | ForEach-Object { $_.ToXml() } > FILE.xml   (PowerShell)`

// errBinary is input that is not text in any encoding score reads.
type errBinary struct{ what string }

func (e errBinary) Error() string { return e.what + ": " + convertHint }

// sniffLength is how much of an input is looked at to tell its encoding
// and whether it is binary.
const sniffLength = 4096

// decodeInput returns a reader of r's text as UTF-8: a gzip stream is
// decompressed as it is read, a UTF-16 stream (with a byte-order mark, or
// without one when every other byte is NUL, as PowerShell writes) is
// transcoded, a UTF-8 byte-order mark is dropped. A binary .evtx file and
// any other input with NUL bytes are refused, after reading at most
// sniffLength bytes.
func decodeInput(r io.Reader) (*bufio.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(4)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	if bytes.HasPrefix(head, []byte{0x1f, 0x8b}) {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		br = bufio.NewReaderSize(gz, 64<<10)
	}
	head, err = br.Peek(sniffLength)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(head, []byte("ElfFile\x00")):
		return nil, errBinary{"a binary Windows event log (.evtx)"}
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return nil, errBinary{"gzip inside gzip"}
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		br.Discard(3)
	case bytes.HasPrefix(head, []byte{0xff, 0xfe}):
		br.Discard(2)
		return bufio.NewReaderSize(&utf16Reader{r: br, bigEndian: false}, 64<<10), nil
	case bytes.HasPrefix(head, []byte{0xfe, 0xff}):
		br.Discard(2)
		return bufio.NewReaderSize(&utf16Reader{r: br, bigEndian: true}, 64<<10), nil
	}
	if i := bytes.IndexByte(head, 0); i >= 0 {
		if bigEndian, ok := looksUTF16(head); ok {
			return bufio.NewReaderSize(&utf16Reader{r: br, bigEndian: bigEndian}, 64<<10), nil
		}
		return nil, errBinary{fmt.Sprintf("binary input (a NUL byte at offset %d), not CSV, JSON or event XML", i)}
	}
	return br, nil
}

// looksUTF16 reports whether head is ASCII-range text in UTF-16 without a
// byte-order mark: NUL in every high byte, none in the low bytes.
func looksUTF16(head []byte) (bigEndian, ok bool) {
	n := len(head) &^ 1
	if n < 4 {
		return false, false
	}
	zeroEven, zeroOdd := 0, 0
	for i := 0; i < n; i += 2 {
		if head[i] == 0 {
			zeroEven++
		}
		if head[i+1] == 0 {
			zeroOdd++
		}
	}
	pairs := n / 2
	switch {
	case zeroOdd >= pairs*9/10 && zeroEven == 0:
		return false, true
	case zeroEven >= pairs*9/10 && zeroOdd == 0:
		return true, true
	}
	return false, false
}

// utf16Reader transcodes UTF-16 to UTF-8; an unpaired surrogate becomes
// U+FFFD.
type utf16Reader struct {
	r         *bufio.Reader
	bigEndian bool
	pending   []byte // encoded but not yet returned
	err       error
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(u.pending) > 0 {
			c := copy(p[n:], u.pending)
			n += c
			u.pending = u.pending[c:]
			continue
		}
		if u.err != nil {
			break
		}
		r, err := u.readRune()
		if err != nil {
			u.err = err
			break
		}
		if len(p)-n >= utf8.UTFMax {
			n += utf8.EncodeRune(p[n:], r)
		} else {
			u.pending = utf8.AppendRune(u.pending[:0], r)
		}
	}
	if n > 0 {
		return n, nil
	}
	return 0, u.err
}

func (u *utf16Reader) readRune() (rune, error) {
	c, err := u.unit()
	if err != nil {
		return 0, err
	}
	if !utf16.IsSurrogate(rune(c)) {
		return rune(c), nil
	}
	peek, err := u.r.Peek(2)
	if err != nil || c >= 0xdc00 {
		return utf8.RuneError, nil
	}
	c2 := u.order(peek)
	r := utf16.DecodeRune(rune(c), rune(c2))
	if r != utf8.RuneError {
		u.r.Discard(2)
	}
	return r, nil
}

func (u *utf16Reader) unit() (uint16, error) {
	var b [2]byte
	if _, err := io.ReadFull(u.r, b[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			return utf8.RuneError, nil // a stray last byte
		}
		return 0, err
	}
	return u.order(b[:]), nil
}

func (u *utf16Reader) order(b []byte) uint16 {
	if u.bigEndian {
		return uint16(b[0])<<8 | uint16(b[1])
	}
	return uint16(b[1])<<8 | uint16(b[0])
}
