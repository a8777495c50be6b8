// Package hardened is bitsscore's mode=hardened detector: every field of
// the original SPL with the SPL's value, plus a RiskScore (0-100, an alert
// at 50) built from named Indicators, and the values an analyst needs to
// act (the URL, the destination, the BITS client, the notify command, the
// decoded PowerShell).
//
// It reads process creation (Sysmon 1, Security 4688), the Bits-Client
// operational log (3, 4, 5, 59, 60, 61, 16403) and PowerShell logging
// (4104, 4103, 800), and it sees through the evasions that blind the SPL:
// quote and caret insertion, case, dash variants, -EncodedCommand,
// renamed binaries, URL tricks that fool an unanchored host check. A
// known-good list, shipped as lookups/bitsscore_known_good.csv and
// extensible by the customer, keeps the false positives the rule's authors
// name below the alert threshold, naming the entry that did so.
//
// See docs/hardened.md for every indicator, its weight and its source.
package hardened

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"bitsscore/src/detect"
)

// Inputs this mode reads, in Inputs() order. NewSPL's inputs are among
// them, so the SPL sees the same event.
const (
	inEventCode = iota
	inCommandLine
	inProcessCommandLine
	inImage
	inOriginalFileName
	inNewProcessName
	inParentImage
	inParentProcessName
	inParentCommandLine
	inUser
	inSubjectUserName
	inProcessPath
	inJobTitle
	inJobOwner
	inURL
	inName
	inRemoteName
	inLocalName
	inScriptBlockText
	inPayload
	inData
	numInputs
)

var inputNames = [numInputs]string{
	inEventCode:          "EventCode",
	inCommandLine:        "CommandLine",
	inProcessCommandLine: "ProcessCommandLine",
	inImage:              "Image",
	inOriginalFileName:   "OriginalFileName",
	inNewProcessName:     "NewProcessName",
	inParentImage:        "ParentImage",
	inParentProcessName:  "ParentProcessName",
	inParentCommandLine:  "ParentCommandLine",
	inUser:               "User",
	inSubjectUserName:    "SubjectUserName",
	inProcessPath:        "processPath",
	inJobTitle:           "jobTitle",
	inJobOwner:           "jobOwner",
	inURL:                "url",
	inName:               "name",
	inRemoteName:         "RemoteName",
	inLocalName:          "LocalName",
	inScriptBlockText:    "ScriptBlockText",
	inPayload:            "Payload",
	inData:               "Data",
}

// Outputs this mode adds after the SPL's, in Outputs() order.
const (
	outRiskScore = iota
	outIndicators
	outBitsURL
	outBitsDestination
	outBitsProcessPath
	outBitsNotifyCommand
	outBitsJobTitle
	outDecodedCommand
	numOwnOutputs
)

var ownOutputNames = [numOwnOutputs]string{
	outRiskScore:         "RiskScore",
	outIndicators:        "Indicators",
	outBitsURL:           "BitsUrl",
	outBitsDestination:   "BitsDestination",
	outBitsProcessPath:   "BitsProcessPath",
	outBitsNotifyCommand: "BitsNotifyCommand",
	outBitsJobTitle:      "BitsJobTitle",
	outDecodedCommand:    "DecodedCommand",
}

// maxValues caps each extracted multivalue field. Every value is still
// scored; an analyst needs the first few, and the cap keeps the
// de-duplication linear.
const maxValues = 16

// maxDecodeDepth bounds -EncodedCommand inside -EncodedCommand.
const maxDecodeDepth = 2

// Detector is the hardened Detector. It is not safe for concurrent use.
type Detector struct {
	spl     detect.Detector
	splIn   []detect.Values // the SPL's inputs, refilled per event
	splFrom []int           // splIn[i] = in[splFrom[i]]
	inputs  []string
	outputs []string
	known   *KnownGood

	a          analysis
	riskBuf    []byte
	risk       detect.Values // one value, riskBuf, reused
	indicators [][]byte
	values     [numOwnOutputs][][]byte
}

