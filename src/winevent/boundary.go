package winevent

import "bytes"

// What scanBoundary found.
const (
	boundaryFound  = iota // the event's end tag
	boundaryMore          // the bytes end first: read on and call again
	boundaryUnsure        // something only the scanner can judge
)

// scanBoundary looks for the end of the event that src starts with, by
// counting start and end tags: it jumps from one '<' to the next, skips
// comments, CDATA sections, processing instructions and quoted attribute
// values (which may hold '>'), and checks nothing else. Tag names are not
// matched (the parser does that), so there is no stack: depth is a count,
// and the scan stops as unsure past maxXMLDepth, on a nested <Event (a cut
// event is followed by the next one), on a '<' inside a tag or an
// attribute value (a truncated tag), and on markup an event does not hold
// (a DOCTYPE). pos and depth are where a previous call stopped (0, 0 at
// first); each call returns where to resume, the depth there and what it
// found: with boundaryFound, pos is the end of the event.
func scanBoundary(src []byte, pos, depth int) (int, int, int) {
	for {
		i := bytes.IndexByte(src[pos:], '<')
		if i < 0 {
			return len(src), depth, boundaryMore // text is not read again
		}
		pos += i
		if pos+1 >= len(src) {
			return pos, depth, boundaryMore
		}
		switch src[pos+1] {
		case '/':
			end := pos + 2
			for end < len(src) && isNameByte[src[end]] {
				end++
			}
			for end < len(src) && isSpaceByte(src[end]) {
				end++
			}
			if end >= len(src) {
				return pos, depth, boundaryMore
			}
			if src[end] != '>' || end == pos+2 || depth == 0 {
				return pos, depth, boundaryUnsure
			}
			depth--
			pos = end + 1
			if depth == 0 {
				return pos, 0, boundaryFound
			}
		case '?':
			end, status := skipTo(src, pos, 2, "?>")
			if status != boundaryFound {
				return pos, depth, status
			}
			pos = end
		case '!':
			rest := src[pos:]
			var end, status int
			switch {
			case bytes.HasPrefix(rest, []byte("<!--")):
				end, status = skipTo(src, pos, 4, "-->")
			case bytes.HasPrefix(rest, []byte("<![CDATA[")):
				end, status = skipTo(src, pos, 9, "]]>")
			case len(rest) < 9 && (bytes.HasPrefix([]byte("<![CDATA["), rest) || bytes.HasPrefix([]byte("<!--"), rest)):
				status = boundaryMore
			default:
				status = boundaryUnsure
			}
			if status != boundaryFound {
				return pos, depth, status
			}
			pos = end
		default:
			end, selfClosed, status := skipStartTag(src, pos, depth)
			if status != boundaryFound {
				return pos, depth, status
			}
			pos = end
			if !selfClosed {
				depth++
			} else if depth == 0 { // <Event/>
				return pos, 0, boundaryFound
			}
		}
	}
}

// skipTo returns the end of the markup at src[pos:] that closes with
// closer, searched for from pos+from.
func skipTo(src []byte, pos, from int, closer string) (int, int) {
	if pos+from > len(src) {
		return 0, boundaryMore
	}
	i := bytes.Index(src[pos+from:], []byte(closer))
	if i < 0 {
		return 0, boundaryMore
	}
	return pos + from + i + len(closer), boundaryFound
}

// skipStartTag returns the end of the start tag at src[pos] and whether it
// closes itself (<x/>).
func skipStartTag(src []byte, pos, depth int) (end int, selfClosed bool, status int) {
	end = pos + 1
	for end < len(src) && isNameByte[src[end]] {
		end++
	}
	switch {
	case end == len(src):
		return 0, false, boundaryMore
	case end == pos+1, depth >= maxXMLDepth:
		return 0, false, boundaryUnsure
	case depth > 0 && string(localName(src[pos+1:end])) == "Event":
		return 0, false, boundaryUnsure
	}
	for ; end < len(src); end++ {
		switch c := src[end]; c {
		case '>':
			return end + 1, false, boundaryFound
		case '/':
			if end+1 >= len(src) {
				return 0, false, boundaryMore
			}
			if src[end+1] != '>' {
				return 0, false, boundaryUnsure
			}
			return end + 2, true, boundaryFound
		case '"', '\'':
			i := bytes.IndexByte(src[end+1:], c)
			if i < 0 {
				return 0, false, boundaryMore
			}
			if bytes.IndexByte(src[end+1:end+1+i], '<') >= 0 {
				return 0, false, boundaryUnsure
			}
			end += 1 + i
		case '<':
			return 0, false, boundaryUnsure
		}
	}
	return 0, false, boundaryMore
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
