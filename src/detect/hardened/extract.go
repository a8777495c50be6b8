package hardened

import (
	"bytes"
	"slices"
	"strconv"

	"bitsscore/src/detect"
)

// analysis is one event's working state, reused across events.
type analysis struct {
	// norm holds every value analysed, normalised (tokenize) or copied
	// (whole); low is its ASCII-lowercased twin at the same offsets.
	norm, low []byte
	toks      []token
	// dec holds decoded -EncodedCommand text; b64 is decoding scratch.
	dec, b64 []byte

	// found holds the facts seen; vendors the vendors (bits of
	// vendorUpdateHosts) whose hosts the event names.
	found                              factSet
	vendors                            uint64
	nonVendorHost                      bool
	urls, dests, procs, notify, titles []span // into norm
	decoded                            []span // into dec
	// explicitDest reports that the text being analysed named its
	// destination (-Destination, name="Destination"), so a path that
	// merely follows a URL is not taken for one.
	explicitDest bool
	// psText is the text being read (commandText), and psArgv says that
	// it is a process's command line (psArgument's argv).
	psText []byte
	psArgv bool
	// psEndHi and psEndAt are psEnd's last answer (0: none).
	psEndHi, psEndAt int
	facts            eventFacts
}

func (a *analysis) reset() {
	a.norm, a.low, a.toks, a.dec = a.norm[:0], a.low[:0], a.toks[:0], a.dec[:0]
	a.found, a.vendors, a.nonVendorHost = 0, 0, false
	a.urls, a.dests, a.procs, a.notify, a.titles, a.decoded = a.urls[:0], a.dests[:0], a.procs[:0], a.notify[:0], a.titles[:0], a.decoded[:0]
	a.facts.process, a.facts.parent, a.facts.users, a.facts.hosts = a.facts.process[:0], a.facts.parent[:0], a.facts.users[:0], a.facts.hosts[:0]
	a.facts.userless = false
	a.psEndHi = 0
}

// whole copies a structured value (a path, a URL field) into the buffers
// as one piece, without tokenising it.
func (a *analysis) whole(v []byte) span {
	s := span{start: int32(len(a.norm))}
	a.norm = append(a.norm, v...)
	for _, c := range v {
		a.low = append(a.low, lowerASCII(c))
	}
	s.end = int32(len(a.norm))
	return s
}

func (a *analysis) lowOf(s span) []byte { return a.low[s.start:s.end] }

func first(v detect.Values) []byte {
	for _, x := range v {
		if len(x) > 0 {
			return x
		}
	}
	return nil
}

// eventCode returns the event's EventCode, or -1 when it has none (the
// event is then judged by the fields it carries).
func eventCode(v detect.Values) int {
	b := bytes.TrimSpace(first(v))
	if len(b) == 0 || len(b) > 6 || !allDigits(b) {
		return -1
	}
	n, _ := strconv.Atoi(string(b))
	return n
}

func (a *analysis) analyze(in []detect.Values) {
	code := eventCode(in[inEventCode])
	is := func(codes ...int) bool { return code < 0 || slices.Contains(codes, code) }

	for _, f := range [...]int{inUser, inSubjectUserName, inJobOwner} {
		for _, v := range in[f] {
			if len(v) > 0 {
				a.facts.users = append(a.facts.users, a.whole(v))
			}
		}
	}
	if is(1, 4688) && (first(in[inImage]) != nil || first(in[inNewProcessName]) != nil) {
		a.processCreation(in)
	}
	if is(3) && first(in[inProcessPath]) != nil {
		a.jobCreated(first(in[inProcessPath]))
	}
	if is(3, 4, 5, 16403) {
		a.addTitles(in[inJobTitle])
	}
	if is(59, 60, 61) && first(in[inURL]) != nil {
		a.facts.userless = true
		a.addTitles(in[inName])
		for _, v := range in[inURL] {
			if len(v) > 0 {
				a.source(a.whole(v), false)
			}
		}
	}
	if is(16403) {
		a.fileAdded(in[inRemoteName], in[inLocalName])
	}
	for _, f := range [...]struct {
		field, code int
	}{{inScriptBlockText, 4104}, {inPayload, 4103}, {inData, 800}} {
		if is(f.code) {
			for _, v := range in[f.field] {
				a.commandText(v, false, progOther, 0)
			}
		}
	}
	if a.vendors != 0 && !a.nonVendorHost && !a.found.has(factLocalSource) && a.vendorDestinations() {
		a.found.set(factVendorSource)
	}
}

