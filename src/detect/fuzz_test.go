package detect

import (
	"strings"
	"testing"
)

// valueSeparator splits a fuzzed string into the values of a multivalue
// field (a byte no needle holds).
const valueSeparator = "\x1e"

// fuzzField turns a fuzzed string into a field of the given shape: 0 null,
// 1 single value, 2 multivalue split at valueSeparator.
func fuzzField(s string, shape int) Values {
	switch shape % 3 {
	case 0:
		return nil
	case 1:
		return one(s)
	default:
		return multi(strings.Split(s, valueSeparator)...)
	}
}

// FuzzSPLMatchesReference checks NewSPL against the regexp2 reference on
// whole events. shape picks each field's form (see fuzzField), from its
// low, middle and high base-3 digits.
func FuzzSPLMatchesReference(f *testing.F) {
	for i, s := range adversarialValues {
		other := adversarialValues[(i*7+3)%len(adversarialValues)]
		f.Add(s, other, other+s, i)
	}
	fast, long, ref := NewSPL(), longPathSPL(), mustReference(f)
	f.Fuzz(func(t *testing.T, commandLine, processCommandLine, image string, shape int) {
		if len(commandLine) > maxDifferentialValue || len(processCommandLine) > maxDifferentialValue || len(image) > maxDifferentialValue {
			return // the reference is quadratic on long lines; the linear tests cover them
		}
		if shape < 0 {
			shape = -shape
		}
		e := splEvent{
			commandLine:        fuzzField(commandLine, shape),
			processCommandLine: fuzzField(processCommandLine, shape/3),
			image:              fuzzField(image, shape/9),
		}
		assertSameAsReference(t, fast, ref, e)
		assertSameAsReference(t, long, ref, e)
	})
}

// FuzzExternalDownloadMatchesReference aims the fuzzer at the linear
// ExternalDownload: prefix and suffix wrap each input around a scheme and a
// Microsoft domain, the shapes the lookahead argument is about.
func FuzzExternalDownloadMatchesReference(f *testing.F) {
	for _, s := range adversarialValues {
		if strings.Contains(s, "://") || strings.Contains(s, ".com") {
			f.Add(s, uint8(0))
		}
	}
	const wraps = 6
	external := referenceRule(f, "ExternalDownload")
	f.Fuzz(func(t *testing.T, s string, wrap uint8) {
		if len(s) > maxDifferentialValue {
			return // the reference is quadratic on long lines
		}
		switch wrap % wraps {
		case 1:
			s = "http://" + s
		case 2:
			s = s + ".microsoft.com"
		case 3:
			s = "https://" + s + ".windows.com"
		case 4:
			s = s + "\nhttp://" + s
		case 5:
			s = "http://" + s + "\n" + s + ".windowsupdate.com"
		}
		want := external.match(Values{[]byte(s)})
		scanned, _ := scanCommandLine([]byte(s), true)
		if scanned&flagExternalDownload != 0 != want {
			t.Errorf("ExternalDownload(%q): scanCommandLine %v, reference %v", s, !want, want)
		}
		if got := hasExternalDownload([]byte(s)); got != want {
			t.Errorf("ExternalDownload(%q): hasExternalDownload %v, reference %v", s, got, want)
		}
		// Without ExternalDownload the scan decides the other rules alike.
		if lower, _ := scanCommandLine([]byte(s), false); lower != scanned&^flagExternalDownload {
			t.Errorf("scanCommandLine(%q): %08b without ExternalDownload, %08b with", s, lower, scanned)
		}
	})
}

// referenceRule is the reference's rule for field.
func referenceRule(tb testing.TB, field string) regexpRule {
	tb.Helper()
	ref := mustReference(tb)
	for i := range SPLRules {
		if SPLRules[i].Field == field {
			return regexpRule{ref: ref, index: i}
		}
	}
	tb.Fatalf("SPLRules has no %s", field)
	return regexpRule{}
}

// regexpRule runs one reference rule on a field.
type regexpRule struct {
	ref   *splReference
	index int
}

func (r *regexpRule) match(field Values) bool {
	return r.ref.matchAny(r.ref.rules[r.index], field, SPLRules[r.index].Lower)
}
