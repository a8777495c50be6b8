package winevent

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"bitsscore/src/internal/fixture"
)

// fixtureDir holds the real recordings, copied into the repository with
// their provenance so the tests never depend on anything outside it.
const fixtureDir = "../../testdata/real-events"

// Every fixture file and its event count from PROVENANCE.txt: a file that
// goes missing or loses lines fails here instead of shrinking coverage.
var fixtureEventCounts = map[string]int{
	"evtx-to-mitre-attack/bits-client_3-59-60-4_bitsadmin_transfer.xml.log":             5,
	"evtx-to-mitre-attack/security4688_bitsadmin_transfer.xml.log":                      2,
	"evtx-to-mitre-attack/bits-client_high-volume-download_powershell.xml.log":          6,
	"evtx-to-mitre-attack/powershell_800-4103-4104_start-bitstransfer.xml.log":          11,
	"otrf-security-datasets/cmd_bitsadmin_download_psh_script_2020-10-2302365189.jsonl": 424,
}

// fixtureLines returns the lines of one fixture file.
func fixtureLines(t testing.TB, name string) [][]byte {
	t.Helper()
	return fixture.Lines(t, filepath.Join(fixtureDir, filepath.FromSlash(name)))
}

// fixtureEvent parses line n (1-based) of a fixture.
func fixtureEvent(t *testing.T, name string, n int) Event {
	t.Helper()
	lines := fixtureLines(t, name)
	if n < 1 || n > len(lines) {
		t.Fatalf("fixture %s has %d lines, no line %d", name, len(lines), n)
	}
	e, err := Parse(lines[n-1])
	if err != nil {
		t.Fatalf("%s:%d: %v", name, n, err)
	}
	return e
}

func TestEveryFixtureLineParses(t *testing.T) {
	for name, want := range fixtureEventCounts {
		lines := fixtureLines(t, name)
		if len(lines) != want {
			t.Errorf("%s: %d lines, PROVENANCE.txt says %d", name, len(lines), want)
		}
		for i, line := range lines {
			e, err := Parse(line)
			if err != nil {
				t.Errorf("%s:%d: %v", name, i+1, err)
				continue
			}
			// Every recorded event names its code, host, channel and time.
			for _, field := range []string{"EventCode", "host", "source", "sourcetype", "_time"} {
				if e.Get(field) == "" {
					t.Errorf("%s:%d: no %s", name, i+1, field)
				}
			}
			checkInvariants(t, e)
		}
	}
}

// checkInvariants holds for every Event the package returns.
func checkInvariants(t testing.TB, e Event) {
	t.Helper()
	if len(e.Names) != len(e.Fields) {
		t.Fatalf("%d names for %d fields: %q", len(e.Names), len(e.Fields), e.Names)
	}
	seen := make(map[string]bool, len(e.Names))
	for _, name := range e.Names {
		if name == "" || seen[name] {
			t.Fatalf("name %q empty or repeated in %q", name, e.Names)
		}
		seen[name] = true
		values, ok := e.Fields[name]
		if !ok || len(values) == 0 {
			t.Fatalf("field %q is named but has no values", name)
		}
		for _, v := range values {
			if v == "" {
				t.Fatalf("field %q holds an empty value; empty must be absent", name)
			}
		}
	}
}

