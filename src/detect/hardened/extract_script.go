package hardened

import (
	"bytes"
	"encoding/base64"
	"slices"
	"unicode/utf16"
	"unicode/utf8"
)

func isEncodedCommandSwitch(name []byte) bool {
	return string(name) == "ec" || len(name) > 0 && bytes.HasPrefix([]byte("encodedcommand"), name)
}

// powerShellArgs parses powershell.exe's own switches, toks[from:end], and
// decodes -EncodedCommand. It reports whether the decoded text uses BITS.
func (a *analysis) powerShellArgs(from, end, depth int) bool {
	for m := from; m < end; m++ {
		t := a.toks[m]
		lt := a.lowOf(t.span)
		if len(lt) < 2 || lt[0] != '-' && lt[0] != '/' {
			return false // the command text starts here
		}
		name := switchName(lt)
		if isEncodedCommandSwitch(name) {
			a.found.set(factEncodedCommand)
			if obfuscatedSwitch(t.obf, name) {
				a.found.set(factQuoteObfuscation)
			}
			payload := a.norm[t.start+1+int32(len(name)) : t.end]
			if len(payload) > 0 && payload[0] == ':' {
				payload = payload[1:]
			} else if m+1 < end {
				payload = a.norm[a.toks[m+1].start:a.toks[m+1].end]
			}
			return a.decodeAndScore(payload, depth)
		}
		switch {
		case bytes.HasPrefix([]byte("command"), name), bytes.HasPrefix([]byte("file"), name):
			return false
		case m+1 < end && !bytes.HasPrefix(a.lowOf(a.toks[m+1].span), []byte("-")) && takesValue(name):
			m++
		}
	}
	return false
}

// takesValue reports the powershell.exe/pwsh switches followed by a value
// (ExecutionPolicy, WindowStyle, Version, InputFormat, OutputFormat,
// PSConsoleFile, SettingsFile, ConfigurationName, CustomPipeName,
// WorkingDirectory), by the prefixes that select them.
func takesValue(name []byte) bool {
	for _, p := range []string{"ex", "ep", "w", "v", "inp", "if", "o", "ps", "se", "conf", "cu"} {
		if bytes.HasPrefix(name, []byte(p)) {
			return true
		}
	}
	return false
}

// decodeAndScore decodes an -EncodedCommand payload (base64 of UTF-16LE),
// records the text and reads it as PowerShell. It reports whether the
// text uses BITS.
func (a *analysis) decodeAndScore(payload []byte, depth int) bool {
	payload = bytes.TrimRight(payload, "=")
	n := base64.RawStdEncoding.DecodedLen(len(payload))
	a.b64 = slices.Grow(a.b64[:0], n)[:n]
	n, err := base64.RawStdEncoding.Decode(a.b64, payload)
	if err != nil || n < 2 {
		return false
	}
	raw := a.b64[:n&^1]
	start := len(a.dec)
	for i := 0; i < len(raw); i += 2 {
		r := rune(raw[i]) | rune(raw[i+1])<<8
		if utf16.IsSurrogate(r) && i+3 < len(raw) {
			r2 := rune(raw[i+2]) | rune(raw[i+3])<<8
			if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
				r = d
				i += 2
			}
		}
		a.dec = utf8.AppendRune(a.dec, r)
	}
	s := span{int32(start), int32(len(a.dec))}
	a.decoded = append(a.decoded, s)
	if depth >= maxDecodeDepth {
		return false
	}
	// The text is read from a.dec, which nested decoding may grow; tokenize
	// consumes it before that can happen.
	if a.commandText(a.dec[s.start:s.end], false, progOther, depth+1) {
		a.found.set(factBitsInEncoded)
		return true
	}
	return false
}

// bitsCmdlets are the BITS cmdlets that create, feed or run a transfer
// (Get-, Suspend- and Remove-BitsTransfer do not move data).
var bitsCmdlets = [][]byte{
	[]byte("start-bitstransfer"), []byte("resume-bitstransfer"), []byte("set-bitstransfer"),
	[]byte("complete-bitstransfer"), []byte("add-bitsfile"), []byte("new-bitstransfer"),
}

