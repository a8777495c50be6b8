// Package golden holds the golden tests of the default ("spl") detection
// against real recorded Windows events; it has no code outside its tests.
//
// testdata/golden/spl.csv lists events from testdata/real-events by fixture
// file and 1-based line: every process-creation event (Sysmon EventCode 1,
// Security 4688), every Bits-Client event, and a sample of ordinary events.
// For each it gives the value of every output of detect.NewSPL and whether
// the original search's where clause
//
//	(IsBitsAdmin=1 OR IsPowerShell=1) AND SuspicionScore >= 1
//
// keeps the event. The values were worked out by hand from the SPL's
// semantics in docs/detection.md, not by running the implementation, so the
// test checks the implementation against an independent reading of the
// search. The events reach the detector as Splunk's Windows and Sysmon
// add-ons would extract them, through package winevent.
//
// To add an event: append a row with hand-derived values; never copy the
// implementation's output into the file. A disagreement is a finding to
// settle from the SPL semantics, on whichever side is wrong.
package golden
