package hardened

import "bytes"

// basename returns the last path segment of a path: what follows its last
// '\\' or '/'. The loop from the end stops at the separator, a few bytes in.
func basename(p []byte) []byte {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '\\' || p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}

// extension returns the extension (without the dot) of the last path
// segment of low[s], or an empty span. Only short alphanumeric extensions
// count, so that `host/a.b/c` and version strings do not.
func extension(low []byte, s span) span {
	p := low[s.start:s.end]
	seg := basename(p)
	dot := bytes.LastIndexByte(seg, '.')
	if dot < 0 || dot == len(seg)-1 || len(seg)-dot-1 > 8 {
		return span{}
	}
	for _, c := range seg[dot+1:] {
		if !isLetter(c) && !isDigit(c) {
			return span{}
		}
	}
	return span{s.end - int32(len(seg)-dot-1), s.end}
}

// extClass is what a file's extension says about its content.
type extClass uint8

const (
	extOther extClass = iota
	extExecutable
	extArchive
	extDisguise // image and text types Sigma flags as bitsadmin payload covers
)

var executableExts = []string{
	"exe", "dll", "ps1", "psm1", "psd1", "bat", "cmd", "vbs", "vbe", "js", "jse", "hta", "scr", "sct",
	"wsf", "wsh", "xll", "msi", "msp", "lnk", "cpl", "jar", "com", "pif", "ocx", "sys", "reg", "inf",
	"application", "appx", "msix", "chm", "scf",
	// Server-side scripts: a download into a web root is a web shell.
	"asp", "aspx", "asax", "ashx", "asmx", "cfm", "cgi", "jsp", "jspx", "war",
}

var archiveExts = []string{"zip", "rar", "7z", "cab", "iso", "img", "vhd", "vhdx", "gz", "tgz", "tar", "xz", "bz2"}

var disguiseExts = []string{"png", "jpg", "jpeg", "gif", "bmp", "txt", "log", "dat", "tmp"}

func classifyExt(ext []byte) extClass {
	if len(ext) == 0 {
		return extOther
	}
	for _, list := range [...]struct {
		exts  []string
		class extClass
	}{{executableExts, extExecutable}, {archiveExts, extArchive}, {disguiseExts, extDisguise}} {
		for _, e := range list.exts {
			if string(ext) == e {
				return list.class
			}
		}
	}
	return extOther
}

