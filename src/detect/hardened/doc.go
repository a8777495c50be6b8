package hardened

import (
	"fmt"
	"strings"

	"bitsscore/src/internal/textfmt"
)

// IndicatorDoc describes one indicator of the rule table: what the app's
// indicator lookup and docs/hardened.md show.
type IndicatorDoc struct {
	Name        string
	Weight      int
	Evasion     bool
	Description string
	Technique   string // MITRE ATT&CK technique IDs joined with ";"
	Reference   string
}

// Indicators returns the rule table's indicators in table order: the
// app's indicator reference lookup (lookups/bitsscore_indicators.csv) is
// generated from it. Every Technique starts with T1197 (BITS Jobs).
func Indicators() []IndicatorDoc {
	out := make([]IndicatorDoc, len(rules))
	for i, r := range rules {
		// The docs' Markdown code marks mean nothing in a Splunk table.
		out[i] = IndicatorDoc{Name: r.indicatorName(), Weight: r.weight, Evasion: r.kind == evasion, Description: strings.ReplaceAll(r.description, "`", ""),
			Technique: r.technique, Reference: r.reference}
	}
	return out
}

// IndicatorTable renders the rule table as docs/hardened.md's indicator
// table (Markdown): one row per rule with its weight, ATT&CK techniques,
// meaning, attack example, nearest benign twin and reference.
func IndicatorTable() string {
	var b strings.Builder
	b.WriteString("| indicator | weight | kind | ATT&CK | meaning | attack example | benign twin | reference |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, r := range rules {
		kind := ""
		switch r.kind {
		case evasion:
			kind = "evasion"
		case knownGood:
			kind = "known-good"
		}
		fmt.Fprintf(&b, "| `%s` | %d | %s | %s | %s | %s | %s | %s |\n", r.indicatorName(), r.weight, kind,
			strings.ReplaceAll(r.technique, ";", ", "), cell(r.description), exampleCell(r.attack), exampleCell(r.benign), cell(r.reference))
	}
	return b.String()
}

// cell escapes a Markdown table cell's pipes.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// exampleCell shows an example by the fields that tell it apart: the
// defaults every process example carries (its user and explorer.exe
// parent) and the job's title and owner are left out.
func exampleCell(e example) string {
	var parts []string
	for i := 0; i+1 < len(e); i += 2 {
		k, v := e[i], e[i+1]
		switch {
		case k == "EventCode":
			parts = append(parts, v+":")
			continue
		case k == "User" || k == "jobOwner" || k == "jobTitle" || k == "name" || k == "SubjectUserName",
			k == "ParentImage" && v == `C:\Windows\explorer.exe`,
			k == "ParentCommandLine" && v == `C:\Windows\Explorer.EXE`,
			k == "Image" && (v == exBitsadmin || v == exPowerShell || v == exCmd):
			continue
		}
		v = textfmt.Clip(v, 90)
		parts = append(parts, k+"=``"+strings.ReplaceAll(v, "|", `\|`)+"``")
	}
	return strings.Join(parts, " ")
}