func TestSecurity4688(t *testing.T) {
	e := fixtureEvent(t, "evtx-to-mitre-attack/security4688_bitsadmin_transfer.xml.log", 1)
	want := map[string]string{
		"EventCode":         "4688",
		"EventID":           "4688",
		"NewProcessName":    `C:\Windows\System32\bitsadmin.exe`,
		"CommandLine":       `bitsadmin  /transfer hackingarticles https://www.ma-neobanque.com/wp-content/uploads/2020/11/carte-max-premium.jpg c:\ignite.png`,
		"ParentProcessName": `C:\Windows\System32\cmd.exe`,
		"SubjectUserName":   "admmig",
		"host":              "jump01.offsec.lan",
		"Computer":          "jump01.offsec.lan",
		"source":            "XmlWinEventLog:Security",
		"sourcetype":        "XmlWinEventLog",
		"_time":             "1614035240.794384",
		"SystemTime":        "2021-02-22T23:07:20.794384Z",
		"Name":              "Microsoft-Windows-Security-Auditing",
		"SourceName":        "Microsoft-Windows-Security-Auditing",
		"Guid":              "{54849625-5478-4994-a5ba-3e3b0328c30d}",
		"EventRecordID":     "8528057",
		"ProcessID":         "4",
		"ThreadID":          "5656",
		"Keywords":          "0x8020000000000000",
		"Task":              "13312",
		"Version":           "2",
		"Level":             "0",
		"Opcode":            "0",
		"Channel":           "Security",
		// The Security log's own PID field differs from System's ProcessID
		// only in case; Splunk field names are case-sensitive.
		"ProcessId": "0x0000000000001ff8",
	}
	checkFields(t, e, want)
	// A 4688 event carries no Image: the detection's documented blind spot.
	// <Security UserID=""/> is empty, so UserID is absent, not "".
	for _, absent := range []string{"Image", "ProcessCommandLine", "UserID"} {
		if values, ok := e.Fields[absent]; ok {
			t.Errorf("%s = %q, want absent", absent, values)
		}
	}
}

func checkFields(t *testing.T, e Event, want map[string]string) {
	t.Helper()
	for name, value := range want {
		if got := e.Fields[name]; len(got) != 1 || got[0] != value {
			t.Errorf("%s = %q, want [%q]", name, got, value)
		}
	}
}

func TestBitsClientJobCreated(t *testing.T) {
	e := fixtureEvent(t, "evtx-to-mitre-attack/bits-client_3-59-60-4_bitsadmin_transfer.xml.log", 1)
	checkFields(t, e, map[string]string{
		"EventCode":   "3",
		"processPath": `C:\Windows\System32\bitsadmin.exe`,
		"jobTitle":    "hackingarticles",
		"jobOwner":    `OFFSEC\admmig`,
		"jobId":       "{5f2863d6-e0ab-4470-8530-8f129b46177a}",
		"processId":   "7680",
		"UserID":      "S-1-5-18",
		"source":      "XmlWinEventLog:Microsoft-Windows-Bits-Client/Operational",
	})
}

func TestBitsClientTransferStarted(t *testing.T) {
	e := fixtureEvent(t, "evtx-to-mitre-attack/bits-client_3-59-60-4_bitsadmin_transfer.xml.log", 3)
	checkFields(t, e, map[string]string{
		"EventCode":  "59",
		"url":        "https://www.ma-neobanque.com/wp-content/uploads/2020/11/carte-max-premium.jpg",
		"name":       "hackingarticles",
		"Id":         "{5f2863d6-e0ab-4470-8530-8f129b46177a}",
		"bytesTotal": "50813",
		"ActivityID": "{746fd3d9-d296-42da-9f9c-b7ff6fa9151b}",
	})
	if _, ok := e.Fields["peer"]; ok {
		t.Errorf("peer = %q: <Data Name=\"peer\"></Data> is empty and must be absent", e.Fields["peer"])
	}
}

func TestBitsClientWindows7JobCreated(t *testing.T) {
	// Version 0 of event 3 names its data string, string2, string3; string3
	// is empty in this recording.
	e := fixtureEvent(t, "evtx-to-mitre-attack/bits-client_high-volume-download_powershell.xml.log", 1)
	checkFields(t, e, map[string]string{"string": "BITS Transfer", "string2": `OFFSEC\admmig`})
	if _, ok := e.Fields["string3"]; ok {
		t.Errorf("string3 = %q, want absent", e.Fields["string3"])
	}
}

