package hardened

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"bitsscore/src/internal/textfmt"
)

// KnownGoodColumns are the columns of a known-good lookup, in the order the
// shipped file uses. A file must have all of them, in any order, and no
// others.
var KnownGoodColumns = []string{"id", "process", "parent", "host", "destination", "user", "description"}

// defaultKnownGoodCSV is lookups/bitsscore_known_good.csv, compiled in so
// that the detector works without the app's files (a test keeps the two
// byte-identical).
//
//go:embed known_good.csv
var defaultKnownGoodCSV []byte

// KnownGood is a list of known-good BITS activity: entries that, when they
// match an event, lower its RiskScore below the alert threshold and name
// themselves in Indicators as `known_good:<id>`.
//
// An entry is a conjunction of conditions, one per non-empty column; each
// column holds alternatives separated by `|`, compared case-insensitively:
//   - process: glob over the BITS client's image (Image or NewProcessName of
//     a process creation, processPath of a Bits-Client job);
//   - parent: glob over ParentImage / ParentProcessName;
//   - host: domain names; every URL host of the event must be one of them
//     or a subdomain, and the event must have one;
//   - destination: glob over every local destination of the event (at
//     least one);
//   - user: glob over User, SubjectUserName and jobOwner. Bits-Client
//     59/60/61 name no user (the service writes them on nobody's behalf)
//     and are judged by the other columns alone; any other event without
//     a user fails the condition.
//
// Globs use `*` for any run of characters. A KnownGood is immutable and
// safe to share between Detectors.
type KnownGood struct {
	entries []knownGoodEntry
}

type knownGoodEntry struct {
	id          string
	line        int // where the entry stands in its file, for error messages
	process     []globPattern
	parent      []globPattern
	host        []string
	destination []globPattern
	user        []globPattern
	// suppressed and overridden are the Indicators values this entry
	// contributes: it lowered the score, or it matched but an evasion
	// indicator kept the score.
	suppressed, overridden []byte
}

// Len returns the number of entries.
func (k *KnownGood) Len() int { return len(k.entries) }

// IDs returns the entries' ids in file order.
func (k *KnownGood) IDs() []string {
	ids := make([]string, len(k.entries))
	for i, e := range k.entries {
		ids[i] = e.id
	}
	return ids
}

// DefaultKnownGood returns the known-good list shipped with the app.
func DefaultKnownGood() *KnownGood {
	k, err := ParseKnownGood(bytes.NewReader(defaultKnownGoodCSV))
	if err != nil {
		// The embedded file is tested; a failure here is a build defect.
		panic("hardened: shipped known-good list: " + err.Error())
	}
	return k
}

// ParseKnownGood reads a known-good lookup: CSV with a header row naming
// KnownGoodColumns. Errors name the line.
func ParseKnownGood(r io.Reader) (*KnownGood, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("known-good list: empty, want a header row")
	}
	if err != nil {
		return nil, fmt.Errorf("known-good list: %w", err)
	}
	col := map[string]int{}
	for i, name := range header {
		if i == 0 {
			name = strings.TrimPrefix(name, "\ufeff") // spreadsheet exports start with a BOM
		}
		name = strings.TrimSpace(name)
		if !slices.Contains(KnownGoodColumns, name) {
			return nil, fmt.Errorf("known-good list: line 1: unknown column %q (want %s)", excerpt(name), strings.Join(KnownGoodColumns, ","))
		}
		if _, dup := col[name]; dup {
			return nil, fmt.Errorf("known-good list: line 1: column %q repeated", name)
		}
		col[name] = i
	}
	for _, name := range KnownGoodColumns {
		if _, ok := col[name]; !ok {
			return nil, fmt.Errorf("known-good list: line 1: missing column %q", name)
		}
	}
	k := &KnownGood{}
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return k, nil
		}
		if err != nil {
			return nil, fmt.Errorf("known-good list: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			return nil, fmt.Errorf("known-good list: line %d: %d fields, want %d", line, len(rec), len(header))
		}
		e, err := parseEntry(rec, col)
		if err != nil {
			return nil, fmt.Errorf("known-good list: line %d: %w", line, err)
		}
		if first, dup := seen[e.id]; dup {
			return nil, fmt.Errorf("known-good list: line %d: id %q already used on line %d", line, excerpt(e.id), first)
		}
		if builtinKnownGood(e.id) {
			return nil, fmt.Errorf("known-good list: line %d: id %q is a built-in entry of the rule table; choose another", line, excerpt(e.id))
		}
		seen[e.id] = line
		e.line = line
		k.entries = append(k.entries, e)
	}
}

