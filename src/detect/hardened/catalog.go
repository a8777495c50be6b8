package hardened

import "strings"

// IndicatorDoc documents one indicator for people and for the app's
// indicator reference lookup (lookups/bitsscore_indicators.csv, generated
// from Indicators by src/appcheck so that it cannot drift from the scoring).
type IndicatorDoc struct {
	Name        string // the value in the Indicators field
	Weight      int    // added to RiskScore
	Evasion     bool   // blocks known-good suppression
	Description string // what in the event produced it
	Technique   string // MITRE ATT&CK technique IDs, joined by ";"
	Reference   string // the public rule or source it follows
}

// indicatorDoc is the documentation of one indicator beside its scoring
// info in indicators.go.
type indicatorDoc struct {
	description string
	techniques  []string
	reference   string
}

// ownWork marks an indicator this project added beyond the public rules;
// docs/hardened.md gives the reasoning.
const ownWork = "bitsscore docs/hardened.md"

// Techniques beyond T1197 (BITS Jobs), which every indicator carries.
const (
	ingressToolTransfer   = "T1105"     // a download
	exfiltrationAltProto  = "T1048"     // an upload
	obfuscation           = "T1027"     // encoded or quoted text
	commandObfuscation    = "T1027.010" // quotes and carets in a command line
	powerShell            = "T1059.001" // BITS cmdlets, -EncodedCommand
	commandInterpreter    = "T1059"     // cmd, script hosts run by BITS
	renameSystemUtilities = "T1036.003" // renamed bitsadmin
	masquerading          = "T1036"     // user@host URLs
	maliciousFile         = "T1204.002" // an Office document started it
	componentObjectModel  = "T1559.001" // the BITS COM API from script
	systemBinaryProxy     = "T1218"     // a LOLBin created the job
	indicatorRemoval      = "T1070"     // /reset clean-up
)