// vendorDestinations reports whether every destination of the event is a
// download folder of a vendor whose host the event names.
func (a *analysis) vendorDestinations() bool {
	for _, d := range a.dests {
		if !vendorDestination(a.lowOf(d), a.vendors) {
			return false
		}
	}
	return true
}

func (a *analysis) addTitles(v detect.Values) {
	for _, t := range v {
		if len(t) > 0 {
			a.titles = append(a.titles, a.whole(t))
		}
	}
}

// processCreation reads Sysmon 1 and Security 4688.
func (a *analysis) processCreation(in []detect.Values) {
	img := first(in[inImage])
	if img == nil {
		img = first(in[inNewProcessName])
	}
	imageSpan := a.whole(img)
	a.facts.process = append(a.facts.process, imageSpan)
	base := basename(a.lowOf(imageSpan))
	originalName := a.lowOf(a.whole(bytes.TrimSpace(first(in[inOriginalFileName]))))

	isBitsadmin := string(base) == "bitsadmin.exe" || string(originalName) == "bitsadmin.exe"
	if string(originalName) == "bitsadmin.exe" && string(base) != "bitsadmin.exe" {
		a.found.set(factRenamedBitsadmin)
	}
	prog := progOther
	switch {
	case isBitsadmin:
		prog = progBitsadmin
	case nameIn(base, powerShellNames) || originalNameIn(originalName, powerShellOriginalNames):
		prog = progPowerShell
	case nameIn(base, cmdNames) || string(originalName) == "cmd.exe":
		prog = progCmd
	}

	cmd := in[inCommandLine]
	if first(cmd) == nil {
		cmd = in[inProcessCommandLine]
	}
	bitsUse := isBitsadmin
	for _, v := range cmd {
		if a.commandText(v, true, prog, 0) {
			bitsUse = true
		}
	}
	if bitsUse {
		a.procs = append(a.procs, imageSpan)
	}

	parent := first(in[inParentImage])
	if parent == nil {
		parent = first(in[inParentProcessName])
	}
	if parent == nil {
		return
	}
	parentS := a.whole(parent)
	a.facts.parent = append(a.facts.parent, parentS)
	parentBase := basename(a.lowOf(parentS))
	if bitsUse && nameIn(parentBase, officeNames) {
		a.found.set(factOfficeParent)
	}
	if string(parentBase) == "svchost.exe" {
		a.serviceChild(imageSpan, base, originalName, first(in[inParentCommandLine]), cmd)
	}
}

// serviceChild reads a child of svchost.exe: the BITS service starts a
// job's SetNotifyCmdLine program, and nothing else but error reporting.
func (a *analysis) serviceChild(img span, base, originalName, parentCmd []byte, cmd detect.Values) {
	interpreter := nameIn(base, interpreterNames) || nameIn(originalName, interpreterNames)
	if parentCmd == nil {
		// Security 4688 names no parent command line: any service could be
		// the parent (the Task Scheduler starts cmd.exe too), so this is a
		// weak signal on its own.
		if interpreter {
			a.found.set(factSvchostChildInterpreter)
		}
		return
	}
	lo, hi := a.tokenize(parentCmd)
	var group, service []byte
	for k := lo; k+1 < hi; k++ {
		switch string(a.lowOf(a.toks[k].span)) {
		case "-k", "/k":
			group = a.lowOf(a.toks[k+1].span)
		case "-s", "/s":
			service = a.lowOf(a.toks[k+1].span)
		}
	}
	isBITS := string(service) == "bits"
	// Before Windows 10 1703 services shared `svchost -k netsvcs` with no
	// -s: the BITS service cannot be told from its neighbours there, so
	// only an interpreter child counts.
	sharedNetsvcs := service == nil && string(group) == "netsvcs"
	if !(isBITS && !nameIn(base, werNames) || sharedNetsvcs && interpreter) {
		return
	}
	a.found.set(factBITSServiceChild)
	if interpreter {
		a.found.set(factChildInterpreter)
	}
	if isUserWritable(a.lowOf(img)) {
		a.found.set(factChildUserWritable)
	}
	if c := first(cmd); c != nil {
		a.notify = append(a.notify, a.whole(c))
	} else {
		a.notify = append(a.notify, img)
	}
}