// New returns the hardened detector with the given known-good list; nil
// means the list shipped with the app (DefaultKnownGood).
func New(known *KnownGood) detect.Detector {
	if known == nil {
		known = DefaultKnownGood()
	}
	return newDetector(detect.NewSPL(), known)
}

func newDetector(spl detect.Detector, known *KnownGood) *Detector {
	d := &Detector{spl: spl, known: known}
	d.inputs = append(d.inputs, inputNames[:]...)
	for _, name := range spl.Inputs() {
		i := slices.Index(d.inputs, name)
		if i < 0 {
			// The SPL reads a field this mode does not: read it too, so the
			// SPL's outputs stay the SPL's.
			i = len(d.inputs)
			d.inputs = append(d.inputs, name)
		}
		d.splFrom = append(d.splFrom, i)
	}
	d.splIn = make([]detect.Values, len(d.splFrom))
	d.outputs = append(slices.Clone(spl.Outputs()), ownOutputNames[:]...)
	for i, name := range d.outputs {
		if slices.Index(d.outputs, name) != i {
			panic(fmt.Sprintf("hardened: output %q is both the SPL's and this mode's", name))
		}
	}
	return d
}

// Inputs names every field this mode reads: the hardened command's
// required_fields.
func (d *Detector) Inputs() []string { return d.inputs }

// Outputs names the SPL's outputs, in the SPL's order, then RiskScore,
// Indicators and the extracted fields.
func (d *Detector) Outputs() []string { return d.outputs }

// Score scores one event.
func (d *Detector) Score(in, out []detect.Values) {
	for i, j := range d.splFrom {
		d.splIn[i] = in[j]
	}
	nSPL := len(d.outputs) - numOwnOutputs
	d.spl.Score(d.splIn, out[:nSPL])
	own := out[nSPL:]

	a := &d.a
	a.reset()
	a.analyze(in)

	score := a.found.score()
	risk := score
	d.indicators = d.indicators[:0]
	for i := range numIndicators {
		if a.found.has(i) {
			d.indicators = append(d.indicators, indicatorNames[i])
		}
	}
	if score > 0 {
		a.facts.low = a.low
		a.facts.destinations = a.dests
		evasion := a.found.hasEvasion()
		for i := range d.known.entries {
			e := &d.known.entries[i]
			if !e.matches(&a.facts) {
				continue
			}
			if evasion {
				d.indicators = append(d.indicators, e.overridden)
			} else {
				d.indicators = append(d.indicators, e.suppressed)
				risk = min(score, knownGoodCeiling)
			}
		}
	}
	slices.SortFunc(d.indicators, bytes.Compare)

	d.riskBuf = strconv.AppendInt(d.riskBuf[:0], int64(risk), 10)
	d.risk = append(d.risk[:0], d.riskBuf[:len(d.riskBuf):len(d.riskBuf)])
	own[outRiskScore] = d.risk
	own[outIndicators] = nonEmpty(d.indicators)
	for _, f := range []struct {
		out   int
		buf   []byte
		spans []span
	}{
		{outBitsURL, a.norm, a.urls},
		{outBitsDestination, a.norm, a.dests},
		{outBitsProcessPath, a.norm, a.procs},
		{outBitsNotifyCommand, a.norm, a.notify},
		{outBitsJobTitle, a.norm, a.titles},
		{outDecodedCommand, a.dec, a.decoded},
	} {
		d.values[f.out] = appendUnique(d.values[f.out][:0], f.buf, f.spans)
		own[f.out] = nonEmpty(d.values[f.out])
	}
}

func nonEmpty(v [][]byte) detect.Values {
	if len(v) == 0 {
		return nil
	}
	return v
}