// bitsCOMMarkers name the BITS COM API from script: the manager's ProgID,
// its class and interfaces, its CLSID.
var bitsCOMMarkers = [][]byte{
	[]byte("bits.manager"), []byte("backgroundcopymanager"), []byte("ibackgroundcopy"),
	[]byte("4991d34b-80a1-4291-83b6-3328366b9097"),
}

func containsAny(b []byte, subs [][]byte) bool {
	for _, s := range subs {
		if bytes.Contains(b, s) {
			return true
		}
	}
	return false
}

// cmdlets reads BITS cmdlets and COM use in toks[lo:hi], the tokens of
// a.psText, and, when there are any, the URLs and destinations of the
// whole text. It reports whether the text uses BITS.
func (a *analysis) cmdlets(lo, hi int) bool {
	found := false
	// A cmdlet call's parameters run to the end of its command or to the
	// next cmdlet, whichever comes first: each token is read by one call,
	// so many cmdlets in one command cost no more than one.
	callStart := -1
	endCall := func(k int) {
		if callStart >= 0 {
			a.cmdletParams(callStart, k)
			callStart = -1
		}
	}
	for k := lo; k < hi; k++ {
		t := a.toks[k]
		if t.cmdStart {
			endCall(k)
		}
		lt := a.lowOf(t.span)
		switch {
		case containsAny(lt, bitsCmdlets):
			a.found.set(factBitsCmdlet)
			if t.obf >= 0 {
				a.found.set(factQuoteObfuscation)
			}
			found = true
			endCall(k)
			callStart = k + 1
		case containsAny(lt, bitsCOMMarkers):
			a.found.set(factBitsCOM)
			found = true
		}
		if len(lt) > 0 && lt[0] != '/' && lt[0] != '-' && bytes.Contains(lt, []byte("setnotifycmdline")) {
			// The COM method, IBackgroundCopyJob2::SetNotifyCmdLine.
			a.found.set(factNotifyCmdline)
			found = true
		}
	}
	endCall(hi)
	if found {
		a.scriptURLs(lo, hi)
	}
	return found
}

func isParam(lt []byte) bool { return len(lt) > 1 && lt[0] == '-' && isLetter(lt[1]) }

// cmdletParams reads -Source and -Destination (and their prefixes and the
// `-Name:value` form) of one BITS cmdlet call. Their values are read as
// PowerShell reads an argument (psArgument): the `}` closing a script
// block around the call is not part of the last one. Destinations are
// scored after the sources, whichever comes first, so that a rename on
// download (-Source x.txt -Destination x.exe) is seen.
func (a *analysis) cmdletParams(from, end int) {
	var (
		dests   [4]span
		nDests  int
		srcExt  span
		addDest = func(s span) {
			if off := pathStart(a.lowOf(s)); off > 0 {
				s.start += int32(off)
			}
			if nDests < len(dests) {
				dests[nDests] = s
				nDests++
			} else {
				a.dest(s, span{}, true)
			}
		}
	)
	// used marks the tokens of a value read, so that scriptURLs does
	// not read them again; those of an expression stay for it, as any
	// URL of the text: `-Source ('https://x/a.exe')` names its host.
	used := func(v psArg, m int) {
		if isExpression(a.lowOf(v.s)) {
			return
		}
		for ; m <= v.last; m++ {
			a.toks[m].used = true
		}
	}
	to := a.psEnd(end)
	for m := from; m < end; m++ {
		lt := a.lowOf(a.toks[m].span)
		if !isParam(lt) {
			continue
		}
		name := switchName(lt)
		// `-Name:value`; `-Name:` alone takes the next argument.
		attached := len(name)+2 < len(lt)
		next := func() bool { return m+1 < end && !isParam(a.lowOf(a.toks[m+1].span)) }
		switch {
		case len(name) >= 4 && bytes.HasPrefix([]byte("destination"), name):
			a.explicitDest = true
			switch {
			case attached:
				v := a.psRun(m, end, to)
				s, _ := afterColon(a.lowOf(v.s), v.s, -1)
				addDest(s)
				m = v.last
			case next():
				v := a.psRun(m+1, end, to)
				addDest(v.s)
				used(v, m+1)
				m = v.last
			}
		case len(name) >= 2 && bytes.HasPrefix([]byte("source"), name):
			if attached {
				v := a.psRun(m, end, to)
				s, obf := afterColon(a.lowOf(v.s), v.s, v.obf)
				srcExt = a.sourceValue(s, obf, true)
				m = v.last
			}
			for next() {
				v := a.psRun(m+1, end, to)
				srcExt = a.sourceValue(v.s, v.obf, true)
				used(v, m+1)
				m = v.last
			}
		}
	}
	for _, s := range dests[:nDests] {
		a.dest(s, srcExt, true)
	}
}