// jobCreated reads Bits-Client event 3: what kind of process created the
// job (clients.go).
func (a *analysis) jobCreated(processPath []byte) {
	s := a.whole(processPath)
	a.procs = append(a.procs, s)
	a.facts.process = append(a.facts.process, s)
	a.found.set(factJobCreated)
	p := a.lowOf(s)
	base := basename(p)
	switch {
	case nameIn(base, []string{"bitsadmin"}):
		a.found.set(factClientBitsadmin)
	case nameIn(base, powerShellNames):
		a.found.set(factClientPowerShell)
	case nameIn(base, scriptHostNames):
		a.found.set(factClientLOLBin)
	case nameIn(base, noBusinessClientNames):
		a.found.set(factClientNoBusiness)
	}
	if isKnownClient(p) {
		a.found.set(factClientKnown)
	}
	if isSystemLocation(p) {
		a.found.set(factClientWindows)
	}
	if isUserWritable(p) {
		a.found.set(factClientUserWritable)
	}
}

// fileAdded reads Bits-Client event 16403: a file added to a job.
func (a *analysis) fileAdded(remote, local detect.Values) {
	var remoteExt span
	for _, v := range remote {
		if len(v) > 0 {
			remoteExt = a.source(a.whole(v), false)
		}
	}
	for _, v := range local {
		if len(v) > 0 {
			a.dest(a.whole(v), remoteExt, false)
		}
	}
}

// program is what a command line's process is, however it was renamed.
type program uint8

const (
	progOther program = iota
	progBitsadmin
	progPowerShell
	progCmd
)

var cmdNames = []string{"cmd"}

// commandText reads a command line or script text and reports whether it
// uses BITS. cmdLine says that the text is a process's command line, and
// prog what that process is: its first token is the program.
func (a *analysis) commandText(text []byte, cmdLine bool, prog program, depth int) bool {
	found := anchors(text)
	if (prog == progOther || prog == progCmd) && found == 0 {
		return false
	}
	lo, hi := a.tokenize(text)
	// A text read inside another (a decoded -EncodedCommand) gives the
	// outer text back its reading state, psEnd's last answer included.
	prevText, prevArgv, prevEndHi, prevEndAt := a.psText, a.psArgv, a.psEndHi, a.psEndAt
	a.psText, a.psArgv = text, cmdLine
	a.explicitDest = false
	bits := false
	// ps says that the command at toks[k] is PowerShell's, whose
	// arguments PowerShell reads (psArgument): script text is, and so is
	// what follows powershell.exe's name. cmd.exe named in PowerShell text
	// reads its own command, to where PowerShell ends it (cmdUntil).
	ps, cmdUntil := !cmdLine, -1
	// On a command line, what follows `cmd /c` or `cmd /k` is cmd.exe's
	// (cmdRead): a powershell command begun there ends at the separator cmd.exe
	// acts on, text[psStop], and cmd.exe reads what follows.
	cmdRead, psStop := cmdScan{text: text, at: -1, lastQuote: -1}, -1
	for k := lo; k < hi; k++ {
		if cmdUntil >= 0 && k >= cmdUntil {
			ps, cmdUntil = true, -1
		}
		t := a.toks[k]
		if psStop >= 0 && int(t.raw) > psStop {
			ps, cmdUntil, psStop = false, -1, -1
		}
		lowToken := a.lowOf(t.span)
		if urlStart(lowToken) >= 0 {
			continue
		}
		name := lowToken
		if ps {
			// `{` and `}` end a word in PowerShell (tokenize keeps them):
			// `& {bitsadmin ...}` and `}else{bitsadmin ...` run bitsadmin.
			if i := bytes.LastIndexAny(name, "{}"); i >= 0 {
				name = name[i+1:]
			}
		}
		base := basename(name)
		switch {
		case k == lo && prog == progBitsadmin || nameIn(base, []string{"bitsadmin"}):
			if t.obf >= 0 {
				a.found.set(factQuoteObfuscation)
			}
			end := a.cmdEnd(k, hi)
			k = a.bitsadmin(k, end, ps) - 1
			bits = true
		case k == lo && prog == progPowerShell || nameIn(base, powerShellNames):
			if !ps && cmdRead.at >= 0 && psStop < 0 {
				psStop = cmdRead.separator(int(t.rawEnd))
			}
			ps, cmdUntil = true, -1
			if a.powerShellArgs(k+1, a.cmdEnd(k, hi), depth) {
				bits = true
			}
			a.psText, a.psArgv = text, cmdLine // decoding read another text
		case nameIn(base, []string{"desktopimgdownldr"}):
			end := a.cmdEnd(k, hi)
			if a.desktopImgDownldr(k+1, end) {
				bits = true
			}
			k = end - 1
		case ps && nameIn(base, cmdNames):
			ps, cmdUntil = false, a.cmdEnd(k, hi)
		case cmdUntil < 0 && (k == lo && prog == progCmd || nameIn(base, cmdNames)):
			// Not in PowerShell text (ps is false): cmd.exe parses its
			// command, after its switches' /c or /k.
			for m, end := k+1, a.cmdEnd(k, hi); m < end && a.low[a.toks[m].start] == '/'; m++ {
				if n := string(a.lowOf(a.toks[m].span)); n == "/c" || n == "/k" {
					cmdRead.begin(int(a.toks[m].rawEnd))
					break
				}
			}
		}
	}
	if found&anchorScript != 0 && a.cmdlets(lo, hi) {
		bits = true
	}
	a.psText, a.psArgv, a.psEndHi, a.psEndAt = prevText, prevArgv, prevEndHi, prevEndAt
	return bits
}

