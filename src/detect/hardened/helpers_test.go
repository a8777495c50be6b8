package hardened

import (
	"slices"
	"strconv"
	"testing"

	"bitsscore/src/detect"
)

// result is one scored event as an analyst reads it.
type result struct {
	risk       int
	indicators []string
	fields     map[string][]string // every output, by name
}

func (r result) has(ind string) bool { return slices.Contains(r.indicators, ind) }

// event is a test event: field name to values (several for multivalue).
type event map[string][]string

// ev builds a single-valued event from name, value pairs.
func ev(kv ...string) event {
	e := event{}
	for i := 0; i+1 < len(kv); i += 2 {
		e[kv[i]] = append(e[kv[i]], kv[i+1])
	}
	return e
}

// score runs d on e and decodes the outputs. It also checks that Score
// sets every output, as the Detector contract requires: out starts full of
// a stale value, as it would after another event.
func score(t testing.TB, d detect.Detector, e event) result {
	t.Helper()
	in := make([]detect.Values, len(d.Inputs()))
	for i, name := range d.Inputs() {
		for _, v := range e[name] {
			in[i] = append(in[i], []byte(v))
		}
	}
	out := make([]detect.Values, len(d.Outputs()))
	stale := []byte("stale")
	for j := range out {
		out[j] = detect.Values{stale}
	}
	d.Score(in, out)
	for j, v := range out {
		if len(v) == 1 && len(v[0]) > 0 && &v[0][0] == &stale[0] {
			t.Fatalf("Score left %s unset", d.Outputs()[j])
		}
	}
	r := result{fields: map[string][]string{}}
	for j, name := range d.Outputs() {
		for _, v := range out[j] {
			r.fields[name] = append(r.fields[name], string(v))
		}
	}
	risk := r.fields["RiskScore"]
	if len(risk) != 1 {
		t.Fatalf("RiskScore = %q, want one value", risk)
	}
	n, err := strconv.Atoi(risk[0])
	if err != nil {
		t.Fatalf("RiskScore %q: %v", risk[0], err)
	}
	r.risk = n
	r.indicators = r.fields["Indicators"]
	return r
}
