package appcheck

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// confStanza is one [stanza] of a Splunk .conf file.
type confStanza struct {
	Name   string
	Line   int               // line of the [stanza] header (0 for the implicit global stanza)
	Keys   []string          // in file order
	Values map[string]string // key -> value
}

// Get returns the value of key and whether it is set.
func (s *confStanza) Get(key string) (string, bool) {
	v, ok := s.Values[key]
	return v, ok
}

// confFile is a parsed .conf file: its stanzas in file order.
type confFile struct {
	Stanzas []*confStanza
}

// Stanza returns the stanza called name, or nil.
func (c *confFile) Stanza(name string) *confStanza {
	for _, s := range c.Stanzas {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// globalStanza names the settings that come before the first [stanza]
// header; Splunk merges them into [default].
const globalStanza = "default"

// parseConf parses a Splunk .conf file the way splunkd reads one:
//   - "[name]" starts a stanza; the name is everything between the first "["
//     and the last "]", trimmed;
//   - "key = value" sets a key; key and value are trimmed of surrounding
//     blanks;
//   - a line ending in a backslash continues on the next line: the backslash
//     is dropped and the newline kept, and the next line is taken as is
//     (a "#" there is part of the value, not a comment);
//   - lines whose first non-blank character is "#" and blank lines are
//     ignored; there are no comments after a value.
//
// Unlike splunkd it rejects, rather than merges, a repeated stanza or key
// and any other line: in a shipped app those are mistakes.
func parseConf(text string) (*confFile, error) {
	conf := &confFile{}
	current := &confStanza{Name: globalStanza, Values: map[string]string{}}
	seen := map[string]bool{}
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		line := strings.TrimSuffix(lines[i], "\r")
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
			continue
		case strings.HasPrefix(trimmed, "["):
			end := strings.LastIndex(trimmed, "]")
			if end < 0 || end != len(trimmed)-1 {
				return nil, fmt.Errorf("line %d: malformed stanza header %q", lineNo, trimmed)
			}
			name := strings.TrimSpace(trimmed[1:end])
			if seen[name] {
				return nil, fmt.Errorf("line %d: stanza [%s] repeated", lineNo, name)
			}
			seen[name] = true
			if len(current.Keys) > 0 || current.Name != globalStanza {
				conf.Stanzas = append(conf.Stanzas, current)
			}
			current = &confStanza{Name: name, Line: lineNo, Values: map[string]string{}}
			continue
		}
		eq := strings.Index(line, "=")
		if eq < 0 {
			return nil, fmt.Errorf("line %d: neither a stanza, a setting nor a comment: %q", lineNo, line)
		}
		key := strings.TrimSpace(line[:eq])
		if key == "" {
			return nil, fmt.Errorf("line %d: setting without a key", lineNo)
		}
		value := strings.TrimLeft(line[eq+1:], " \t")
		for strings.HasSuffix(value, `\`) && i+1 < len(lines) {
			i++
			value = value[:len(value)-1] + "\n" + strings.TrimSuffix(lines[i], "\r")
		}
		if strings.HasSuffix(value, `\`) {
			return nil, fmt.Errorf("line %d: continuation at the end of the file", lineNo)
		}
		if _, dup := current.Values[key]; dup {
			return nil, fmt.Errorf("line %d: [%s] sets %s twice", lineNo, current.Name, key)
		}
		current.Keys = append(current.Keys, key)
		current.Values[key] = strings.TrimRight(value, " \t")
	}
	if len(current.Keys) > 0 || current.Name != globalStanza {
		conf.Stanzas = append(conf.Stanzas, current)
	}
	return conf, nil
}

func TestParseConf(t *testing.T) {
	text := "# comment\n" +
		"top = level\n" +
		"\n" +
		"[first stanza]\n" +
		"  key =  value with spaces  \n" +
		"empty =\n" +
		"multi = line one\\\n" +
		"  line two\\\n" +
		"# not a comment\n" +
		"after = x=y\n" +
		"   # indented comment\n" +
		"[second]\r\n" +
		"crlf = yes\r\n"
	conf, err := parseConf(text)
	if err != nil {
		t.Fatal(err)
	}
	type flat struct {
		Name   string
		Line   int
		Keys   []string
		Values map[string]string
	}
	var got []flat
	for _, s := range conf.Stanzas {
		got = append(got, flat(*s))
	}
	want := []flat{
		{Name: "default", Keys: []string{"top"}, Values: map[string]string{"top": "level"}},
		{Name: "first stanza", Line: 4, Keys: []string{"key", "empty", "multi", "after"}, Values: map[string]string{
			"key":   "value with spaces",
			"empty": "",
			"multi": "line one\n  line two\n# not a comment",
			"after": "x=y",
		}},
		{Name: "second", Line: 12, Keys: []string{"crlf"}, Values: map[string]string{"crlf": "yes"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parseConf mismatch (-want +got):\n%s", diff)
	}
}

func TestParseConfRejectsMistakes(t *testing.T) {
	for name, text := range map[string]string{
		"repeated stanza":        "[a]\nx = 1\n[a]\ny = 2\n",
		"repeated key":           "[a]\nx = 1\nx = 2\n",
		"garbage line":           "[a]\njust words\n",
		"unclosed stanza":        "[a\nx = 1\n",
		"text after stanza":      "[a] x = 1\n",
		"empty key":              "[a]\n = 1\n",
		"dangling continuation":  "[a]\nx = 1\\",
		"repeated global stanza": "x = 1\n[default]\ny = 2\n[default]\n",
	} {
		if _, err := parseConf(text); err == nil {
			t.Errorf("%s: parseConf accepted %q", name, text)
		}
	}
}
