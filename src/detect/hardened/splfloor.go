package hardened

import "bitsscore/src/detect"

// The SPL outputs the floor rule reads, in splAt order.
const (
	splIsBitsAdmin = iota
	splIsPowerShell
	splHasNotify
	splHasTransfer
	splSuspiciousDest
	splSuspiciousExt
	splExternalDownload
	splCommandLine
	numSPLFields
)

var splFields = [numSPLFields]string{"IsBitsAdmin", "IsPowerShell", "HasNotify", "HasTransfer", "SuspiciousDest",
	"SuspiciousExt", "ExternalDownload", "CommandLine"}

// splFacts reads the original saved search's verdict from its outputs:
// factSPLAlert when it keeps the event, (IsBitsAdmin=1 OR IsPowerShell=1)
// AND SuspicionScore>=1, and factSPLProgramNameOnly when it does so only
// through its SuspiciousExt defect: `powershell.exe -c Get-Date` scores 1
// because the program's own name ends in .exe (docs/detection.md). The
// rule table judges both (spl_alert, spl_program_name_only); an executable
// extension anywhere after the program is a real SuspiciousExt.
func (d *Detector) splFacts(spl []detect.Values) factSet {
	one := func(k int) bool {
		at := d.splAt[k]
		return at >= 0 && len(spl[at]) == 1 && string(spl[at][0]) == "1"
	}
	var s factSet
	if !d.splSelects(spl) {
		return s
	}
	if one(splHasNotify) || one(splHasTransfer) || one(splSuspiciousDest) || one(splExternalDownload) {
		s.set(factSPLAlert)
		return s
	}
	if !one(splSuspiciousExt) {
		return s
	}
	s.set(factSPLAlert)
	if d.splAt[splCommandLine] < 0 {
		return s // the command line is unknown: the alert stands
	}
	for _, cmd := range spl[d.splAt[splCommandLine]] {
		if executableExtAfter(cmd, programEnd(cmd)) {
			return s
		}
	}
	s.set(factSPLProgramNameOnly)
	return s
}
