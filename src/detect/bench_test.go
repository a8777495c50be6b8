package detect

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"testing"

	"bitsscore/src/internal/testevents"
)

// typicalEvents are Sysmon process-creation command lines of 100-300 bytes,
// the traffic the streaming command sees: a few hits, mostly benign.
var typicalEvents = []splEvent{
	{commandLine: one(`bitsadmin.exe /transfer /Download /priority Foreground ` + artURL + ` %temp%\bitsadmin1_flag.ps1`), image: one(bitsadminImage)},
	{commandLine: one(`"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" -NoProfile -ExecutionPolicy Bypass -Command "Start-BitsTransfer -Source https://cdn.example.org/tools/agent.msi -Destination C:\ProgramData\Agent\agent.msi"`), image: one(powershellImage)},
	{commandLine: one(`C:\Windows\system32\svchost.exe -k netsvcs -p -s BITS`), image: one(`C:\Windows\System32\svchost.exe`)},
	{commandLine: one(`"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe" --type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US --service-sandbox-type=none --mojo-platform-channel-handle=2216 --field-trial-handle=1924,i,1234567890,987654321,262144 /prefetch:3`), image: one(`C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe`)},
	{commandLine: one(`bitsadmin.exe /setnotifycmdline AtomicBITS C:\Windows\system32\notepad.exe NULL`), image: one(bitsadminImage)},
	{commandLine: one(`powershell.exe -nop -w hidden -c "Start-BitsTransfer -Source http://au.download.windowsupdate.com/c/msdownload/update/software/defu/2024/kb.cab -Destination C:\Windows\SoftwareDistribution\Download\kb.cab"`), image: one(powershellImage)},
	{commandLine: one(`C:\Windows\system32\cmd.exe /c "C:\Users\alice\AppData\Local\Temp\setup_helper.bat" --install --quiet --log C:\Users\alice\AppData\Local\Temp\setup.log`), image: one(`C:\Windows\System32\cmd.exe`)},
	{commandLine: one(`"C:\Windows\CCM\CcmExec.exe" bitsadmin /transfer ccm /priority normal http://sccm01.corp.example.com/SMS_DP_SMSPKG$/ABC00012/sccm?/setup.exe C:\Windows\ccmcache\1\setup.exe`), image: one(bitsadminImage)},
}

func benchmarkScore(b *testing.B, d Detector, events []splEvent) {
	ins := make([][]Values, len(events))
	bytesPerRound := 0
	for i, e := range events {
		ins[i] = []Values{e.commandLine, e.processCommandLine, e.image}
		for _, v := range e.commandLine {
			bytesPerRound += len(v)
		}
	}
	out := make([]Values, len(d.Outputs()))
	b.ReportAllocs()
	b.SetBytes(int64(bytesPerRound / len(events)))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		d.Score(ins[i%len(ins)], out)
	}
}

// BenchmarkSPLScore is one event per op, cycling through typicalEvents,
// each scanned (the memo, which would answer these eight lines after their
// first time, is measured by BenchmarkSPLScoreTestEvents).
func BenchmarkSPLScore(b *testing.B) {
	benchmarkScore(b, newSPL(1, 0), typicalEvents)
}

// BenchmarkSPLScoreTestEvents is one event per op over the realistic mix
// the end-to-end benchmarks stream (src/internal/testevents): mostly benign
// process creations, the Atomic Red Team T1197 lines, and now and then a
// 2.7 KB encoded PowerShell line. Lines repeat, as on an indexer, so the
// memo answers most of them; "no-memo" scans every one (a memo of one slot
// and no room).
//
// The Unique variant appends a counter to every command line, so the memo
// never answers: 65,536 distinct lines, overflowing its arena many times
// over. "memo" against "no-memo" there is the memo's cost without its gain.
func BenchmarkSPLScoreTestEvents(b *testing.B) {
	mix := testEventsMix(b)
	b.Run("memo", func(b *testing.B) { benchmarkScore(b, NewSPL(), mix) })
	b.Run("no-memo", func(b *testing.B) { benchmarkScore(b, newSPL(1, 0), mix) })
}