func TestPowerShellScriptBlockEntitiesDecoded(t *testing.T) {
	name := "evtx-to-mitre-attack/powershell_800-4103-4104_start-bitstransfer.xml.log"
	e := fixtureEvent(t, name, 2)
	checkFields(t, e, map[string]string{
		"EventCode":       "4104",
		"ScriptBlockText": `Start-BitsTransfer -Priority foreground -Source https://raw.githubusercontent.com/redcanaryco/atomic-red-team/master/atomics/T1197/T1197.md -Destination C:\Users\bits.ps1`,
		"ScriptBlockId":   "76350588-4aa4-4047-9ecb-9b285c4fa71b",
		"source":          "XmlWinEventLog:Microsoft-Windows-PowerShell/Operational",
	})

	// &#13;&#10; become CR LF, &#169; the copyright sign.
	manifest := fixtureEvent(t, name, 3).Get("ScriptBlockText")
	wantStart := "@{\r\nGUID=\"{8FA5064B-8479-4c5c-86EA-0D311FE48875}\"\r\nAuthor=\"Microsoft Corporation\"\r\n"
	if !strings.HasPrefix(manifest, wantStart) {
		t.Errorf("ScriptBlockText starts %q, want %q", clip(manifest), wantStart)
	}
	if want := "Copyright=\"\u00a9 Microsoft Corporation. All rights reserved.\"\r\n"; !strings.Contains(manifest, want) {
		t.Errorf("ScriptBlockText lacks %q", want)
	}
	if !strings.HasSuffix(manifest, "}\r\n") || strings.Contains(manifest, "&#") {
		t.Errorf("ScriptBlockText not fully decoded: ...%q", manifest[len(manifest)-20:])
	}
}

func TestPowerShell4103Payload(t *testing.T) {
	e := fixtureEvent(t, "evtx-to-mitre-attack/powershell_800-4103-4104_start-bitstransfer.xml.log", 7)
	want := "CommandInvocation(Start-BitsTransfer): \"Start-BitsTransfer\"\r\n" +
		"ParameterBinding(Start-BitsTransfer): name=\"Priority\"; value=\"foreground\"\r\n" +
		"ParameterBinding(Start-BitsTransfer): name=\"Source\"; value=\"https://raw.githubusercontent.com/redcanaryco/atomic-red-team/master/atomics/T1197/T1197.md\"\r\n" +
		"ParameterBinding(Start-BitsTransfer): name=\"Destination\"; value=\"C:\\Users\\bits.ps1\"\r\n"
	checkFields(t, e, map[string]string{"EventCode": "4103", "Payload": want})
	if _, ok := e.Fields["UserData"]; ok {
		t.Error(`<Data Name="UserData"></Data> is empty and must be absent`)
	}
}

func TestPowerShell800UnnamedData(t *testing.T) {
	// The fixture's converter wrote the three strings of event 800 as one
	// <Data> whose text lists them as <string>...</string>; the event's own
	// rendering has three <Data> elements. Both are checked.
	e := fixtureEvent(t, "evtx-to-mitre-attack/powershell_800-4103-4104_start-bitstransfer.xml.log", 5)
	data := e.Fields["Data"]
	if len(data) != 1 {
		t.Fatalf("Data has %d values, want the converter's one", len(data))
	}
	wantStart := "<string>Start-BitsTransfer -Priority foreground -Source https://raw.githubusercontent.com/"
	if !strings.HasPrefix(data[0], wantStart) || !strings.Contains(data[0], "\tHostApplication=C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\r\n") {
		t.Errorf("Data = %q", clip(data[0]))
	}
	checkFields(t, e, map[string]string{"EventCode": "800", "Qualifiers": "0", "Name": "PowerShell", "source": "XmlWinEventLog:Windows PowerShell"})

	windows := `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='PowerShell'/><EventID Qualifiers='0'>800</EventID><TimeCreated SystemTime='2021-10-21T17:38:37.000000Z'/><Channel>Windows PowerShell</Channel><Computer>FS03.offsec.lan</Computer><Security/></System>` +
		`<EventData><Data>Start-BitsTransfer -Source https://x.test/a -Destination C:\Users\bits.ps1</Data><Data>	DetailSequence=1&#13;&#10;	CommandLine=Start-BitsTransfer</Data><Data></Data><Data>CommandInvocation(Start-BitsTransfer): "Start-BitsTransfer"&#13;&#10;</Data><Binary></Binary></EventData></Event>`
	e, err := ParseXML([]byte(windows))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`Start-BitsTransfer -Source https://x.test/a -Destination C:\Users\bits.ps1`,
		"\tDetailSequence=1\r\n\tCommandLine=Start-BitsTransfer",
		// the empty third <Data> is null, so it adds no value
		"CommandInvocation(Start-BitsTransfer): \"Start-BitsTransfer\"\r\n",
	}
	if diff := cmp.Diff(want, e.Fields["Data"]); diff != "" {
		t.Errorf("multivalue Data (-want +got):\n%s", diff)
	}
}

