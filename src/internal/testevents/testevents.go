// Package testevents makes realistic chunk bodies for benchmarks and load
// tests: process-creation events cut to the fields bitsscore requires, as
// splunkd sends them.
package testevents

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"bitsscore/src/splcsv"
)

// commandLines are real-world shapes: ordinary processes (most events), the
// Atomic Red Team T1197 command lines, and long PowerShell lines.
var commandLines = []struct{ image, cmd string }{
	{`C:\Windows\System32\svchost.exe`, `C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule`},
	{`C:\Windows\System32\svchost.exe`, `C:\windows\System32\svchost.exe -k netsvcs -p -s BITS`},
	{`C:\Program Files\Google\Chrome\Application\chrome.exe`, `"C:\Program Files\Google\Chrome\Application\chrome.exe" --type=renderer --field-trial-handle=1896,i,10335542843123373734,6271484957025451128,131072 --lang=en-US --device-scale-factor=1 --num-raster-threads=4 --enable-main-frame-before-activation --renderer-client-id=7 --mojo-platform-channel-handle=3204 /prefetch:1`},
	{`C:\Windows\System32\conhost.exe`, `\??\C:\Windows\system32\conhost.exe 0xffffffff -ForceV1`},
	{`C:\Windows\System32\notepad.exe`, `"C:\Windows\system32\notepad.exe" C:\Users\jdoe\Documents\notes.txt`},
	{`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, `powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\ProgramData\Scripts\inventory.ps1`},
	{`C:\Windows\System32\cmd.exe`, `C:\Windows\system32\cmd.exe /c "echo %DATE% %TIME% >> C:\Logs\heartbeat.txt"`},
	{`C:\Windows\System32\bitsadmin.exe`, `bitsadmin.exe  /transfer /Download /priority Foreground https://raw.githubusercontent.com/redcanaryco/atomic-red-team/master/atomics/T1197/T1197.md C:\Users\wardog\AppData\Local\Temp\bitsadmin1_flag.ps1`},
	{`C:\Windows\System32\bitsadmin.exe`, `bitsadmin.exe /setnotifycmdline AtomicBITS C:\Windows\system32\notepad.exe NULL`},
	{`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, `"powershell.exe" & {Start-BitsTransfer -Priority foreground -Source https://raw.githubusercontent.com/redcanaryco/atomic-red-team/master/atomics/T1197/T1197.md -Destination $env:TEMP\bitsadmin2_flag.ps1}`},
	{`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, `powershell.exe -NoProfile Start-BitsTransfer -Source http://download.windowsupdate.com/c/msdownload/update/kb5034441.cab -Destination C:\Windows\SoftwareDistribution\Download\kb5034441.cab`},
	{`C:\Windows\System32\wbem\WmiPrvSE.exe`, `C:\Windows\system32\wbem\wmiprvse.exe -secured -Embedding`},
	{`C:\Program Files (x86)\Microsoft\EdgeUpdate\MicrosoftEdgeUpdate.exe`, `"C:\Program Files (x86)\Microsoft\EdgeUpdate\MicrosoftEdgeUpdate.exe" /ua /installsource scheduler`},
	{`C:\Windows\System32\taskhostw.exe`, `taskhostw.exe {222A245B-E637-4AE9-A93F-A59CA119A75E}`},
}

// longPowerShell is an encoded-command line of about 2.7 KB, the kind that
// makes per-byte costs show.
var longPowerShell = `powershell.exe -NoP -NonI -W Hidden -Exec Bypass -EncodedCommand ` + strings.Repeat("SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA", 33)

// Body returns a chunk body of n events as splunkd writes it for bitsscore:
// the required fields present in the events, _chunked_idx, and the __mv_
// companions, every value quoted the way splunkd quotes anything that is
// not purely alphanumeric. seed makes it reproducible.
func Body(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 0x1197))
	w := splcsv.NewWriter()
	header := []string{"CommandLine", "Image", "_chunked_idx"}
	for _, f := range header[:3] { // each field, then its companion
		header = append(header, splcsv.MultivaluePrefix+f)
	}
	for _, h := range header {
		w.WriteRaw(quote(h))
	}
	w.EndRecord()
	for i := 0; i < n; i++ {
		image, cmd := pick(rng)
		w.WriteRaw(quote(cmd))
		w.WriteRaw(quote(image))
		w.WriteRaw(quote(fmt.Sprint(i)))
		w.WriteRaw(nil)
		w.WriteRaw(nil)
		w.WriteRaw(nil)
		w.EndRecord()
	}
	return append([]byte(nil), w.Bytes()...)
}

func pick(rng *rand.Rand) (image, cmd string) {
	if rng.IntN(50) == 0 {
		return `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, longPowerShell
	}
	c := commandLines[rng.IntN(len(commandLines))]
	return c.image, c.cmd
}

// quote quotes like splunkd: anything but letters and digits.
func quote(s string) []byte {
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return []byte(`"` + strings.ReplaceAll(s, `"`, `""`) + `"`)
		}
	}
	return []byte(s)
}