// appendUnique appends buf[s] for each span, skipping empty and repeated
// values, up to maxValues.
func appendUnique(dst [][]byte, buf []byte, spans []span) [][]byte {
	for _, s := range spans {
		if len(dst) == maxValues {
			break
		}
		v := buf[s.start:s.end:s.end]
		if len(v) == 0 || slices.ContainsFunc(dst, func(w []byte) bool { return bytes.Equal(v, w) }) {
			continue
		}
		dst = append(dst, v)
	}
	return dst
}

// analysis is one event's working state, reused across events.
type analysis struct {
	// norm holds every value analysed, normalised (tokenize) or copied
	// (whole); low is its ASCII-lowercased twin at the same offsets.
	norm, low []byte
	toks      []token
	// dec holds decoded -EncodedCommand text; b64 is decoding scratch.
	dec, b64 []byte

	found                              indicatorSet
	urls, dests, procs, notify, titles []span // into norm
	decoded                            []span // into dec
	// explicitDest reports that the text being analysed named its
	// destination (-Destination, name="Destination"), so a path that
	// merely follows a URL is not taken for one.
	explicitDest bool
	facts        eventFacts
}

func (a *analysis) reset() {
	a.norm, a.low, a.toks, a.dec = a.norm[:0], a.low[:0], a.toks[:0], a.dec[:0]
	a.found = 0
	a.urls, a.dests, a.procs, a.notify, a.titles, a.decoded = a.urls[:0], a.dests[:0], a.procs[:0], a.notify[:0], a.titles[:0], a.decoded[:0]
	a.facts.process, a.facts.parent, a.facts.users, a.facts.hosts = a.facts.process[:0], a.facts.parent[:0], a.facts.users[:0], a.facts.hosts[:0]
	a.facts.userless = false
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
				a.commandText(v, false, false, 0)
			}
		}
	}
}

func (a *analysis) addTitles(v detect.Values) {
	for _, t := range v {
		if len(t) > 0 {
			a.titles = append(a.titles, a.whole(t))
		}
	}
}

// processCreation scores Sysmon 1 and Security 4688.
func (a *analysis) processCreation(in []detect.Values) {
	img := first(in[inImage])
	if img == nil {
		img = first(in[inNewProcessName])
	}
	imgS := a.whole(img)
	a.facts.process = append(a.facts.process, imgS)
	base := basename(a.lowOf(imgS))
	ofn := a.lowOf(a.whole(bytes.TrimSpace(first(in[inOriginalFileName]))))

	isBitsadmin := string(base) == "bitsadmin.exe" || string(ofn) == "bitsadmin.exe"
	if string(ofn) == "bitsadmin.exe" && string(base) != "bitsadmin.exe" {
		a.found.add(renamedBitsadmin)
	}
	isPowerShell := nameIn(base, powerShellNames) || originalNameIn(ofn, powerShellOriginalNames)

	cmd := in[inCommandLine]
	if first(cmd) == nil {
		cmd = in[inProcessCommandLine]
	}
	bitsUse := isBitsadmin
	for _, v := range cmd {
		if a.commandText(v, isBitsadmin, isPowerShell, 0) {
			bitsUse = true
		}
	}
	if bitsUse {
		a.procs = append(a.procs, imgS)
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
		a.found.add(officeParent)
	}
	if string(parentBase) == "svchost.exe" {
		a.serviceChild(imgS, base, ofn, first(in[inParentCommandLine]), cmd)
	}
}

