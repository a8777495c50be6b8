package hardened

// Who may create BITS jobs. A Bits-Client 3 event names the process that
// created the job (processPath); with process auditing off it is the only
// trace of a job created through the COM API. Legitimate clients are few
// and documented: the Windows components that use BITS (Windows Update,
// Delivery Optimization, Defender, the Store, the push-notification and
// maps services, all under X:\Windows\ or Program Files\Windows Defender),
// management agents (ConfigMgr's CcmExec, Intune's management extension),
// and vendors' updaters and browsers. Anything else is judged by what it
// is (a Windows binary with no business creating jobs alerts) and where it
// lives (a user-writable folder alerts).

// knownClients are documented BITS clients outside X:\Windows\, as globs
// over the lowercased image path, by vendor. Per-user installs live under
// %LOCALAPPDATA% or %APPDATA%, which any user can write; the glob then
// names the vendor's own folder and file name, so a payload dropped
// anywhere else under AppData is not taken for one.
var knownClients = []struct {
	vendor string
	paths  []string
}{
	{"Microsoft Defender", []string{`*\windows defender\msmpeng.exe`, `*\windows defender\mpcmdrun.exe`,
		`*\windows defender\platform\*\msmpeng.exe`, `*\windows defender\platform\*\mpcmdrun.exe`}},
	{"Microsoft Configuration Manager (SCCM)", []string{`*\ccm\ccmexec.exe`, `*\ccmsetup\ccmsetup.exe`, `*\ccm\*.exe`}},
	{"Microsoft Intune", []string{`*\microsoft intune management extension\*.exe`}},
	{"Microsoft Edge and Edge Update", []string{`*\microsoft\edge\application\msedge.exe`, `*\microsoft\edgeupdate\microsoftedgeupdate.exe`,
		`*\microsoft\edgeupdate\*\microsoftedgeupdate*.exe`, `*\microsoft\edgewebview\application\*\msedgewebview2.exe`,
		`*\microsoft\edge\application\*\installer\setup.exe`}},
	{"Microsoft 365 Apps (Click-to-Run)", []string{`*\microsoft shared\clicktorun\officeclicktorun.exe`, `*\microsoft shared\clicktorun\officec2rclient.exe`}},
	{"Microsoft OneDrive", []string{`*\microsoft\onedrive\onedrive.exe`, `*\microsoft\onedrive\onedrivestandaloneupdater.exe`,
		`*\microsoft\onedrive\*\filecoauth.exe`, `*\microsoft\onedrive\*\onedrivesetup.exe`, `*\microsoft onedrive\onedrive.exe`,
		`*\microsoft onedrive\onedrivestandaloneupdater.exe`, `*\microsoft onedrive\*\onedrivesetup.exe`}},
	{"Microsoft Teams", []string{`*\microsoft\teams\update.exe`, `*\microsoft\teams\current\teams.exe`, `*\microsoft\teamsmeetingaddin\*.exe`,
		`*\windowsapps\msteams_*\ms-teams.exe`, `*\windowsapps\msteams_*\ms-teamsupdate.exe`, `*\teams installer\teams.exe`}},
	{"Microsoft Visual Studio installer", []string{`*\microsoft visual studio\installer\*.exe`}},
	{"Microsoft Store and App Installer", []string{`*\program files\windowsapps\*.exe`}},
	{"Google Chrome and Google Update", []string{`*\google\chrome\application\chrome.exe`, `*\google\update\googleupdate.exe`,
		`*\google\update\*\googleupdate*.exe`, `*\google\googleupdater\*\updater.exe`, `*\google\chrome\application\*\installer\setup.exe`}},
	{"Mozilla Firefox", []string{`*\mozilla firefox\firefox.exe`, `*\mozilla firefox\updater.exe`, `*\mozilla firefox\default-browser-agent.exe`,
		`*\mozilla maintenance service\maintenanceservice.exe`, `*\mozilla\updates\*\updater.exe`}},
	{"Opera", []string{`*\programs\opera\launcher.exe`, `*\programs\opera\*\opera.exe`, `*\programs\opera\*\opera_autoupdate.exe`,
		`*\opera\launcher.exe`, `*\opera\*\opera_autoupdate.exe`}},
	{"Brave", []string{`*\bravesoftware\brave-browser\application\brave.exe`, `*\bravesoftware\update\braveupdate.exe`,
		`*\bravesoftware\update\*\braveupdate*.exe`}},
	{"Vivaldi", []string{`*\vivaldi\application\vivaldi.exe`, `*\vivaldi\application\update_notifier.exe`}},
	{"Zoom", []string{`*\zoom\bin\zoom.exe`, `*\zoom\bin\installer.exe`, `*\zoom\bin\zoomoutlookimplugin.exe`, `*\zoom\bin_00\zoom.exe`}},
	{"Slack", []string{`*\slack\slack.exe`, `*\slack\update.exe`, `*\slack\app-*\slack.exe`}},
	{"Spotify", []string{`*\spotify\spotify.exe`, `*\spotify\spotifymigrator.exe`, `*\spotify\spotifyupdate.exe`}},
	{"Dropbox", []string{`*\dropbox\client\dropbox.exe`, `*\dropbox\update\dropboxupdate.exe`, `*\dropbox\update\*\dropboxupdate*.exe`}},
	{"Adobe Reader and Acrobat", []string{`*\adobe\arm\*\adobearm.exe`, `*\adobe\acrobat*\acrobat\acrobat.exe`}},
}

// knownClientGlobs are knownClients' paths, compiled once.
var knownClientGlobs = func() (globs []globPattern) {
	for _, c := range knownClients {
		for _, p := range c.paths {
			globs = append(globs, compileGlob([]byte(p)))
		}
	}
	return globs
}()

// isKnownClient reports whether a lowercased image path is a documented
// BITS client.
func isKnownClient(p []byte) bool {
	for _, g := range knownClientGlobs {
		if g.match(p) {
			return true
		}
	}
	return false
}

// noBusinessClientNames are Windows applications that never create BITS
// jobs themselves: a job created by one is code injected into it or a
// script it was handed (editors, viewers, Office, the shell's helpers).
// Script hosts and LOLBins are scriptHostNames.
var noBusinessClientNames = []string{
	"notepad", "wordpad", "write", "mspaint", "calc", "charmap", "magnify", "narrator", "osk",
	"winword", "excel", "powerpnt", "outlook", "msaccess", "mspub", "onenote", "visio",
	"notepad++", "eqnedt32", "conhost", "userinit", "searchprotocolhost", "spoolsv", "lsass", "winlogon",
}
