package detect

import "strings"

// SPLRule is one `eval Field=if(match(Input, "Literal"), 1, 0)` line of the
// original T1197 search (docs/detection.md), kept as data so a drift-guard
// test can compare it with the search the app ships and so the reference
// implementation compiles exactly what Splunk's match() receives.
type SPLRule struct {
	Field   string // output field, e.g. "IsBitsAdmin"
	Input   string // the field match() reads, "Image" or "CommandLine"
	Lower   bool   // match() reads lower(Input)
	Literal string // the regex as written between the quotes of the SPL, with SPL escaping
	Pattern string // the regex as match() receives it: UnescapeSPLString(Literal)
}

// SPLRules are the eight match() evals of the original search, in its order.
// Treat the slice as read-only: the detectors and the drift guard share it.
var SPLRules = []SPLRule{
	{
		Field:   "IsBitsAdmin",
		Input:   "Image",
		Literal: `(?i)bitsadmin\.exe$`,
		Pattern: `(?i)bitsadmin\.exe$`,
	},
	{
		Field:   "IsPowerShell",
		Input:   "Image",
		Literal: `(?i)(powershell|pwsh)\.exe$`,
		Pattern: `(?i)(powershell|pwsh)\.exe$`,
	},
	{
		Field:   "HasNotify",
		Input:   "CommandLine",
		Lower:   true,
		Literal: `(/setnotifycmdline|/setnotifyflags)`,
		Pattern: `(/setnotifycmdline|/setnotifyflags)`,
	},
	{
		Field:   "HasTransfer",
		Input:   "CommandLine",
		Lower:   true,
		Literal: `(/transfer|/addfile|start-bitstransfer|new-bitstransfer|add-bitsfile)`,
		Pattern: `(/transfer|/addfile|start-bitstransfer|new-bitstransfer|add-bitsfile)`,
	},
	{
		Field:   "HasReset",
		Input:   "CommandLine",
		Lower:   true,
		Literal: `/reset`,
		Pattern: `/reset`,
	},
	{
		Field:   "SuspiciousDest",
		Input:   "CommandLine",
		Lower:   true,
		Literal: `(\\\\appdata\\\\|\\\\users\\\\public\\\\|\\\\programdata\\\\|\\\\windows\\\\temp\\\\|c:\\\\temp\\\\)`,
		Pattern: `(\\appdata\\|\\users\\public\\|\\programdata\\|\\windows\\temp\\|c:\\temp\\)`,
	},
	{
		Field:   "SuspiciousExt",
		Input:   "CommandLine",
		Lower:   true,
		Literal: `\.(exe|dll|ps1|bat|cmd|vbs|js|hta)(\s|$|'|\")`,
		Pattern: `\.(exe|dll|ps1|bat|cmd|vbs|js|hta)(\s|$|'|")`,
	},
	{
		Field:   "ExternalDownload",
		Input:   "CommandLine",
		Literal: `https?://(?!(.*\.microsoft\.com|.*\.windowsupdate\.com|.*\.windows\.com))`,
		Pattern: `https?://(?!(.*\.microsoft\.com|.*\.windowsupdate\.com|.*\.windows\.com))`,
	},
}

// UnescapeSPLString applies SPL's string-literal unescaping to the text
// between the quotes of a literal: `\\` becomes `\` and `\"` becomes `"`;
// every other backslash stays, which is why `\.` reaches PCRE2 unchanged.
func UnescapeSPLString(literal string) string {
	if !strings.Contains(literal, `\`) {
		return literal
	}
	var b strings.Builder
	b.Grow(len(literal))
	for i := 0; i < len(literal); i++ {
		c := literal[i]
		if c == '\\' && i+1 < len(literal) && (literal[i+1] == '\\' || literal[i+1] == '"') {
			i++
			c = literal[i]
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Field names of the original search.
const (
	fieldCommandLine        = "CommandLine"
	fieldProcessCommandLine = "ProcessCommandLine"
	fieldImage              = "Image"
	fieldSuspicionScore     = "SuspicionScore"
)

// splScored reports whether the SPL sums field into SuspicionScore
// (HasReset is computed but not scored).
func splScored(field string) bool {
	switch field {
	case "HasNotify", "HasTransfer", "SuspiciousDest", "SuspiciousExt", "ExternalDownload":
		return true
	}
	return false
}

// splInputs and splOutputs build fresh slices so no caller can alter what
// another Detector reports.
func splInputs() []string {
	return []string{fieldCommandLine, fieldProcessCommandLine, fieldImage}
}

func splOutputs() []string {
	out := []string{fieldCommandLine, fieldImage}
	for _, r := range SPLRules {
		out = append(out, r.Field)
	}
	return append(out, fieldSuspicionScore)
}

// Input and output positions shared by both SPL detectors: Outputs() is
// CommandLine, Image, then one flag per SPLRules entry, then the score.
const (
	inCommandLine        = 0
	inProcessCommandLine = 1
	inImage              = 2

	outCommandLine    = 0
	outImage          = 1
	outFirstFlag      = 2
	outSuspicionScore = outFirstFlag + 8
)

// isNullField reports whether a field is null for coalesce(). A field whose
// only value is the empty string is null too: in a chunked CSV body Splunk
// writes both as the same empty cell, so no event can tell them apart.
func isNullField(v Values) bool {
	return len(v) == 0 || len(v) == 1 && len(v[0]) == 0
}

// coalesceSPL returns the first non-null field, else fallback.
func coalesceSPL(fallback Values, fields ...Values) Values {
	for _, f := range fields {
		if !isNullField(f) {
			return f
		}
	}
	return fallback
}