// builtinKnownGood reports whether id names a known-good row of the rule
// table, whose Indicators values a lookup entry must not be able to forge.
func builtinKnownGood(id string) bool {
	for i := range rules {
		if rules[i].kind == knownGood && rules[i].name == id {
			return true
		}
	}
	return false
}

// excerpt is a value of the file as an error quotes it: the file is the
// customer's, perhaps not a list at all, and an error shows in the search
// UI, so it quotes no more than a clipped excerpt (with %q, which escapes
// what is not printable).
func excerpt(s string) string { return textfmt.Clip(s, 60) }

func parseEntry(rec []string, col map[string]int) (knownGoodEntry, error) {
	var e knownGoodEntry
	e.id = strings.TrimSpace(rec[col["id"]])
	if e.id == "" {
		return e, errors.New("empty id")
	}
	for _, c := range e.id {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return e, fmt.Errorf("id %q: use only a-z, 0-9, '_', '-' and '.'", excerpt(e.id))
		}
	}
	for _, f := range []struct {
		column string
		dst    *[]globPattern
	}{
		{"process", &e.process},
		{"parent", &e.parent},
		{"destination", &e.destination},
		{"user", &e.user},
	} {
		alts, err := parseAlternatives(rec[col[f.column]], false)
		if err != nil {
			return e, fmt.Errorf("column %s: %w", f.column, err)
		}
		for _, alt := range alts {
			*f.dst = append(*f.dst, compileGlob(alt))
		}
	}
	hosts, err := parseAlternatives(rec[col["host"]], true)
	if err != nil {
		return e, fmt.Errorf("column host: %w", err)
	}
	for _, h := range hosts {
		e.host = append(e.host, string(h))
	}
	if e.process == nil && e.parent == nil && e.host == nil && e.destination == nil && e.user == nil {
		return e, fmt.Errorf("entry %q has no condition and would allow everything", excerpt(e.id))
	}
	if e.process == nil && e.parent == nil && e.host == nil && e.destination == nil {
		return e, fmt.Errorf("entry %q has only a user condition and would allow everything that user does", excerpt(e.id))
	}
	e.suppressed = fullSlice("known_good:" + e.id)
	e.overridden = fullSlice("known_good_overridden:" + e.id)
	return e, nil
}

// fullSlice returns s as bytes with no spare capacity, so that a caller
// appending to an output value cannot write into memory it shares.
func fullSlice(s string) []byte {
	b := []byte(s)
	return b[:len(b):len(b)]
}

// parseAlternatives splits a cell on '|', lowercasing each alternative.
// Host alternatives are domain names: a leading "*." or "." is dropped and
// no other wildcard is allowed.
func parseAlternatives(cell string, host bool) ([][]byte, error) {
	cell = strings.TrimSpace(cell)
	if cell == "" {
		return nil, nil
	}
	var alts [][]byte
	for alt := range strings.SplitSeq(cell, "|") {
		alt = strings.ToLower(strings.TrimSpace(alt))
		if host {
			alt = strings.TrimPrefix(strings.TrimPrefix(alt, "*."), ".")
			if strings.ContainsAny(alt, "*/\\:@ ") {
				return nil, fmt.Errorf("host %q: give a domain name, as in download.example.com or example.com", excerpt(alt))
			}
		}
		if alt == "" {
			return nil, fmt.Errorf("empty alternative in %q", excerpt(cell))
		}
		alts = append(alts, []byte(alt))
	}
	return alts, nil
}

