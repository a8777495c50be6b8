package hardened

import (
	"bytes"

	"bitsscore/src/detect"
)

// Most events a search streams are ordinary process creations: a program
// that is neither bitsadmin nor PowerShell, a command line that names
// nothing BITS, a parent other than the service host. For them the
// analysis finds no fact and extracts nothing, and this mode's outputs are
// the quiet ones (RiskScore 0, every other output null). uneventful proves
// that from the inputs directly, by a few searches over the bytes as they
// are, so such an event costs neither a memo hash nor an analysis.
//
// It follows analyze step by step, and answers false wherever a step
// could find something: it may send an ordinary event to the analysis,
// never an eventful one to the shortcut. TestShortcutAnswersAsAnalysis and
// FuzzShortcutAnswersAsAnalysis hold it to that.

// quietWithoutFacts says that the rule table finds nothing in an event
// without facts, so that such an event's outputs are the quiet ones.
var quietWithoutFacts = noFactsJudged == 0 && noFactsScore == 0 && noFactsRisk == 0

// uneventful reports that analyzeAndJudge would find no fact in the event
// whose inputs are in and whose SPL outputs are splOut, and extract no
// value: its own outputs are then RiskScore 0 and nulls.
func (d *Detector) uneventful(in, splOut []detect.Values) bool {
	if !quietWithoutFacts || d.splSelects(splOut) {
		return false
	}
	// Bits-Client fields: each yields a fact or a value as soon as it holds
	// one (name is read only with url).
	for _, f := range [...]int{inProcessPath, inJobTitle, inURL, inRemoteName, inLocalName} {
		if first(in[f]) != nil {
			return false
		}
	}
	// PowerShell logging: script text is read by commandText, which finds
	// nothing in a text without an anchor.
	for _, f := range [...]int{inScriptBlockText, inPayload, inData} {
		for _, v := range in[f] {
			if holdsAnchor(v) {
				return false
			}
		}
	}
	// Process creation, as processCreation reads it.
	img := first(in[inImage])
	if img == nil {
		img = first(in[inNewProcessName])
	}
	if img == nil {
		return true
	}
	names := appendLowerASCII(d.names[:0], basename(img))
	base := names
	names = appendLowerASCII(names, bytes.TrimSpace(first(in[inOriginalFileName])))
	originalName := names[len(base):]
	d.names = names
	if string(base) == "bitsadmin.exe" || string(originalName) == "bitsadmin.exe" ||
		nameIn(base, powerShellNames) || originalNameIn(originalName, powerShellOriginalNames) {
		return false
	}
	cmd := in[inCommandLine]
	if first(cmd) == nil {
		cmd = in[inProcessCommandLine]
	}
	for _, v := range cmd {
		if holdsAnchor(v) {
			return false
		}
	}
	// The command line does not use BITS, so only a service host parent
	// can yield a fact (serviceChild): with a parent command line, only if
	// it names the BITS service (whose name is an anchor) or the child is
	// an interpreter; without one, only if the child is an interpreter.
	parent := first(in[inParentImage])
	if parent == nil {
		parent = first(in[inParentProcessName])
	}
	if parent == nil || !equalFoldName(basename(parent), "svchost.exe") {
		return true
	}
	if nameIn(base, interpreterNames) || nameIn(originalName, interpreterNames) {
		return false
	}
	parentCmd := first(in[inParentCommandLine])
	return parentCmd == nil || !holdsAnchor(parentCmd)
}

// splSelects reports whether the SPL's IsBitsAdmin or IsPowerShell is 1:
// otherwise splFacts finds nothing.
func (d *Detector) splSelects(spl []detect.Values) bool {
	one := func(k int) bool {
		at := d.splAt[k]
		return at >= 0 && len(spl[at]) == 1 && string(spl[at][0]) == "1"
	}
	return one(splIsBitsAdmin) || one(splIsPowerShell)
}

// setQuiet sets own to the outputs of an event without facts.
func (d *Detector) setQuiet(own []detect.Values) {
	own[outRiskScore] = d.quietRisk
	for k := outRiskScore + 1; k < numOwnOutputs; k++ {
		own[k] = nil
	}
}

func appendLowerASCII(dst, s []byte) []byte {
	for _, c := range s {
		dst = append(dst, lowerASCII(c))
	}
	return dst
}

// equalFoldName reports whether b is lower (lowercase ASCII) under ASCII
// case folding.
func equalFoldName(b []byte, lower string) bool {
	return len(b) == len(lower) && equalFoldASCII(b, lower)
}
