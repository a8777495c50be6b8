package hardened

import (
	"slices"
	"strings"
	"testing"
)

// exampleEvent turns a rule's example into a test event.
func exampleEvent(t *testing.T, e example) event {
	t.Helper()
	if len(e)%2 != 0 {
		t.Fatalf("example %q: odd number of strings", e)
	}
	return ev(e...)
}

// TestRuleExamples: every rule's attack example alerts with the rule's
// indicator, and its nearest benign twin carries neither. A weak rule
// (below the threshold on its own) whose event type can carry nothing
// else may fall short of an alert, but must still score above its twin.
func TestRuleExamples(t *testing.T) {
	d := New(nil)
	seen := map[string]bool{}
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			if seen[r.name] {
				t.Fatalf("rule %s defined twice", r.name)
			}
			seen[r.name] = true
			if r.attack == nil || r.benign == nil || r.description == "" || r.reference == "" || r.technique == "" {
				t.Fatalf("rule %s lacks an attack example, a benign twin, a description, a reference or a technique", r.name)
			}
			for _, id := range strings.Split(r.technique, ";") {
				if len(id) < 5 || id[0] != 'T' {
					t.Errorf("technique %q is not an ATT&CK ID", id)
				}
			}
			a := score(t, d, exampleEvent(t, r.attack))
			b := score(t, d, exampleEvent(t, r.benign))
			if r.kind == knownGood {
				checkKnownGoodExamples(t, r, a, b)
				return
			}
			if !a.has(r.name) {
				t.Errorf("attack: Indicators %v lack %s", a.indicators, r.name)
			}
			if a.risk < AlertThreshold && (r.weight >= AlertThreshold || a.risk <= b.risk) {
				t.Errorf("attack: RiskScore %d (Indicators %v), want an alert", a.risk, a.indicators)
			}
			if b.risk >= AlertThreshold || b.has(r.name) {
				t.Errorf("benign twin: RiskScore %d, Indicators %v; want < %d without %s", b.risk, b.indicators, AlertThreshold, r.name)
			}
		})
	}
}

// checkKnownGoodExamples: a built-in known-good entry's benign example is
// the event it allows (known_good:<name>, below the threshold), and its
// attack example is the nearest event it must not allow, which alerts.
func checkKnownGoodExamples(t *testing.T, r rule, attack, allowed result) {
	t.Helper()
	if r.weight != 0 {
		t.Errorf("known-good rule %s has weight %d, want 0", r.name, r.weight)
	}
	if !allowed.has("known_good:"+r.name) || allowed.risk > knownGoodCeiling {
		t.Errorf("allowed example: RiskScore %d, Indicators %v; want <= %d with known_good:%s", allowed.risk, allowed.indicators, knownGoodCeiling, r.name)
	}
	if attack.risk < AlertThreshold || slices.ContainsFunc(attack.indicators, func(s string) bool { return strings.HasSuffix(s, ":"+r.name) }) {
		t.Errorf("attack twin: RiskScore %d, Indicators %v; want an alert the entry does not match", attack.risk, attack.indicators)
	}
}
