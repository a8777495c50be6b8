package detect

import (
	"fmt"
	"strings"
	"testing"
)

// one is a single-valued field.
func one(s string) Values { return Values{[]byte(s)} }

// multi is a multivalue field.
func multi(values ...string) Values {
	v := make(Values, len(values))
	for i, s := range values {
		v[i] = []byte(s)
	}
	return v
}

// splEvent is the input of one event, in splInputs() order; nil is null.
type splEvent struct {
	commandLine, processCommandLine, image Values
}

func (e splEvent) String() string {
	return fmt.Sprintf("CommandLine=%s ProcessCommandLine=%s Image=%s",
		renderValues(e.commandLine), renderValues(e.processCommandLine), renderValues(e.image))
}

func renderValues(v Values) string {
	if v == nil {
		return "null"
	}
	quoted := make([]string, len(v))
	for i, s := range v {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(quoted, " ") + "]"
}

// scoreEvent runs d on e and returns each output field's values as strings,
// nil for a null output. It copies, because outputs are only valid until the
// next Score.
func scoreEvent(d Detector, e splEvent) map[string][]string {
	in := []Values{e.commandLine, e.processCommandLine, e.image}
	out := make([]Values, len(d.Outputs()))
	d.Score(in, out)
	got := make(map[string][]string, len(out))
	for j, name := range d.Outputs() {
		var values []string
		for _, v := range out[j] {
			values = append(values, string(v))
		}
		got[name] = values
	}
	return got
}

func mustReference(tb testing.TB) *splReference {
	tb.Helper()
	ref, err := newSPLReference()
	if err != nil {
		tb.Fatalf("newSPLReference: %v", err)
	}
	return ref
}