// afterColon returns the value of `-Name:value` read whole as s (low is
// its lowercase), and its obfuscation offset moved with it.
func afterColon(low []byte, s span, obf int32) (span, int32) {
	i := int32(bytes.IndexByte(low, ':') + 1)
	s.start += i
	if obf -= i; obf < 0 {
		obf = -1
	}
	return s, obf
}

// psEnd returns the offset in psText just past the command or call whose
// tokens end before toks[hi]: past toks[hi-1] and the separators after it
// that end no command (the `)` closing an expression around its last
// argument, for one). The last answer is kept (tokens are numbered
// across an event's texts, so hi names one command), so that many calls
// ending at the same command read its separators once; commandText keeps
// it across a text decoded in the middle of the command, whose own calls
// would otherwise make each later call read the separators again.
func (a *analysis) psEnd(hi int) int {
	if hi == a.psEndHi {
		return a.psEndAt
	}
	a.psEndHi = hi
	i := int(a.toks[hi-1].rawEnd)
	for i < len(a.psText) {
		switch c := a.psText[i]; {
		case isSpace(c), c == '(', c == ')', c == ',', c == '<', c == '>':
			i++
		default:
			a.psEndAt = i
			return i
		}
	}
	a.psEndAt = i
	return i
}

// psArg is one PowerShell argument read by psRun.
type psArg struct {
	s    span
	obf  int32 // the obfuscation offset in s, -1 for none
	last int   // the last token the argument covers
	// read reports that PowerShell read anything there: nothing when the
	// token starts with what ends an argument, such as the `}` closing a
	// script block. closed reports that the argument ended at a `}` or
	// `)`, which closes the block or expression around its command.
	read, closed bool
}

// psRun reads the PowerShell argument that starts at toks[k] (psArgument),
// no further than psText[to] (psEnd(hi) for the command or call ending
// before toks[hi]), nor past toks[hi-1]: quoted white space, a
// backtick-escaped space or a parenthesised expression carry it over the
// tokens that follow. An argument the tokenizer split at a `(` (which
// ends its tokens) starts at that `(`: `-Destination (Join-Path $env:TEMP
// 'a.exe')` is the whole expression.
func (a *analysis) psRun(k, hi, to int) psArg {
	t := a.toks[k]
	from := int(t.raw)
	// Only white space and `(` lie between a token and the one before
	// it here, so this walk stays in the gap before toks[k].
	for j := from; j > 0 && (a.psText[j-1] == '(' || isSpace(a.psText[j-1])); j-- {
		if a.psText[j-1] == '(' {
			from = j - 1
		}
	}
	s, obf, next := a.psArgument(a.psText, from, to, a.psArgv, t.argvQ)
	last := k
	for last+1 < hi && int(a.toks[last+1].raw) < next {
		last++
	}
	closed := next < len(a.psText) && (a.psText[next] == '}' || a.psText[next] == ')')
	return psArg{s: s, obf: obf, last: last, read: s.len() > 0 || !closed && next > from, closed: closed}
}

