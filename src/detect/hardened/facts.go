package hardened

// fact is one thing the extractor saw in an event: a bitsadmin verb, the
// class of a URL's host, the extension of a transferred file, the kind of
// process that created a BITS job. Facts carry no weight: the rule table
// (rules.go) judges them.
type fact uint8

const (
	// Verbs and APIs.
	factBitsadminTransfer   fact = iota // /transfer, /addfile, /addfileset, /addfilewithranges, /replaceremoteprefix
	factBitsadminUpload                 // /upload
	factBitsadminJobControl             // /create, /resume, /complete, /setminretrydelay, ...
	factBitsadminReset                  // /reset
	factNotifyCmdline                   // /SetNotifyCmdLine with a program (not NULL), or the COM method
	factNotifyFlags                     // /SetNotifyFlags
	factNotifyInterpreter               // the notify program or its first argument is an interpreter or LOLBin
	factNotifyUserWritable              // the notify program or an argument is in a user-writable folder
	factDesktopImgDownldr               // desktopimgdownldr /lockscreenurl:
	factBitsCmdlet                      // a BITS cmdlet that moves data
	factBitsCOM                         // the BITS COM API named in script
	factEncodedCommand                  // powershell -EncodedCommand
	factBitsInEncoded                   // the decoded payload uses BITS

	// Processes.
	factRenamedBitsadmin // OriginalFileName bitsadmin.exe, image name not
	factOfficeParent     // an Office application started the BITS-using process
	factSPLAlert         // the original SPL alerts on this event
	// factSPLProgramNameOnly: the SPL alerts only through SuspiciousExt,
	// and only the program's own name ends in an executable extension.
	factSPLProgramNameOnly

	// The BITS job's creator (Bits-Client 3 processPath).
	factJobCreated
	factClientBitsadmin
	factClientPowerShell
	factClientLOLBin       // a script host or LOLBin
	factClientNoBusiness   // a Windows application with no business creating jobs (editors, Office, ...)
	factClientKnown        // a documented BITS client (knownClients)
	factClientWindows      // under X:\Windows\, outside its user-writable folders
	factClientUserWritable // in a user-writable folder

	// Children of the BITS service.
	factBITSServiceChild
	factChildInterpreter
	factChildUserWritable
	factSvchostChildInterpreter

	// Obfuscation.
	factQuoteObfuscation
	factMalformedURL
	factURLUserinfo

	// Where a transfer's remote end is.
	factHostExternal
	factHostFileSharing
	factHostDynamicDNS
	factHostPublicIP
	factHostPrivateIP
	factFTP
	factUNCSource
	factLocalSource
	// factVendorSource: every remote host is a vendor's update host (vendors.go)
	// and every destination matches that vendor's download folders.
	factVendorSource

	// What is transferred, and where to.
	factExecutableFile
	factArchiveFile
	factDisguisedFile // an image or text extension, on a command line or in script
	factRenamedOnDownload
	factDestUserWritable

	numFacts
)

// factSet is a set of facts, one bit each.
type factSet uint64

// The set has 64 bits: this fails to compile if the facts outgrow it.
var _ [64 - numFacts]struct{}

func (s *factSet) set(f fact)     { *s |= 1 << f }
func (s factSet) has(f fact) bool { return s&(1<<f) != 0 }
func (s factSet) any(fs ...fact) bool {
	for _, f := range fs {
		if s.has(f) {
			return true
		}
	}
	return false
}
