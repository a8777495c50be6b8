package hardened

import "testing"

// TestOrdinaryUpdatesDoNotAlert: what ordinary machines do all day, as the
// Bits-Client log records it, stays below the alert threshold: per-user
// updaters creating jobs from AppData, and browsers' component updates
// seen only in 59/60/16403, which name no process.
func TestOrdinaryUpdatesDoNotAlert(t *testing.T) {
	d := New(nil)
	system := `NT AUTHORITY\SYSTEM`
	for _, c := range []struct {
		name string
		e    event
	}{
		{"OneDrive standalone updater, per user", jobCreated(`C:\Users\alice\AppData\Local\Microsoft\OneDrive\OneDriveStandaloneUpdater.exe`)},
		{"OneDrive, per user, versioned setup", jobCreated(`C:\Users\alice\AppData\Local\Microsoft\OneDrive\24.101.0519.0010\OneDriveSetup.exe`)},
		{"Teams classic updater, per user", jobCreated(`C:\Users\alice\AppData\Local\Microsoft\Teams\Update.exe`)},
		{"Zoom, per user", jobCreated(`C:\Users\alice\AppData\Roaming\Zoom\bin\Zoom.exe`)},
		{"Slack, per user", jobCreated(`C:\Users\alice\AppData\Local\slack\app-4.36.140\slack.exe`)},
		{"Spotify, per user", jobCreated(`C:\Users\alice\AppData\Roaming\Spotify\Spotify.exe`)},
		{"Chrome, per user", jobCreated(`C:\Users\alice\AppData\Local\Google\Chrome\Application\chrome.exe`)},
		{"Edge", jobCreated(`C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe`)},
		{"Firefox, per user", jobCreated(`C:\Users\alice\AppData\Local\Mozilla Firefox\firefox.exe`)},
		{"Opera, per user", jobCreated(`C:\Users\alice\AppData\Local\Programs\Opera\launcher.exe`)},
		{"Brave, per user", jobCreated(`C:\Users\alice\AppData\Local\BraveSoftware\Brave-Browser\Application\brave.exe`)},
		{"Dropbox updater", jobCreated(`C:\Program Files (x86)\Dropbox\Update\DropboxUpdate.exe`)},
		{"Windows Update client", jobCreated(`C:\Windows\System32\svchost.exe`)},
		{"Chrome component update (16403), system", fileAdded(`http://edgedl.me.gvt1.com/edgedl/release2/chrome_component/adhxkz3hmxdhnfpgbbnmi2clcjba_2024.5.6.1/jflookgnkcckhobaglndicnbbgbonegd_2024.5.6.1_all_ad3aeo4zdfi7wy3n6h5gjctfzzxa.crx3`, `C:\Windows\SystemTemp\chrome_BITS_7716_1238454789\jflookgnkcckhobaglndicnbbgbonegd_2024.5.6.1_all.crx3`, system)},
		{"Chrome component update (16403), per user", fileAdded(`http://redirector.gvt1.com/edgedl/release2/chrome_component/a.crx3`, `C:\Users\alice\AppData\Local\Temp\chrome_BITS_9012_345\a.crx3`, user)},
		{"Chrome component update from www.google.com (16403)", fileAdded(`http://www.google.com/dl/release2/chrome_component/a/b_all.crx3`, `C:\Users\alice\AppData\Local\Temp\chrome_BITS_9012_346\b_all.crx3`, user)},
		{"Edge component update (16403)", fileAdded(`http://msedge.b.tlu.dl.delivery.mp.microsoft.com/filestreamingservice/files/5c7dd2b1-7a4f-4d3a-9a19-123456789abc?P1=1700000000&P2=404`, `C:\Users\alice\AppData\Local\Temp\msedge_BITS_4412_111\5c7dd2b1-7a4f-4d3a-9a19-123456789abc`, user)},
		{"Edge updater payload (16403)", fileAdded(`http://msedge.f.dl.delivery.mp.microsoft.com/filestreamingservice/files/d1b2/MicrosoftEdge_X64_120.0.2210.91.exe`, `C:\Program Files (x86)\Microsoft\EdgeUpdate\Download\{56EB18F8}\120.0.2210.91\MicrosoftEdge_X64_120.0.2210.91.exe`, system)},
		{"Google Update payload (60)", ev("EventCode", "60", "url", `http://dl.google.com/release2/chrome/acz6hjm7gbmuhq6kqnrl6smnje_120.0.6099.130/120.0.6099.130_chrome_installer.exe`, "name", "Google Update")},
		{"Firefox update (59)", transfer(`https://download-installer.cdn.mozilla.net/pub/firefox/releases/121.0/update/win64/en-US/firefox-121.0.complete.mar`)},
		{"Office CDN cab (60)", ev("EventCode", "60", "url", `http://officecdn.microsoft.com/pr/492350f6-3a01-4f97-b9c0-c7c6ddf67d60/Office/Data/v64_16.0.17126.20132.cab`, "name", "job")},
		{"Adobe updater payload (16403)", fileAdded(`https://ardownload2.adobe.com/pub/adobe/reader/win/AcrobatDC/2300820458/AcroRdrDCUpd2300820458.msp`, `C:\ProgramData\Adobe\ARM\Reader_23.008.20458\AcroRdrDCUpd2300820458.msp`, system)},
		{"Windows Update (16403) as SYSTEM", fileAdded(`http://download.windowsupdate.com/c/msdownload/update/software/secu/2024/01/windows10.0-kb5034122-x64.cab`, `C:\Windows\SoftwareDistribution\Download\a1b2\windows10.0-kb5034122-x64.cab`, system)},
	} {
		if r := score(t, d, c.e); r.risk >= AlertThreshold {
			t.Errorf("%s: RiskScore %d, Indicators %v; want no alert", c.name, r.risk, r.indicators)
		}
	}
}

