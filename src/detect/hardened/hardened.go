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
// An extractor (extract.go, extract_script.go) reads each event once into
// facts (facts.go), which carry no weight; the rule table (rules.go) judges
// them, then the known-good entries. See docs/hardened.md for every
// indicator, its weight, its examples and its source.
package hardened

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"

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
	// splAt locates the SPL outputs the floor rule reads (splFields), -1
	// when absent.
	splAt [numSPLFields]int

	a    analysis
	memo *resultMemo // nil: every event analysed
	// splVerdicter is spl when it is a detect.Verdicter, and splVerdicts
	// its number of verdicts; verdict is the last Score's (see Verdict).
	splVerdicter detect.Verdicter
	splVerdicts  int
	verdict      int
	riskBuf      []byte
	risk         detect.Values // one value, riskBuf, reused
	// quietRisk is the RiskScore of an event without facts; names is
	// uneventful's scratch.
	quietRisk detect.Values
	names     []byte
	// analyzeAll turns the uneventful shortcut off: every event is then
	// analysed (or answered by the memo), the reference tests hold the
	// shortcut to.
	analyzeAll bool
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
	d := &Detector{spl: spl, known: known, memo: newResultMemo(), verdict: detect.NoVerdict}
	risk := strconv.AppendInt(nil, int64(noFactsRisk), 10)
	d.quietRisk = detect.Values{risk[:len(risk):len(risk)]}
	d.splVerdicter, _ = spl.(detect.Verdicter)
	if d.splVerdicter != nil {
		d.splVerdicts = d.splVerdicter.Verdicts()
	}
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
	for i, name := range splFields {
		d.splAt[i] = slices.Index(spl.Outputs(), name)
	}
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
	remembered := false
	if !d.analyzeAll && d.uneventful(in, out[:nSPL]) {
		d.setQuiet(own)
	} else {
		remembered = d.scoreOwn(in, out[:nSPL], own)
	}
	d.verdict = detect.NoVerdict
	switch {
	case d.splVerdicter == nil:
	case quiet(own):
		d.verdict = d.splVerdicter.Verdict()
	case remembered:
		if n := d.memo.lastHitNumber(); n >= 0 {
			d.verdict = d.splVerdicts + n
		}
	}
}

// scoreOwn sets this mode's own outputs, from the memo when it remembers
// the event, and reports whether it did.
func (d *Detector) scoreOwn(in, splOut, own []detect.Values) bool {
	var hash uint64
	memoize := false
	if d.memo != nil {
		hash, memoize = d.memo.hash(in)
		if memoize && d.memo.lookup(hash, own) {
			return true
		}
	}
	d.analyzeAndJudge(in, splOut, own)
	if memoize {
		d.memo.store(hash, own)
	}
	return false
}

// Verdicts, Verdict and ForgetVerdicts make the hardened detector a
// detect.Verdicter. Most events yield no fact and no indicator: this
// mode's outputs are then RiskScore 0 and nulls, the same for all of them,
// and the SPL's verdict decides the rest, so the last Score's verdict is
// the SPL's. An event with an indicator or an extracted value has outputs
// of its own: when the memo answered it, its verdict is the number the
// memo gave it (after the SPL's verdicts), which stands for the event's
// inputs and so for all its outputs, until ForgetVerdicts; otherwise it is
// detect.NoVerdict.
func (d *Detector) Verdicts() int {
	if d.splVerdicter == nil {
		return 0
	}
	return d.splVerdicts + rememberedVerdicts
}

// Verdict is the last Score's verdict (see Verdicts).
func (d *Detector) Verdict() int { return d.verdict }

// ForgetVerdicts lets the memo number the events it answers afresh.
func (d *Detector) ForgetVerdicts() {
	if d.splVerdicter != nil {
		d.splVerdicter.ForgetVerdicts()
	}
	if d.memo != nil {
		d.memo.forgetVerdicts()
	}
}

// quiet reports whether own holds this mode's outputs for an event with
// no indicator and nothing extracted: RiskScore 0, every other output
// null.
func quiet(own []detect.Values) bool {
	if r := own[outRiskScore]; len(r) != 1 || string(r[0]) != "0" {
		return false
	}
	for _, v := range own[outRiskScore+1:] {
		if len(v) != 0 {
			return false
		}
	}
	return true
}

// analyzeAndJudge extracts the event's facts, judges them and fills own.
func (d *Detector) analyzeAndJudge(in, splOut, own []detect.Values) {
	a := &d.a
	a.reset()
	a.analyze(in)

	a.found |= d.splFacts(splOut)
	matched, score, risk := noFactsJudged, noFactsScore, noFactsRisk
	if a.found != 0 {
		matched = judge(a.found)
		score, risk = matched.score(), matched.risk()
	}
	d.indicators = d.indicators[:0]
	if matched != 0 {
		d.indicators = matched.appendIndicators(d.indicators)
	}
	if score > 0 {
		// The lookup's known-good entries come after the rule table's: each
		// one that matches caps the score, unless an evasion rule matched
		// too.
		a.facts.low = a.low
		a.facts.destinations = a.dests
		evasion := matched.hasEvasion()
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

// noFactsJudged is the rule table's judgement of an event without facts,
// most events': computed once, as judge is a function of the facts alone.
var (
	noFactsJudged = judge(0)
	noFactsScore  = noFactsJudged.score()
	noFactsRisk   = noFactsJudged.risk()
)

// programEnd returns where the program name at the start of a command line
// ends: after its closing quote when quoted, else at the first ASCII
// whitespace.
func programEnd(cmd []byte) int {
	i := 0
	for i < len(cmd) && isSPLSpace(cmd[i]) {
		i++
	}
	if i < len(cmd) && cmd[i] == '"' {
		if q := bytes.IndexByte(cmd[i+1:], '"'); q >= 0 {
			return i + q + 2
		}
		return len(cmd)
	}
	for i < len(cmd) && !isSPLSpace(cmd[i]) {
		i++
	}
	return i
}

// isSPLSpace is PCRE's \s without UCP: ASCII whitespace.
func isSPLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// splExts are the SPL's SuspiciousExt extensions.
var splExts = []string{"exe", "dll", "ps1", "bat", "cmd", "vbs", "js", "hta"}

// executableExtAfter reports the SPL's SuspiciousExt match,
// \.(exe|dll|ps1|bat|cmd|vbs|js|hta)(\s|$|'|"), starting at or after from.
// None of the extensions holds a letter whose Unicode lowercase differs
// from its ASCII one, so ASCII folding is exact here.
func executableExtAfter(cmd []byte, from int) bool {
	for i := from; i < len(cmd); i++ {
		if cmd[i] != '.' {
			continue
		}
		for _, ext := range splExts {
			end := i + 1 + len(ext)
			if end > len(cmd) || !equalFoldASCII(cmd[i+1:end], ext) {
				continue
			}
			if end == len(cmd) || isSPLSpace(cmd[end]) || cmd[end] == '\'' || cmd[end] == '"' ||
				cmd[end] == '\n' && end+1 == len(cmd) {
				return true
			}
		}
	}
	return false
}

func equalFoldASCII(b []byte, lower string) bool {
	for i := range b {
		if lowerASCII(b[i]) != lower[i] {
			return false
		}
	}
	return true
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