var indicatorDocs = [numIndicators]indicatorDoc{
	archiveDownload:           {"The source or destination is an archive or disk image (zip, rar, 7z, cab, iso, img, vhd, vhdx, gz, tgz, tar, xz, bz2).", []string{ingressToolTransfer}, "Sigma File With Suspicious Extension Downloaded Via Bitsadmin; Sigma Suspicious Download File Extension with BITS"},
	bitsCmdlet:                {"A BITS cmdlet (Start-, Resume-, Set-, Complete-BitsTransfer, Add-BitsFile, New-BitsTransfer) in a command line or PowerShell log.", []string{powerShell}, "ESCU PowerShell Start-BitsTransfer"},
	bitsCOMObject:             {"The BITS COM API used from script (BITS.Manager, BackgroundCopyManager, IBackgroundCopy*, its CLSID).", []string{componentObjectModel}, ownWork},
	bitsInEncodedCommand:      {"The decoded -EncodedCommand payload uses BITS.", []string{obfuscation, powerShell}, ownWork},
	bitsJobFromBitsadmin:      {"A BITS job was created (Bits-Client 3) by bitsadmin.exe.", nil, "Sigma Suspicious Task Added by Bitsadmin"},
	bitsJobFromLOLBin:         {"A BITS job was created (Bits-Client 3) by a script host or LOLBin (wscript, cscript, mshta, rundll32, regsvr32, msbuild, ...): COM-driven BITS from script.", []string{systemBinaryProxy}, ownWork},
	bitsJobFromPowerShell:     {"A BITS job was created (Bits-Client 3) by PowerShell; IT scripts do this too.", []string{powerShell}, "Sigma (Bits-Client 3 rules)"},
	bitsJobFromUnusualProcess: {"A BITS job was created (Bits-Client 3) by a program outside the Windows folder; known updaters are lowered by the known-good list.", nil, ownWork},
	bitsServiceChild:          {"A process started by the BITS service (svchost.exe -s BITS): a notify command as it ran.", nil, "Elastic Persistence via BITS Job Notify Cmdline"},
	bitsadminDownload:         {"bitsadmin downloads: /transfer, /addfile, /addfileset, /addfilewithranges, /replaceremoteprefix.", []string{ingressToolTransfer}, "ESCU BITSAdmin Download File; Sigma File Download Via Bitsadmin"},
	bitsadminJobControl:       {"bitsadmin manages a job: /create, /resume, /complete, /setminretrydelay, /setcustomheaders, /takeownership, /setcredentials, /setproxysettings, ...", nil, "ESCU BITS Job Persistence"},
	bitsadminReset:            {"bitsadmin /reset cancels every job: clean-up after use.", []string{indicatorRemoval}, "T1197 SPL HasReset"},
	bitsadminUpload:           {"bitsadmin /upload: a BITS upload job, possible exfiltration.", []string{exfiltrationAltProto}, "Atomic Red Team T1197"},
	childInUserWritable:       {"The process the BITS service started lies in a user-writable folder.", nil, "Elastic Persistence via BITS Job Notify Cmdline"},
	childIsInterpreter:        {"The process the BITS service started is an interpreter or LOLBin (cmd, PowerShell, a script host, rundll32, ...).", []string{commandInterpreter}, "Elastic Persistence via BITS Job Notify Cmdline"},
	clientInUserWritable:      {"The program that created the BITS job lies in a user-writable folder.", nil, "Elastic (user-writable BITS clients)"},
	desktopimgdownldrDownload: {"desktopimgdownldr.exe /lockscreenurl: downloads through BITS.", []string{ingressToolTransfer}, "Atomic Red Team T1197"},
	disguisedExtension:        {"On a command line or in PowerShell: a downloaded file named as an image or text file (png, jpg, gif, bmp, txt, log, dat, tmp).", []string{ingressToolTransfer}, "Sigma File With Suspicious Extension Downloaded Via Bitsadmin"},
	downloadToUserWritable:    {"The destination is in a folder any user can write (AppData, Temp, Users\\Public, ProgramData, ...).", []string{ingressToolTransfer}, "Sigma File Download Via Bitsadmin To A Suspicious Target Folder; Sigma Download with BITS to Suspicious Folder"},
	encodedCommand:            {"PowerShell -EncodedCommand under any accepted spelling (-e, -enc, -ec, dashes, -enc:payload).", []string{obfuscation, powerShell}, "Sigma (encoded PowerShell)"},
	executableDownload:        {"The source or destination file is an executable, script or web shell (exe, dll, ps1, bat, vbs, js, hta, msi, lnk, aspx, jsp, ...).", []string{ingressToolTransfer}, "Sigma File With Suspicious Extension Downloaded Via Bitsadmin; Sigma Suspicious Download File Extension with BITS"},
	externalURL:               {"A public host outside Microsoft's update domains (microsoft.com, windowsupdate.com, windows.com, anchored to the host).", []string{ingressToolTransfer}, "T1197 SPL ExternalDownload, host-anchored"},
	fileSharingDomain:         {"A paste, file-sharing or tunnelling host (GitHub raw, Discord CDN, transfer.sh, pastebin, ngrok, Dropbox, ...).", []string{ingressToolTransfer}, "Sigma (bitsadmin and Bits-Client 16403 file-sharing rules)"},
	ftpURL:                    {"An ftp:// or ftps:// source.", []string{ingressToolTransfer}, "Sigma Monitoring For Persistence Via BITS"},
	localFileTransfer:         {"The source is a local path: a transfer that only exists to fire a notify command.", nil, ownWork},
	malformedURL:              {"A URL that is not scheme://host (https:/host, https:\\\\host, an empty host): an evasion.", []string{obfuscation}, ownWork},
	notifyCmdline:             {"/SetNotifyCmdLine (or the COM SetNotifyCmdLine) with a program: BITS will run it when the job ends, also after reboots.", nil, "ESCU BITS Job Persistence; Sigma Monitoring For Persistence Via BITS"},
	notifyFlags:               {"/SetNotifyFlags sets when the job notifies.", nil, "T1197 SPL HasNotify"},
	notifyProgramUserWritable: {"The notify program or an argument lies in a user-writable folder.", nil, "Elastic Persistence via BITS Job Notify Cmdline"},
	notifyRunsInterpreter:     {"The notify program (or its first argument) is cmd, %COMSPEC%, PowerShell, a script host or a LOLBin.", []string{commandInterpreter}, "Sigma Monitoring For Persistence Via BITS"},
	officeParent:              {"An Office application started bitsadmin or PowerShell that used BITS.", []string{maliciousFile}, "ESCU (Office spawning bitsadmin)"},
	privateIPURL:              {"A private, loopback, link-local or CGNAT address as the source.", nil, ownWork},
	quoteObfuscation:          {"Quotes, carets or backticks inside a bitsadmin switch, the program name, a BITS cmdlet or a URL's scheme and host: an evasion.", []string{commandObfuscation}, ownWork},
	rawIPURL:                  {"A public IP literal as the host (also decimal, hex, bracketed IPv6).", []string{ingressToolTransfer}, "Sigma Suspicious Download From Direct IP Via Bitsadmin"},
	renamedBitsadmin:          {"Sysmon OriginalFileName is bitsadmin.exe, the image name is not: a renamed bitsadmin, an evasion.", []string{renameSystemUtilities}, "ESCU (original_file_name); Sigma"},
	renamedOnDownload:         {"The destination is executable and its extension differs from the source's.", []string{ingressToolTransfer}, ownWork},
	svchostChildInterpreter:   {"Security 4688: an interpreter or LOLBin whose parent is svchost.exe (no parent command line to tell the BITS service apart).", []string{commandInterpreter}, ownWork},
	uncSource:                 {"A UNC or WebDAV source (\\\\host\\share, host@SSL\\DavWWWRoot, file://host/).", []string{ingressToolTransfer}, "ATT&CK T1197 (BITS over SMB)"},
	urlUserinfo:               {"user@ before the URL's host (http://download.microsoft.com@evil.example/): an evasion.", []string{masquerading}, ownWork},
}

// Indicators documents every indicator, in the order of the catalogue.
func Indicators() []IndicatorDoc {
	docs := make([]IndicatorDoc, 0, numIndicators)
	for i := range numIndicators {
		info, doc := indicators[i], indicatorDocs[i]
		docs = append(docs, IndicatorDoc{
			Name:        info.name,
			Weight:      info.weight,
			Evasion:     info.evasion,
			Description: doc.description,
			Technique:   strings.Join(append([]string{"T1197"}, doc.techniques...), ";"),
			Reference:   doc.reference,
		})
	}
	return docs
}