// serviceChild scores a child of svchost.exe: the BITS service starts a
// job's SetNotifyCmdLine program, and nothing else but error reporting.
func (a *analysis) serviceChild(img span, base, ofn, parentCmd []byte, cmd detect.Values) {
	interpreter := nameIn(base, interpreterNames) || nameIn(ofn, interpreterNames)
	if parentCmd == nil {
		// Security 4688 names no parent command line: any service could be
		// the parent (the Task Scheduler starts cmd.exe too), so this is a
		// weak signal on its own.
		if interpreter {
			a.found.add(svchostChildInterpreter)
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
	a.found.add(bitsServiceChild)
	if interpreter {
		a.found.add(childIsInterpreter)
	}
	if isUserWritable(a.lowOf(img)) {
		a.found.add(childInUserWritable)
	}
	if c := first(cmd); c != nil {
		a.notify = append(a.notify, a.whole(c))
	} else {
		a.notify = append(a.notify, img)
	}
}

// jobCreated scores Bits-Client event 3 by the process that created the job.
func (a *analysis) jobCreated(processPath []byte) {
	s := a.whole(processPath)
	a.procs = append(a.procs, s)
	a.facts.process = append(a.facts.process, s)
	p := a.lowOf(s)
	base := basename(p)
	switch {
	case nameIn(base, []string{"bitsadmin"}):
		a.found.add(bitsJobFromBitsadmin)
	case nameIn(base, powerShellNames):
		a.found.add(bitsJobFromPowerShell)
	case nameIn(base, scriptHostNames):
		a.found.add(bitsJobFromLOLBin)
	case !isSystemLocation(p):
		a.found.add(bitsJobFromUnusualProcess)
		if isUserWritable(p) {
			a.found.add(clientInUserWritable)
		}
	}
}

// fileAdded scores Bits-Client event 16403: a file added to a job.
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

// commandText scores a command line or script text and reports whether it
// uses BITS. procBitsadmin and procPowerShell say that the text is the
// command line of that process, whose first token is the program however
// it was renamed.
func (a *analysis) commandText(text []byte, procBitsadmin, procPowerShell bool, depth int) bool {
	lo, hi := a.tokenize(text)
	a.explicitDest = false
	bits := false
	for k := lo; k < hi; k++ {
		t := a.toks[k]
		lt := a.lowOf(t.span)
		if urlStart(lt) >= 0 {
			continue
		}
		base := basename(lt)
		switch {
		case k == lo && procBitsadmin || nameIn(base, []string{"bitsadmin"}):
			if t.obf >= 0 {
				a.found.add(quoteObfuscation)
			}
			end := a.cmdEnd(k, hi)
			a.bitsadmin(k, end)
			bits = true
			k = end - 1
		case k == lo && procPowerShell || nameIn(base, powerShellNames):
			if a.powerShellArgs(k+1, a.cmdEnd(k, hi), depth) {
				bits = true
			}
		case nameIn(base, []string{"desktopimgdownldr"}):
			end := a.cmdEnd(k, hi)
			if a.desktopImgDownldr(k+1, end) {
				bits = true
			}
			k = end - 1
		}
	}
	if a.cmdlets(lo, hi) {
		bits = true
	}
	return bits
}

func isSwitch(lt []byte) bool {
	return len(lt) > 1 && (lt[0] == '/' || lt[0] == '-') && urlStart(lt) < 0 && pathStart(lt) < 0
}

// switchName returns a switch's name without its prefix or a `:value`.
func switchName(lt []byte) []byte {
	name := lt[1:]
	if i := bytes.IndexByte(name, ':'); i >= 0 {
		name = name[:i]
	}
	return name
}

// obfuscatedSwitch reports a quote or caret inside a switch's name.
func obfuscatedSwitch(t token, name []byte) bool {
	return t.obf >= 1 && int(t.obf) <= len(name)
}

// bitsadmin parses one bitsadmin command: toks[k] is the program and the
// command ends before toks[end].
func (a *analysis) bitsadmin(k, end int) {
	var (
		expectTitle, pairing, notify, upload bool
		haveRemote                           bool
		remoteExt                            span
	)
	for m := k + 1; m < end; m++ {
		t := a.toks[m]
		lt := a.lowOf(t.span)
		if isSwitch(lt) {
			name := switchName(lt)
			if obfuscatedSwitch(t, name) {
				a.found.add(quoteObfuscation)
			}
			switch string(name) {
			case "transfer", "addfile":
				a.found.add(bitsadminDownload)
				expectTitle, pairing = true, true
			case "addfileset", "addfilewithranges", "replaceremoteprefix":
				a.found.add(bitsadminDownload)
				expectTitle = true
			case "upload":
				a.found.add(bitsadminUpload)
				upload = true
			case "setnotifycmdline":
				a.found.add(notifyCmdline)
				expectTitle, notify = true, true
			case "setnotifyflags":
				a.found.add(notifyFlags)
				expectTitle = true
			case "create", "resume", "complete", "setminretrydelay", "setcustomheaders", "setnoprogresstimeout",
				"takeownership", "setcredentials", "setproxysettings", "sethelpertoken", "sethelpertokenflags",
				"setsecurityflags", "setclientcertificatebyid", "setclientcertificatebyname", "setpeercachingflags":
				a.found.add(bitsadminJobControl)
				expectTitle = true
			case "reset":
				a.found.add(bitsadminReset)
			case "priority", "aclflags":
				m++ // the switch's value
			case "download", "dynamic", "allusers", "rawreturn", "wrap", "nowrap", "verbose":
			default:
				expectTitle = true
			}
			continue
		}
		if expectTitle {
			expectTitle = false
			if urlStart(lt) < 0 && pathStart(lt) < 0 {
				a.titles = append(a.titles, t.span)
				continue
			}
		}
		if notify {
			a.notifyProgram(m, end)
			break
		}
		if pairing {
			if !haveRemote {
				remoteExt = a.sourceToken(m, true)
				haveRemote = true
				continue
			}
			haveRemote = false
			if upload {
				// The local file of an upload is what leaves, not a payload.
				continue
			}
			s, last := a.joined(m, end, int32(max(pathStart(lt), 0)))
			a.dest(s, remoteExt, true)
			m = last
			continue
		}
		if us := urlStart(lt); us >= 0 {
			a.urlToken(m, us, true)
		}
	}
	if upload {
		// `/transfer job /upload`: the verb is an upload, not a download.
		a.found &^= 1 << bitsadminDownload
	}
}

// notifyProgram scores the program and parameters of /SetNotifyCmdLine,
// which start at toks[m] and run to the end of the command.
func (a *analysis) notifyProgram(m, end int) {
	prog, last := a.joined(m, end, 0)
	p := a.lowOf(prog)
	if string(p) == "null" {
		// `/SetNotifyCmdLine job NULL NULL` clears the command.
		a.found &^= 1 << notifyCmdline
		return
	}
	if nameIn(basename(p), interpreterNames) || bytes.Contains(p, []byte("%comspec%")) {
		a.found.add(notifyRunsInterpreter)
	}
	if isUserWritable(p) {
		a.found.add(notifyProgramUserWritable)
	}
	for k := last + 1; k < end; k++ {
		lt := a.lowOf(a.toks[k].span)
		if k == last+1 && nameIn(basename(lt), interpreterNames) {
			a.found.add(notifyRunsInterpreter)
		}
		if isUserWritable(lt) {
			a.found.add(notifyProgramUserWritable)
		}
	}
	a.notify = append(a.notify, span{prog.start, a.toks[end-1].end})
}

// desktopImgDownldr scores desktopimgdownldr.exe /lockscreenurl:, a
// Windows binary that downloads through BITS.
func (a *analysis) desktopImgDownldr(from, end int) bool {
	found := false
	for m := from; m < end; m++ {
		lt := a.lowOf(a.toks[m].span)
		// Not isSwitch: the switch carries its URL (`/lockscreenurl:https://x`).
		if len(lt) > 1 && (lt[0] == '/' || lt[0] == '-') && string(switchName(lt)) == "lockscreenurl" {
			a.found.add(desktopimgdownldrDownload)
			found = true
			if us := urlStart(lt); us >= 0 {
				a.urlToken(m, us, true)
			} else if ps := bytes.IndexByte(lt, ':'); ps >= 0 && ps+1 < len(lt) {
				a.source(span{a.toks[m].start + int32(ps) + 1, a.toks[m].end}, true)
			}
		}
	}
	return found
}

// isEncodedCommandSwitch reports the names powershell.exe and pwsh accept
// for -EncodedCommand: any prefix of it, and the alias -ec.
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
			a.found.add(encodedCommand)
			if obfuscatedSwitch(t, name) {
				a.found.add(quoteObfuscation)
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
// records the text and scores it as PowerShell. It reports whether the
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
	if a.commandText(a.dec[s.start:s.end], false, false, depth+1) {
		a.found.add(bitsInEncodedCommand)
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

// cmdlets scores BITS cmdlets and COM use in toks[lo:hi] and, when there
// are any, the URLs and destinations of the whole text. It reports whether
// the text uses BITS.
func (a *analysis) cmdlets(lo, hi int) bool {
	found := false
	for k := lo; k < hi; k++ {
		t := a.toks[k]
		lt := a.lowOf(t.span)
		switch {
		case containsAny(lt, bitsCmdlets):
			a.found.add(bitsCmdlet)
			if t.obf >= 0 {
				a.found.add(quoteObfuscation)
			}
			found = true
			a.cmdletParams(k+1, a.cmdEnd(k, hi))
		case containsAny(lt, bitsCOMMarkers):
			a.found.add(bitsCOMObject)
			found = true
		}
		if len(lt) > 0 && lt[0] != '/' && lt[0] != '-' && bytes.Contains(lt, []byte("setnotifycmdline")) {
			// The COM method, IBackgroundCopyJob2::SetNotifyCmdLine.
			a.found.add(notifyCmdline)
			found = true
		}
	}
	if found {
		a.scriptURLs(lo, hi)
	}
	return found
}

func isParam(lt []byte) bool { return len(lt) > 1 && lt[0] == '-' && isLetter(lt[1]) }

// cmdletParams reads -Source and -Destination (and their prefixes and the
// `-Name:value` form) of one BITS cmdlet call. Destinations are scored
// after the sources, whichever comes first, so that a rename on download
// (-Source x.txt -Destination x.exe) is seen.
func (a *analysis) cmdletParams(from, end int) {
	var (
		dests   [4]span
		nDests  int
		srcExt  span
		addDest = func(s span) {
			if nDests < len(dests) {
				dests[nDests] = s
				nDests++
			} else {
				a.dest(s, span{}, true)
			}
		}
	)
	for m := from; m < end; m++ {
		lt := a.lowOf(a.toks[m].span)
		if !isParam(lt) {
			continue
		}
		name := switchName(lt)
		attached := len(name)+1 < len(lt)
		switch {
		case len(name) >= 4 && bytes.HasPrefix([]byte("destination"), name):
			a.explicitDest = true
			switch {
			case attached:
				addDest(span{a.toks[m].start + int32(len(name)) + 2, a.toks[m].end})
			case m+1 < end && !isParam(a.lowOf(a.toks[m+1].span)):
				s, last := a.joined(m+1, end, int32(max(pathStart(a.lowOf(a.toks[m+1].span)), 0)))
				addDest(s)
				a.toks[m+1].used = true
				m = last
			}
		case len(name) >= 2 && bytes.HasPrefix([]byte("source"), name):
			if attached {
				srcExt = a.source(span{a.toks[m].start + int32(len(name)) + 2, a.toks[m].end}, true)
			}
			for m+1 < end && !isParam(a.lowOf(a.toks[m+1].span)) {
				m++
				srcExt = a.sourceToken(m, true)
				a.toks[m].used = true
			}
		}
	}
	for _, s := range dests[:nDests] {
		a.dest(s, srcExt, true)
	}
}

// scriptURLs scores every URL in a text that uses BITS, and takes the path
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
		if t.used {
			continue
		}
		us := urlStart(a.lowOf(t.span))
		if us < 0 {
			continue
		}
		ext := a.urlToken(k, us, true)
		if a.explicitDest || k+1 >= hi || a.toks[k+1].used {
			continue
		}
		if off := pathStart(a.lowOf(a.toks[k+1].span)); off >= 0 {
			s, _ := a.joined(k+1, hi, int32(off))
			a.dest(s, ext, true)
			a.toks[k+1].used = true
		}
	}
}

// sourceToken scores toks[m] as the remote name of a transfer and returns
// the extension of the file it names.
func (a *analysis) sourceToken(m int, cmdCtx bool) span {
	lt := a.lowOf(a.toks[m].span)
	if us := urlStart(lt); us >= 0 {
		return a.urlToken(m, us, cmdCtx)
	}
	return a.source(a.toks[m].span, cmdCtx)
}

// urlToken scores the URL at offset us of toks[m], counting a quote or
// caret inserted before the end of its host as obfuscation.
func (a *analysis) urlToken(m, us int, cmdCtx bool) span {
	t := a.toks[m]
	u := a.url(span{t.start + int32(us), t.end}, cmdCtx)
	if t.obf >= 0 && t.start+t.obf < u.hostEnd {
		a.found.add(quoteObfuscation)
	}
	return u.ext
}

// source scores s as the remote name of a transfer: a URL, a UNC path or a
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
		a.found.add(uncSource)
		a.host(uncHost(a.low, p))
		a.payloadExt(ext, cmdCtx)
	} else {
		a.found.add(localFileTransfer)
	}
	return ext
}