// scriptURLs reads every URL in a text that uses BITS, and takes the path
// following a URL for its destination when the text names none explicitly
// (positional Start-BitsTransfer arguments, variables assigned in turn).
// PowerShell module logging writes parameters as `name="Destination";
// value="C:\x"`, which is read too.
func (a *analysis) scriptURLs(lo, hi int) {
	// Module logging binds Source before Destination; read all sources
	// first anyway, so that the destination is scored knowing the source's
	// extension.
	var srcExt span
	for _, wantDest := range [2]bool{false, true} {
		for k := lo; k+1 < hi; k++ {
			if !bytes.HasPrefix(a.lowOf(a.toks[k+1].span), []byte("value=")) {
				continue
			}
			switch string(a.lowOf(a.toks[k].span)) {
			case "name=source":
				if !wantDest {
					srcExt = a.source(span{a.toks[k+1].start + int32(len("value=")), a.toks[k+1].end}, true)
					a.toks[k+1].used = true
				}
			case "name=destination":
				if wantDest {
					s, _ := a.joined(k+1, hi, int32(len("value=")))
					a.dest(s, srcExt, true)
					a.toks[k+1].used = true
					a.explicitDest = true
				}
			}
		}
	}
	for k := lo; k < hi; k++ {
		t := a.toks[k]
		if t.used || urlStart(a.lowOf(t.span)) < 0 {
			continue
		}
		// The token read as PowerShell, no further than itself: a URL in
		// `& {Start-BitsTransfer https://x/a.exe}` ends before the `}`.
		// Should PowerShell's reading lose the URL (`}` before it), the
		// token is read as it is.
		s, obf, _ := a.psArgument(a.psText, int(t.raw), int(t.rawEnd), a.psArgv, t.argvQ)
		us := urlStart(a.lowOf(s))
		if us < 0 {
			s, obf = t.span, t.obf
			us = urlStart(a.lowOf(s))
		}
		ext := a.urlAt(s, us, obf, true)
		if a.explicitDest || k+1 >= hi || a.toks[k+1].used || pathStart(a.lowOf(a.toks[k+1].span)) < 0 {
			continue
		}
		// The path's tokens are marked read: a value PowerShell carries
		// over many tokens (a backtick-escaped space) is read once.
		e := a.cmdEnd(k+1, hi)
		p := a.psRun(k+1, e, a.psEnd(e))
		if off := pathStart(a.lowOf(p.s)); off >= 0 {
			a.dest(span{p.s.start + int32(off), p.s.end}, ext, true)
		}
		for m := k + 1; m <= p.last; m++ {
			a.toks[m].used = true
		}
	}
}

// sourceValue reads s as the remote name of a transfer, obf being the
// offset in it of the first quote or caret removed inside it (-1 for
// none), and returns the extension of the file it names.
func (a *analysis) sourceValue(s span, obf int32, cmdCtx bool) span {
	if isExpression(a.lowOf(s)) {
		// PowerShell computes it: kept as written (a URL written inside
		// it is read with the text's other URLs, scriptURLs).
		a.urls = append(a.urls, s)
		return span{}
	}
	if us := urlStart(a.lowOf(s)); us >= 0 {
		return a.urlAt(s, us, obf, cmdCtx)
	}
	return a.source(s, cmdCtx)
}

// isExpression reports a PowerShell argument that is an expression or
// a subexpression, `(...)`, `$(...)` or `@(...)` (psArgument keeps them
// as written): its value is computed when the command runs.
func isExpression(v []byte) bool {
	return len(v) > 0 && v[0] == '(' || len(v) > 1 && (v[0] == '$' || v[0] == '@') && v[1] == '('
}

// urlToken reads the URL at offset us of toks[m].
func (a *analysis) urlToken(m, us int, cmdCtx bool) span {
	t := a.toks[m]
	return a.urlAt(t.span, us, t.obf, cmdCtx)
}

// urlAt reads the URL at offset us of s, counting a quote or caret
// removed before the end of its host (obf, -1 for none) as obfuscation.
func (a *analysis) urlAt(s span, us int, obf int32, cmdCtx bool) span {
	u := a.url(span{s.start + int32(us), s.end}, cmdCtx)
	if obf >= 0 && s.start+obf < u.hostEnd {
		a.found.set(factQuoteObfuscation)
	}
	return u.ext
}

