package hardened

import (
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
