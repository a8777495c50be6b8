package hardened

import (
	"encoding/base64"
	"unicode/utf16"
)

// example is an event given as field, value pairs: a rule's attack example
// or its nearest benign twin. The tests score each one; the docs show them.
type example []string

// Images the examples use.
const (
	exBitsadmin  = `C:\Windows\System32\bitsadmin.exe`
	exPowerShell = `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`
	exCmd        = `C:\Windows\System32\cmd.exe`
	exSvchost    = `C:\Windows\System32\svchost.exe`
	exUser       = `CORP\alice`
	exBITSHost   = `C:\Windows\system32\svchost.exe -k netsvcs -p -s BITS`
)

// exProcess is a Sysmon process creation by a user from explorer.exe; kv
// adds or overrides fields.
func exProcess(image, cmdline string, kv ...string) example {
	e := example{"EventCode", "1", "Image", image, "CommandLine", cmdline, "User", exUser,
		"ParentImage", `C:\Windows\explorer.exe`, "ParentCommandLine", `C:\Windows\Explorer.EXE`}
	return e.with(kv...)
}

// with returns e with kv's fields replacing or added to e's.
func (e example) with(kv ...string) example {
	out := append(example(nil), e...)
next:
	for i := 0; i+1 < len(kv); i += 2 {
		for j := 0; j+1 < len(out); j += 2 {
			if out[j] == kv[i] {
				out[j+1] = kv[i+1]
				continue next
			}
		}
		out = append(out, kv[i], kv[i+1])
	}
	return out
}

func exBitsadminCmd(args string, kv ...string) example {
	return exProcess(exBitsadmin, "bitsadmin "+args, kv...)
}

func exPowerShellCmd(args string, kv ...string) example {
	return exProcess(exPowerShell, "powershell.exe "+args, kv...)
}

func exScriptBlock(text string) example { return example{"EventCode", "4104", "ScriptBlockText", text} }

func exJobCreated(processPath string) example {
	return example{"EventCode", "3", "processPath", processPath, "jobTitle", "job", "jobOwner", exUser}
}

func exTransfer(url string) example { return example{"EventCode", "59", "url", url, "name", "job"} }

func exFileAdded(remote, local, owner string) example {
	return example{"EventCode", "16403", "RemoteName", remote, "LocalName", local, "jobOwner", owner, "User", owner, "jobTitle", "job"}
}

// exServiceChild is a process creation whose parent is svchost.exe with
// the given command line ("" for none, as in Security 4688).
func exServiceChild(image, cmdline, parentCmd string) example {
	e := example{"EventCode", "1", "Image", image, "CommandLine", cmdline, "User", `NT AUTHORITY\SYSTEM`, "ParentImage", exSvchost}
	if parentCmd != "" {
		e = append(e, "ParentCommandLine", parentCmd)
	}
	return e
}

// exEncode is what powershell.exe -EncodedCommand takes: base64 of UTF-16LE.
func exEncode(script string) string {
	var b []byte
	for _, u := range utf16.Encode([]rune(script)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return base64.StdEncoding.EncodeToString(b)
}