// url scores the URL low[s].
func (a *analysis) url(s span, cmdCtx bool) parsedURL {
	u := parseURL(a.low, s)
	a.urls = append(a.urls, s)
	if u.malformed {
		a.found.add(malformedURL)
	}
	if u.userinfo {
		a.found.add(urlUserinfo)
	}
	switch u.scheme {
	case schemeFTP:
		a.found.add(ftpURL)
		a.host(u.host)
	case schemeFile:
		h := a.lowOf(u.host)
		if u.slashes == 2 && len(h) > 1 && string(h) != "localhost" {
			a.found.add(uncSource)
			a.host(u.host)
		} else {
			a.found.add(localFileTransfer)
		}
	default:
		a.host(u.host)
	}
	a.payloadExt(u.ext, cmdCtx)
	return u
}

// host scores where a transfer's remote end is and records it for the
// known-good host check.
func (a *analysis) host(h span) {
	if h.len() == 0 {
		return
	}
	a.facts.hosts = append(a.facts.hosts, h)
	switch classifyHost(a.lowOf(h)) {
	case hostExternal:
		a.found.add(externalURL)
	case hostFileSharing:
		a.found.add(externalURL)
		a.found.add(fileSharingDomain)
	case hostPublicIP:
		a.found.add(rawIPURL)
	case hostPrivateIP:
		a.found.add(privateIPURL)
	}
}

// payloadExt scores what a transferred file's extension says it is. Image
// and text extensions only count on command lines, where Sigma finds them
// covering payloads; in the Bits-Client log they are ordinary (lock-screen
// images, for one).
func (a *analysis) payloadExt(ext span, cmdCtx bool) {
	switch classifyExt(a.lowOf(ext)) {
	case extExecutable:
		a.found.add(executableDownload)
	case extArchive:
		a.found.add(archiveDownload)
	case extDisguise:
		if cmdCtx {
			a.found.add(disguisedExtension)
		}
	}
}

// dest scores s as a transfer's local destination; remoteExt is the
// extension of the remote file, when known.
func (a *analysis) dest(s span, remoteExt span, cmdCtx bool) {
	if s.len() == 0 {
		return
	}
	a.dests = append(a.dests, s)
	p := a.lowOf(s)
	if isUserWritable(p) {
		a.found.add(downloadToUserWritable)
	}
	ext := extension(a.low, s)
	a.payloadExt(ext, cmdCtx)
	if classifyExt(a.lowOf(ext)) == extExecutable && remoteExt.len() > 0 && !bytes.Equal(a.lowOf(remoteExt), a.lowOf(ext)) {
		a.found.add(renamedOnDownload)
	}
}