// TestBITSClientOnlyAttacksAlert: attacks that leave only Bits-Client
// events (the job created through the COM API, process auditing off)
// alert on those events alone.
func TestBITSClientOnlyAttacksAlert(t *testing.T) {
	d := New(nil)
	for _, c := range []struct {
		name string
		e    event
	}{
		{"job created by an injected notepad", jobCreated(`C:\Windows\System32\notepad.exe`)},
		{"job created by injected Word", jobCreated(`C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE`)},
		{"job created by desktopimgdownldr (3)", jobCreated(`C:\Windows\System32\desktopimgdownldr.exe`)},
		{"job created by rundll32", jobCreated(`C:\Windows\System32\rundll32.exe`)},
		{"job created by regsvr32", jobCreated(`C:\Windows\SysWOW64\regsvr32.exe`)},
		{"job created by mshta", jobCreated(`C:\Windows\System32\mshta.exe`)},
		{"job created by wscript", jobCreated(`C:\Windows\System32\wscript.exe`)},
		{"job created from Temp", jobCreated(`C:\Users\alice\AppData\Local\Temp\7zS4A1B\setup.exe`)},
		{"job created from Public", jobCreated(`C:\Users\Public\Libraries\svc.exe`)},
		{"OneDrive name outside OneDrive's folder", jobCreated(`C:\Users\alice\AppData\Roaming\OneDrive.exe`)},
		{"transfer from a raw IP (59)", transfer(`http://203.0.113.7/update.bin`)},
		{"transfer from a file-sharing host (60)", ev("EventCode", "60", "url", `https://transfer.sh/abc/invoice.pdf`, "name", "job")},
		{"transfer from a dynamic-DNS name (59)", transfer(`http://updates.ddns.net/a.dat`)},
		{"executable into Temp from a non-vendor host (16403)", fileAdded(`https://cdn.example-updates.com/agent.exe`, `C:\Users\alice\AppData\Local\Temp\agent.exe`, user)},
		{"Google look-alike host (59)", transfer(`http://dl.google.com.evil.tld/chrome_installer.exe`)},
	} {
		if r := score(t, d, c.e); r.risk < AlertThreshold {
			t.Errorf("%s: RiskScore %d, Indicators %v; want an alert", c.name, r.risk, r.indicators)
		}
	}
}
