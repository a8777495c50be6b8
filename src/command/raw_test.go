package command_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"bitsscore/src/splcsv"
	"bitsscore/src/splunkd"
)

// raw=t: where the Windows add-on is not installed, the events arrive with
// _raw only, and the command extracts what it needs from the XML itself.
func TestRawFromXML(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "real-events", "evtx-to-mitre-attack", "security4688_bitsadmin_transfer.xml.log"))
	if err != nil {
		t.Fatalf("fixture missing: %v", err)
	}
	xmlEvents := strings.Split(strings.TrimSpace(string(data)), "\n")
	w := splcsv.NewWriter()
	for _, h := range []string{"_raw", "_chunked_idx", "CommandLine"} {
		w.WriteString(h)
	}
	w.EndRecord()
	for i, x := range xmlEvents {
		w.WriteString(x)
		w.WriteString(string(rune('0' + i)))
		w.WriteString("")
		w.EndRecord()
	}
	// A non-XML event in the same search keeps its extracted fields.
	w.WriteString("plain text event")
	w.WriteString("9")
	w.WriteString("bitsadmin /SetNotifyCmdLine j cmd.exe NULL")
	w.EndRecord()

	res := runSession(t, []splunkd.Chunk{{Body: w.Bytes(), Finished: true}}, splunkd.Options{}, "raw=t")
	if !slices.Contains(res.Info.RequiredFields, "_raw") || !slices.Contains(res.Info.RequiredFields, "CommandLine") {
		t.Errorf("required_fields = %q, want the inputs plus _raw", res.Info.RequiredFields)
	}
	out := res.Replies[0].Table
	want := []map[string]string{
		// The 4688 bitsadmin /transfer: CommandLine from EventData; no Image in 4688.
		{"CommandLine": "bitsadmin  /transfer hackingarticles https://www.ma-neobanque.com/wp-content/uploads/2020/11/carte-max-premium.jpg c:\\ignite.png",
			"Image": "", "HasTransfer": "1", "ExternalDownload": "1", "SuspiciousExt": "0", "SuspicionScore": "2"},
		{"CommandLine": "C:\\Windows\\system32\\DllHost.exe /Processid:{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}", "SuspiciousExt": "1", "SuspicionScore": "1"},
		{"CommandLine": "bitsadmin /SetNotifyCmdLine j cmd.exe NULL", "HasNotify": "1", "SuspiciousExt": "1", "SuspicionScore": "2"},
	}
	for r, fields := range want {
		for f, v := range fields {
			if got := out.Get(r, f); got != v {
				t.Errorf("record %d %s = %q, want %q", r, f, got, v)
			}
		}
	}
	if got := out.Get(0, "_raw"); got != xmlEvents[0] {
		t.Errorf("_raw changed")
	}
}