func isSwitch(lowToken []byte) bool {
	return len(lowToken) > 1 && (lowToken[0] == '/' || lowToken[0] == '-') && urlStart(lowToken) < 0 && pathStart(lowToken) < 0
}

// switchName returns a switch's name without its prefix or a `:value`.
func switchName(lowToken []byte) []byte {
	name := lowToken[1:]
	if i := bytes.IndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	return name
}

// obfuscatedSwitch reports a quote or caret inside a switch's name.
func obfuscatedSwitch(obf int32, name []byte) bool {
	return obf >= 1 && int(obf) <= len(name)
}

// bitsArgAt reads the argument of a bitsadmin command at toks[m], the
// command ending before toks[end] and, in psText, at to (psEnd).
// Launched by cmd.exe or as a process, the argument is the token
// (cmd.exe's and CommandLineToArgvW's rules, which tokenize applies);
// launched by PowerShell (ps), PowerShell reads it (psRun), and its
// metacharacters end it and the command: the `}` of `& {bitsadmin
// /transfer j https://x/a.exe C:\x\a.exe}` closes the script block.
func (a *analysis) bitsArgAt(m, end, to int, ps bool) psArg {
	if !ps {
		t := a.toks[m]
		return psArg{s: t.span, obf: t.obf, last: m, read: true}
	}
	return a.psRun(m, end, to)
}

// bitsadmin parses one bitsadmin command: toks[k] is the program and the
// command ends before toks[end]; ps says that PowerShell launched it
// (bitsArgAt). It returns the index just past the command's last token.
func (a *analysis) bitsadmin(k, end int, ps bool) int {
	var (
		expectTitle, pairing, notify, upload bool
		notifyParsed                         bool
		haveRemote                           bool
		remoteExt                            span
	)
	to := 0 // where PowerShell's reading stops: psEnd, once per command
	if ps {
		to = a.psEnd(end)
	}
	m := k + 1
	for ; m < end; m++ {
		arg := a.bitsArgAt(m, end, to, ps)
		if !arg.read {
			break
		}
		if arg.closed {
			end = arg.last + 1
		}
		lowToken := a.lowOf(arg.s)
		if isSwitch(lowToken) {
			m = arg.last
			name := switchName(lowToken)
			if obfuscatedSwitch(arg.obf, name) {
				a.found.set(factQuoteObfuscation)
			}
			switch string(name) {
			case "transfer", "addfile":
				a.found.set(factBitsadminTransfer)
				expectTitle, pairing = true, true
			case "addfileset", "addfilewithranges", "replaceremoteprefix":
				a.found.set(factBitsadminTransfer)
				expectTitle = true
			case "upload":
				a.found.set(factBitsadminUpload)
				upload = true
			case "setnotifycmdline":
				expectTitle, notify = true, true
			case "setnotifyflags":
				a.found.set(factNotifyFlags)
				expectTitle = true
			case "create", "resume", "complete", "setminretrydelay", "setcustomheaders", "setnoprogresstimeout",
				"takeownership", "setcredentials", "setproxysettings", "sethelpertoken", "sethelpertokenflags",
				"setsecurityflags", "setclientcertificatebyid", "setclientcertificatebyname", "setpeercachingflags":
				a.found.set(factBitsadminJobControl)
				expectTitle = true
			case "reset":
				a.found.set(factBitsadminReset)
			case "priority", "aclflags":
				if m+1 < end && !arg.closed { // the switch's value
					v := a.bitsArgAt(m+1, end, to, ps)
					switch {
					case !v.read: // the command ends before it
						end = m + 1
					case v.closed:
						m, end = v.last, v.last+1
					default:
						m = v.last
					}
				}
			case "download", "dynamic", "allusers", "rawreturn", "wrap", "nowrap", "verbose":
			default:
				expectTitle = true
			}
			continue
		}
		if expectTitle {
			expectTitle = false
			if urlStart(lowToken) < 0 && pathStart(lowToken) < 0 {
				a.titles = append(a.titles, arg.s)
				m = arg.last
				continue
			}
		}
		if notify {
			m = a.notifyProgram(arg, m, end, to, ps)
			notifyParsed = true
			break
		}
		if pairing {
			if !haveRemote {
				remoteExt = a.sourceValue(arg.s, arg.obf, true)
				haveRemote = true
				m = arg.last
				continue
			}
			haveRemote = false
			m = arg.last
			if upload {
				// The local file of an upload is what leaves, not a payload.
				continue
			}
			s := arg.s
			if !ps {
				s, m = a.joined(m, end, 0)
			}
			s.start += int32(max(pathStart(lowToken), 0))
			a.dest(s, remoteExt, true)
			continue
		}
		m = arg.last
		if us := urlStart(lowToken); us >= 0 {
			a.urlAt(arg.s, us, arg.obf, true)
		}
	}
	if notify && !notifyParsed {
		// `/SetNotifyCmdLine job` cut short: the switch alone still says it.
		a.found.set(factNotifyCmdline)
	}
	return min(m, end)
}