func TestOTRFSysmonProcessCreate(t *testing.T) {
	e := fixtureEvent(t, "otrf-security-datasets/cmd_bitsadmin_download_psh_script_2020-10-2302365189.jsonl", 118)
	checkFields(t, e, map[string]string{
		"EventCode":         "1",
		"EventID":           "1",
		"Image":             `C:\Windows\System32\bitsadmin.exe`,
		"OriginalFileName":  "bitsadmin.exe",
		"ParentImage":       `C:\Windows\System32\cmd.exe`,
		"ParentCommandLine": `"C:\windows\system32\cmd.exe" `,
		"User":              `WORKSTATION5\wardog`,
		"CommandLine":       `bitsadmin.exe  /transfer /Download /priority Foreground https://raw.githubusercontent.com/redcanaryco/atomic-red-team/master/atomics/T1197/T1197.md C:\Users\wardog\AppData\Local\Temp\bitsadmin1_flag.ps1`,
		"Product":           "Microsoft\u00ae Windows\u00ae Operating System",
		"host":              "WORKSTATION5",
		"Hostname":          "WORKSTATION5",
		"Computer":          "WORKSTATION5",
		"source":            "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational",
		"sourcetype":        "XmlWinEventLog",
		"_time":             "1603420603.547000",
		"SourceName":        "Microsoft-Windows-Sysmon",
	})
}

func TestOTRFSecurity4688(t *testing.T) {
	e := fixtureEvent(t, "otrf-security-datasets/cmd_bitsadmin_download_psh_script_2020-10-2302365189.jsonl", 3)
	checkFields(t, e, map[string]string{
		"EventCode":      "4688",
		"NewProcessName": `C:\Windows\System32\bitsadmin.exe`,
		"source":         "XmlWinEventLog:Security",
	})
	if _, ok := e.Fields["Image"]; ok {
		t.Error("a Security 4688 event has no Image")
	}
}

// splunkRaw rewrites a converted .evtx line into the form of Splunk's
// XmlWinEventLog _raw: attributes in single quotes and empty elements
// self-closed.
func splunkRaw(t *testing.T, line []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	inTag, inValue := false, false
	for _, c := range line {
		switch {
		case inValue && c == '"':
			out.WriteByte('\'')
			inValue = false
		case inValue && c == '\'':
			out.WriteString("&apos;")
		case inValue:
			out.WriteByte(c)
		case inTag && c == '"':
			out.WriteByte('\'')
			inValue = true
		default:
			if c == '<' {
				inTag = true
			} else if c == '>' {
				inTag = false
			}
			out.WriteByte(c)
		}
	}
	selfClose := regexp.MustCompile(`<(\w+)((?:\s[^<>]*)?)></(\w+)>`)
	raw := selfClose.ReplaceAllFunc(out.Bytes(), func(m []byte) []byte {
		parts := selfClose.FindSubmatch(m)
		if string(parts[1]) != string(parts[3]) {
			return m
		}
		return []byte("<" + string(parts[1]) + string(parts[2]) + "/>")
	})
	if !bytes.HasPrefix(raw, []byte(`<Event xmlns='`)) || !bytes.Contains(raw, []byte(`/>`)) {
		t.Fatalf("rewrite made no single-quoted attribute or no self-closed element: %.200s", raw)
	}
	return raw
}

func TestQuoteStylesGiveIdenticalEvents(t *testing.T) {
	for name := range fixtureEventCounts {
		if !strings.HasSuffix(name, ".xml.log") {
			continue
		}
		for i, line := range fixtureLines(t, name) {
			double, err := ParseXML(line)
			if err != nil {
				t.Fatalf("%s:%d: %v", name, i+1, err)
			}
			single, err := ParseXML(splunkRaw(t, line))
			if err != nil {
				t.Fatalf("%s:%d single-quoted: %v", name, i+1, err)
			}
			if diff := cmp.Diff(double, single); diff != "" {
				t.Errorf("%s:%d: single- and double-quoted forms differ (-double +single):\n%s", name, i+1, diff)
			}
		}
	}
}
