package modes

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"bitsscore/src/detect/hardened"
)

func TestNew(t *testing.T) {
	for _, mode := range []string{SPL, Hardened} {
		if !Valid(mode) {
			t.Errorf("Valid(%q) = false", mode)
		}
		det, err := New(mode, Options{})
		if err != nil {
			t.Fatalf("New(%q): %v", mode, err)
		}
		hasRisk := slices.Contains(det.Outputs(), "RiskScore")
		if hasRisk != (mode == Hardened) {
			t.Errorf("New(%q) outputs %v", mode, det.Outputs())
		}
	}
	for _, bad := range []string{"", "SPL", "Hardened", "strict"} {
		if Valid(bad) {
			t.Errorf("Valid(%q) = true", bad)
		}
		if _, err := New(bad, Options{}); err == nil || !strings.Contains(err.Error(), "is not a mode") {
			t.Errorf("New(%q): err %v, want \"is not a mode\"", bad, err)
		}
	}
}

func TestAlerts(t *testing.T) {
	event := func(fields map[string]string) func(string) string {
		return func(name string) string { return fields[name] }
	}
	for _, c := range []struct {
		mode   string
		fields map[string]string
		want   bool
	}{
		{SPL, map[string]string{"IsBitsAdmin": "1", "SuspicionScore": "1"}, true},
		{SPL, map[string]string{"IsPowerShell": "1", "SuspicionScore": "3"}, true},
		{SPL, map[string]string{"IsBitsAdmin": "1", "SuspicionScore": "0"}, false},
		{SPL, map[string]string{"IsBitsAdmin": "0", "IsPowerShell": "0", "SuspicionScore": "4"}, false},
		{SPL, map[string]string{"IsBitsAdmin": "1"}, false},
		{Hardened, map[string]string{"RiskScore": "49"}, false},
		{Hardened, map[string]string{"RiskScore": "50"}, true},
		{Hardened, map[string]string{"RiskScore": "100"}, true},
		{Hardened, map[string]string{"RiskScore": "", "IsBitsAdmin": "1", "SuspicionScore": "5"}, false},
	} {
		if got := Alerts(c.mode, event(c.fields)); got != c.want {
			t.Errorf("Alerts(%s, %v) = %v, want %v", c.mode, c.fields, got, c.want)
		}
	}
	if got, want := AlertCondition(Hardened), "where RiskScore >= 50"; got != want || hardened.AlertThreshold != 50 {
		t.Errorf("AlertCondition(hardened) = %q, want %q", got, want)
	}
}

func TestLoadKnownGood(t *testing.T) {
	dir := t.TempDir()
	if known, err := LoadKnownGood(filepath.Join(dir, "absent.csv"), true); err != nil || known.Len() != hardened.DefaultKnownGood().Len() {
		t.Errorf("absent file: %v, %v; want the shipped list", known, err)
	}
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("not,a,known,good,header\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Hardened, Options{KnownGoodFile: bad}); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("bad file: err %v, want one naming %s", err, bad)
	}
}