// source reads s as the remote name of a transfer: a URL, a UNC path or a
// local path (a local "download" is a notify trigger, not a transfer). It
// returns the extension of the file it names.
func (a *analysis) source(s span, cmdCtx bool) span {
	t := a.lowOf(s)
	if us := urlStart(t); us >= 0 {
		return a.url(span{s.start + int32(us), s.end}, cmdCtx).ext
	}
	off := pathStart(t)
	if off < 0 {
		return span{}
	}
	p := span{s.start + int32(off), s.end}
	a.urls = append(a.urls, p)
	ext := extension(a.low, p)
	if isUNC(a.lowOf(p)) {
		a.found.set(factUNCSource)
		a.host(uncHost(a.low, p), nil)
		a.payloadExt(ext, cmdCtx)
	} else {
		a.found.set(factLocalSource)
	}
	return ext
}

// url reads the URL low[s].
func (a *analysis) url(s span, cmdCtx bool) parsedURL {
	u := parseURL(a.low, s)
	a.urls = append(a.urls, s)
	if u.malformed {
		a.found.set(factMalformedURL)
	}
	if u.userinfo {
		a.found.set(factURLUserinfo)
	}
	switch u.scheme {
	case schemeFTP:
		a.found.set(factFTP)
		a.host(u.host, nil)
	case schemeFile:
		h := a.lowOf(u.host)
		if u.slashes == 2 && len(h) > 1 && string(h) != "localhost" {
			a.found.set(factUNCSource)
			a.host(u.host, nil)
		} else {
			a.found.set(factLocalSource)
		}
	default:
		a.host(u.host, a.low[u.hostEnd:s.end])
	}
	a.payloadExt(u.ext, cmdCtx)
	return u
}

// host records where a transfer's remote end is: its class, and the
// vendor whose update host it is (path is the URL's path, nil for a share
// or an FTP source, which no vendor's updater uses). It keeps the host for
// the known-good host check.
func (a *analysis) host(h span, path []byte) {
	if h.len() == 0 {
		return
	}
	a.facts.hosts = append(a.facts.hosts, h)
	host := a.lowOf(h)
	if v := vendorsOf(host, path); v != 0 {
		a.vendors |= v
	} else {
		a.nonVendorHost = true
	}
	switch classifyHost(host) {
	case hostExternal:
		a.found.set(factHostExternal)
	case hostFileSharing:
		a.found.set(factHostExternal)
		a.found.set(factHostFileSharing)
	case hostDynamicDNS:
		a.found.set(factHostExternal)
		a.found.set(factHostDynamicDNS)
	case hostPublicIP:
		a.found.set(factHostPublicIP)
	case hostPrivateIP:
		a.found.set(factHostPrivateIP)
	}
}

// payloadExt reads what a transferred file's extension says it is. Image
// and text extensions only count on command lines, where Sigma finds them
// covering payloads; in the Bits-Client log they are ordinary (lock-screen
// images, for one).
func (a *analysis) payloadExt(ext span, cmdCtx bool) {
	switch classifyExt(a.lowOf(ext)) {
	case extExecutable:
		a.found.set(factExecutableFile)
	case extArchive:
		a.found.set(factArchiveFile)
	case extDisguise:
		if cmdCtx {
			a.found.set(factDisguisedFile)
		}
	}
}

// dest reads s as a transfer's local destination; remoteExt is the
// extension of the remote file, when known.
func (a *analysis) dest(s span, remoteExt span, cmdCtx bool) {
	if s.len() == 0 {
		return
	}
	a.dests = append(a.dests, s)
	p := a.lowOf(s)
	if isUserWritable(p) {
		a.found.set(factDestUserWritable)
	}
	ext := extension(a.low, s)
	a.payloadExt(ext, cmdCtx)
	if classifyExt(a.lowOf(ext)) == extExecutable && remoteExt.len() > 0 && !bytes.Equal(a.lowOf(remoteExt), a.lowOf(ext)) {
		a.found.set(factRenamedOnDownload)
	}
}