func BenchmarkSPLScoreTestEventsUnique(b *testing.B) {
	mix := testEventsMix(b)
	events := make([]splEvent, 1<<16)
	for i := range events {
		e := mix[i%len(mix)]
		events[i] = splEvent{commandLine: one(fmt.Sprintf("%s /id:%d", e.commandLine[0], i)), image: e.image}
	}
	b.Run("memo", func(b *testing.B) { benchmarkScore(b, NewSPL(), events) })
	b.Run("no-memo", func(b *testing.B) { benchmarkScore(b, newSPL(1, 0), events) })
}

// testEventsMix decodes 4096 events of testevents.Body (a chunk body, i.e.
// CSV with a header row naming CommandLine and Image).
func testEventsMix(tb testing.TB) []splEvent {
	tb.Helper()
	records, err := csv.NewReader(bytes.NewReader(testevents.Body(4096, 1197))).ReadAll()
	if err != nil {
		tb.Fatalf("reading testevents.Body: %v", err)
	}
	if len(records) < 2 || len(records[0]) < 2 || records[0][0] != "CommandLine" || records[0][1] != "Image" {
		tb.Fatalf("testevents.Body header = %q, want CommandLine, Image first", records[0])
	}
	events := make([]splEvent, 0, len(records)-1)
	for _, r := range records[1:] {
		events = append(events, splEvent{commandLine: one(r[0]), image: one(r[1])})
	}
	return events
}

// BenchmarkSPLScoreNonASCII is the Unicode path: every command line holds
// a non-ASCII rune, so it is lowered rune by rune (scanned, no memo).
func BenchmarkSPLScoreNonASCII(b *testing.B) {
	events := make([]splEvent, len(typicalEvents))
	for i, e := range typicalEvents {
		events[i] = splEvent{commandLine: one(string(e.commandLine[0]) + " é"), image: e.image}
	}
	benchmarkScore(b, newSPL(1, 0), events)
}

// BenchmarkReferenceScore is the regexp2 reference on the same events, for
// contrast.
func BenchmarkReferenceScore(b *testing.B) {
	benchmarkScore(b, mustReference(b), typicalEvents)
}

const mebibyte = 1 << 20

// adversarialLine is `http://` repeated to about n bytes and then
// ".microsoft.com": every http:// sees the domain at the end of the line,
// so a backtracking engine walks the rest of the line for each of them.
func adversarialLine(n int) []byte {
	const tail = ".microsoft.com"
	line := bytes.Repeat([]byte("http://"), (n-len(tail))/len("http://"))
	return append(line, tail...)
}

// plainLine is n bytes of an ordinary command line without "://".
func plainLine(n int) []byte {
	const unit = `C:\Windows\system32\cmd.exe /c echo some-argument `
	return bytes.Repeat([]byte(unit), n/len(unit)+1)[:n]
}

// benchmarkExternalDownload scores one event whose CommandLine is line: the
// whole NewSPL Score, of which ExternalDownload is the part a regex engine
// would make quadratic.
func benchmarkExternalDownload(b *testing.B, line []byte, want string) {
	d := newSPL(1, 0) // the scan itself, every time
	in := []Values{{line}, nil, one(bitsadminImage)}
	out := make([]Values, len(d.Outputs()))
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		d.Score(in, out)
	}
	if got := string(out[outFirstFlag+7][0]); got != want {
		b.Fatalf("ExternalDownload = %q, want %q", got, want)
	}
}

func BenchmarkExternalDownloadAdversarial1MiB(b *testing.B) {
	benchmarkExternalDownload(b, adversarialLine(mebibyte), "0")
}

func BenchmarkExternalDownloadPlain1MiB(b *testing.B) {
	benchmarkExternalDownload(b, plainLine(mebibyte), "0")
}

// BenchmarkReferenceExternalDownloadAdversarial16KiB shows the quadratic
// regex on a line 64 times shorter than the linear benchmarks'.
func BenchmarkReferenceExternalDownloadAdversarial16KiB(b *testing.B) {
	external := referenceRule(b, "ExternalDownload")
	field := Values{adversarialLine(16 << 10)}
	b.SetBytes(int64(len(field[0])))
	b.ReportAllocs()
	for b.Loop() {
		if external.match(field) {
			b.Fatal("reference ExternalDownload = true, want false")
		}
	}
}