// pathStart returns the offset in the lowercased token t where a local or
// UNC path starts, or -1. A leading `name=` (PowerShell's module logging
// writes `value=C:\x`) is skipped. Recognised: `C:\`, `C:/`, `\\host`,
// `%VAR%`, `$env:`/`${env:`, `.\`, `..\`, `~\`.
func pathStart(t []byte) int {
	off := 0
	if eq := bytes.IndexByte(t, '='); eq > 0 && isIdent(t[:eq]) {
		off = eq + 1
	}
	p := t[off:]
	switch {
	case len(p) >= 3 && isLetter(p[0]) && p[1] == ':' && (p[2] == '\\' || p[2] == '/'):
	case len(p) >= 3 && p[0] == '\\' && p[1] == '\\':
	case len(p) >= 3 && p[0] == '%' && bytes.IndexByte(p[1:], '%') > 0:
	case bytes.HasPrefix(p, []byte("$env:")) || bytes.HasPrefix(p, []byte("${env:")):
	case bytes.HasPrefix(p, []byte(`.\`)) || bytes.HasPrefix(p, []byte(`..\`)) || bytes.HasPrefix(p, []byte(`~\`)):
	default:
		return -1
	}
	return off
}

func isIdent(b []byte) bool {
	for _, c := range b {
		if !isLetter(c) && !isDigit(c) && c != '_' {
			return false
		}
	}
	return len(b) > 0
}

// isUNC reports whether a lowercased path names a remote share.
func isUNC(p []byte) bool {
	return len(p) >= 3 && p[0] == '\\' && p[1] == '\\' && p[2] != '?' && p[2] != '.'
}

// uncHost returns the host of a UNC path `\\host\share` (WebDAV's
// `\\host@SSL\` suffix removed).
func uncHost(low []byte, s span) span {
	p := low[s.start+2 : s.end]
	n := bytes.IndexAny(p, `\/`)
	if n < 0 {
		n = len(p)
	}
	if at := bytes.IndexByte(p[:n], '@'); at >= 0 {
		n = at
	}
	return span{s.start + 2, s.start + 2 + int32(n)}
}

// userWritableMarkers are folders (and the variables naming them) that a
// standard user can write to, lowercased: Sigma's bitsadmin target-folder
// list plus the environment-variable forms cmd.exe and PowerShell expand.
var userWritableMarkers = []string{
	`\appdata\`, `\temp\`, `\tmp\`, `\users\public\`, `\programdata\`, `\perflogs\`, `\desktop\`,
	`\downloads\`, `\startup\`, `\$recycle.bin\`, `\windows\tasks\`, `\windows\tracing\`,
	`\windows\system32\tasks\`, `\windows\registration\crmlog`, `\windows\system32\spool\drivers\color\`,
	`\users\default\`, `\contacts\`, `\favorites\`, `\favourites\`, `\music\`, `\pictures\`, `\videos\`,
	`\inetpub\wwwroot\`,
	`%temp%`, `%tmp%`, `%appdata%`, `%localappdata%`, `%public%`, `%programdata%`, `%userprofile%`,
	`%allusersprofile%`, `%homepath%`,
	`env:temp`, `env:tmp`, `env:appdata`, `env:localappdata`, `env:public`, `env:programdata`,
	`env:userprofile`, `env:allusersprofile`, `env:homepath`,
}

// userWritableMarkerBytes and userWritableFolderEnds are the markers as
// bytes, converted once: Score must not allocate.
var userWritableMarkerBytes, userWritableFolderEnds = func() (markers, ends [][]byte) {
	for _, m := range userWritableMarkers {
		markers = append(markers, []byte(m))
		if m[len(m)-1] == '\\' {
			ends = append(ends, []byte(m[:len(m)-1]))
		}
	}
	return markers, ends
}()

// isUserWritable reports whether a lowercased path lies in a folder any
// user can write to. A path ending at the folder itself (`C:\Temp`) counts.
func isUserWritable(p []byte) bool {
	if bytes.IndexByte(p, '\\') < 0 && bytes.IndexByte(p, '%') < 0 && bytes.IndexByte(p, ':') < 0 {
		return false // every marker holds one of them: a plain word is no folder
	}
	for _, m := range userWritableMarkerBytes {
		if bytes.Contains(p, m) {
			return true
		}
	}
	for _, m := range userWritableFolderEnds {
		if bytes.HasSuffix(p, m) {
			return true
		}
	}
	return len(p) >= 7 && isLetter(p[0]) && bytes.HasPrefix(p[1:], []byte(`:\temp`)) && (len(p) == 7 || p[7] == '\\')
}

// isSystemLocation reports whether a lowercased image path is a Windows
// system binary: under `X:\Windows\` and outside its user-writable folders.
func isSystemLocation(p []byte) bool {
	if len(p) > 4 && p[0] == '\\' && p[1] == '\\' && p[2] == '?' && p[3] == '\\' {
		p = p[4:]
	}
	ok := len(p) > 11 && isLetter(p[0]) && bytes.HasPrefix(p[1:], []byte(`:\windows\`)) ||
		bytes.HasPrefix(p, []byte(`%systemroot%\`)) || bytes.HasPrefix(p, []byte(`%windir%\`)) ||
		bytes.HasPrefix(p, []byte(`\systemroot\`))
	return ok && !isUserWritable(p)
}

// nameIn reports whether the lowercased base name b, with or without
// ".exe", is one of names (given without the extension).
func nameIn(b []byte, names []string) bool {
	b = bytes.TrimSuffix(b, []byte(".exe"))
	for _, n := range names {
		if string(b) == n {
			return true
		}
	}
	return false
}

var (
	powerShellNames = []string{"powershell", "pwsh", "powershell_ise", "sqlps", "sqltoolsps"}
	// powerShellOriginalNames are Sysmon OriginalFileName values of the
	// PowerShell family (pwsh ships as an apphost over pwsh.dll).
	powerShellOriginalNames = []string{"powershell.exe", "pwsh.dll", "pwsh.exe", "powershell_ise.exe", "sqlps.exe", "sqltoolsps.exe"}
	// interpreterNames are command interpreters and LOLBins that run code
	// they are handed: what a BITS notify command line or an unexpected
	// BITS client should not be (Elastic, Sigma, LOLBAS).
	interpreterNames = []string{
		"cmd", "powershell", "pwsh", "powershell_ise", "wscript", "cscript", "mshta", "rundll32", "regsvr32",
		"msbuild", "installutil", "regasm", "regsvcs", "cmstp", "msxsl", "wmic", "certutil", "bitsadmin",
		"forfiles", "msiexec", "schtasks", "bash", "wsl", "hh", "odbcconf", "pcalua", "scriptrunner",
		"sqlps", "sqltoolsps", "desktopimgdownldr",
	}
	// scriptHostNames are the interpreters that can drive the BITS COM API
	// themselves, so a Bits-Client job created by one is script abuse.
	scriptHostNames = []string{
		"wscript", "cscript", "mshta", "rundll32", "regsvr32", "msbuild", "installutil", "regasm",
		"regsvcs", "cmstp", "msxsl", "wmic", "cmd", "hh", "odbcconf",
		"desktopimgdownldr", "certutil", "forfiles", "pcalua", "scriptrunner", "presentationhost", "msdt",
		"wsl", "bash", "mavinject", "syncappvpublishingserver", "ieexec", "dfsvc", "xwizard", "verclsid",
	}
	officeNames = []string{"winword", "excel", "powerpnt", "outlook", "msaccess", "mspub", "onenote", "visio"}
	// werNames are Windows Error Reporting, which any crashing service
	// spawns: the one ordinary child of the BITS service host.
	werNames = []string{"werfault", "wermgr", "werfaultsecure"}
)

func originalNameIn(ofn []byte, names []string) bool {
	for _, n := range names {
		if string(ofn) == n {
			return true
		}
	}
	return false
}