// notifyProgram reads the program and parameters of /SetNotifyCmdLine:
// prog, read at toks[m], and the arguments that follow it to the end of
// the command, before toks[end] (ps: as bitsArgAt reads them, to
// psText[to]). It returns the index just past the last token read.
func (a *analysis) notifyProgram(prog psArg, m, end, to int, ps bool) int {
	last := prog.last
	if !ps {
		prog.s, last = a.joined(m, end, 0)
	}
	p := a.lowOf(prog.s)
	if string(p) == "null" {
		// `/SetNotifyCmdLine job NULL NULL` clears the command.
		if !ps {
			return end
		}
		return last + 1
	}
	a.found.set(factNotifyCmdline)
	if nameIn(basename(p), interpreterNames) || bytes.Contains(p, []byte("%comspec%")) {
		a.found.set(factNotifyInterpreter)
	}
	if isUserWritable(p) {
		a.found.set(factNotifyUserWritable)
	}
	whole := prog.s
	final := prog.closed
	for k, first := last+1, true; k < end && !final; k, first = k+1, false {
		var v span
		if ps {
			// PowerShell's values are copied one after another, a space
			// between them, so that the command is one readable span.
			a.norm, a.low = append(a.norm, ' '), append(a.low, ' ')
			arg := a.bitsArgAt(k, end, to, true)
			if !arg.read {
				a.norm, a.low = a.norm[:len(a.norm)-1], a.low[:len(a.low)-1]
				break
			}
			v, k, final = arg.s, arg.last, arg.closed
		} else {
			v = a.toks[k].span
		}
		last = k
		whole.end = v.end
		lowToken := a.lowOf(v)
		if first && nameIn(basename(lowToken), interpreterNames) {
			a.found.set(factNotifyInterpreter)
		}
		if isUserWritable(lowToken) {
			a.found.set(factNotifyUserWritable)
		}
	}
	a.notify = append(a.notify, whole)
	return last + 1
}

// desktopImgDownldr reads desktopimgdownldr.exe /lockscreenurl:, a
// Windows binary that downloads through BITS.
func (a *analysis) desktopImgDownldr(from, end int) bool {
	found := false
	for m := from; m < end; m++ {
		lowToken := a.lowOf(a.toks[m].span)
		// Not isSwitch: the switch carries its URL (`/lockscreenurl:https://x`).
		if len(lowToken) > 1 && (lowToken[0] == '/' || lowToken[0] == '-') && string(switchName(lowToken)) == "lockscreenurl" {
			a.found.set(factDesktopImgDownldr)
			found = true
			if us := urlStart(lowToken); us >= 0 {
				a.urlToken(m, us, true)
			} else if ps := bytes.IndexByte(lowToken, ':'); ps >= 0 && ps+1 < len(lowToken) {
				a.source(span{a.toks[m].start + int32(ps) + 1, a.toks[m].end}, true)
			}
		}
	}
	return found
}

// isEncodedCommandSwitch reports the names powershell.exe and pwsh accept
// for -EncodedCommand: any prefix of it, and the alias -ec.