// Merge returns a list holding k's entries followed by extra's: the
// shipped defaults extended by a customer's file. Ids must stay unique.
func (k *KnownGood) Merge(extra *KnownGood) (*KnownGood, error) {
	out := &KnownGood{entries: slices.Concat(k.entries, extra.entries)}
	base := map[string]int{}
	for _, e := range k.entries {
		base[e.id] = e.line
	}
	for _, e := range extra.entries {
		if first, dup := base[e.id]; dup {
			return nil, fmt.Errorf("known-good list: line %d: id %q is already defined (line %d of the list it extends)", e.line, excerpt(e.id), first)
		}
	}
	return out, nil
}

// eventFacts are the values of one event that known-good entries test,
// lowercased, as spans of the analysis buffer.
type eventFacts struct {
	low                    []byte
	process, parent, users []span
	hosts, destinations    []span
	// userless marks an event of a kind that records no user (Bits-Client
	// 59/60/61), which a user condition therefore cannot judge.
	userless bool
}

func (e *knownGoodEntry) matches(f *eventFacts) bool {
	return globAny(e.process, f.low, f.process, false) &&
		globAny(e.parent, f.low, f.parent, false) &&
		hostsAll(e.host, f.low, f.hosts) &&
		globAny(e.destination, f.low, f.destinations, true) &&
		(f.userless && len(f.users) == 0 || globAny(e.user, f.low, f.users, false))
}

// globAny reports whether the condition holds: no patterns means no
// condition; otherwise some (or, with all, every) value must match some
// pattern, and there must be a value.
func globAny(patterns []globPattern, low []byte, values []span, all bool) bool {
	if patterns == nil {
		return true
	}
	if len(values) == 0 {
		return false
	}
	for _, v := range values {
		m := false
		for _, p := range patterns {
			if p.match(low[v.start:v.end]) {
				m = true
				break
			}
		}
		if m && !all {
			return true
		}
		if !m && all {
			return false
		}
	}
	return all
}

func hostsAll(domains []string, low []byte, hosts []span) bool {
	if domains == nil {
		return true
	}
	if len(hosts) == 0 {
		return false
	}
	for _, h := range hosts {
		ok := false
		for _, d := range domains {
			if hasDomainSuffix(low[h.start:h.end], d) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// globPattern is a lowercased glob where '*' matches any run of bytes,
// compiled to the literal pieces between the stars.
type globPattern struct {
	pieces [][]byte
	// starStart and starEnd report a star before the first piece and after
	// the last one; without them the piece is anchored at that end.
	starStart, starEnd bool
}

func compileGlob(p []byte) globPattern {
	g := globPattern{starStart: len(p) > 0 && p[0] == '*', starEnd: len(p) > 0 && p[len(p)-1] == '*'}
	for piece := range bytes.SplitSeq(p, []byte("*")) {
		if len(piece) > 0 {
			g.pieces = append(g.pieces, piece)
		}
	}
	if len(g.pieces) == 0 {
		g.starEnd = g.starStart // "" matches only ""; "*" matches anything
	}
	return g
}

// match reports whether s matches. Taking each piece at its leftmost place
// is correct for star-only globs, so this is one pass of bytes.Index over
// s: linear in len(s).
func (g globPattern) match(s []byte) bool {
	if len(g.pieces) == 0 {
		return g.starStart || len(s) == 0
	}
	pieces := g.pieces
	if !g.starStart {
		if !bytes.HasPrefix(s, pieces[0]) {
			return false
		}
		s = s[len(pieces[0]):]
		pieces = pieces[1:]
		if len(pieces) == 0 {
			return g.starEnd || len(s) == 0
		}
	}
	last := len(pieces) - 1
	if !g.starEnd {
		// The final piece must end s; the ones before it must fit before.
		if !bytes.HasSuffix(s, pieces[last]) {
			return false
		}
		s = s[:len(s)-len(pieces[last])]
		pieces = pieces[:last]
	}
	for _, piece := range pieces {
		i := bytes.Index(s, piece)
		if i < 0 {
			return false
		}
		s = s[i+len(piece):]
	}
	return true
}
