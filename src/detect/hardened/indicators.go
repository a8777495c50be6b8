package hardened

// indicator is one reason an event scored. Its name is what the analyst sees
// in the Indicators field; its weight is added to RiskScore (capped at 100).
type indicator uint8

const (
	archiveDownload indicator = iota
	bitsCmdlet
	bitsCOMObject
	bitsInEncodedCommand
	bitsJobFromBitsadmin
	bitsJobFromLOLBin
	bitsJobFromPowerShell
	bitsJobFromUnusualProcess
	bitsServiceChild
	bitsadminDownload
	bitsadminJobControl
	bitsadminReset
	bitsadminUpload
	childInUserWritable
	childIsInterpreter
	clientInUserWritable
	desktopimgdownldrDownload
	disguisedExtension
	downloadToUserWritable
	encodedCommand
	executableDownload
	externalURL
	fileSharingDomain
	ftpURL
	localFileTransfer
	malformedURL
	notifyCmdline
	notifyFlags
	notifyProgramUserWritable
	notifyRunsInterpreter
	officeParent
	privateIPURL
	quoteObfuscation
	rawIPURL
	renamedBitsadmin
	renamedOnDownload
	svchostChildInterpreter
	uncSource
	urlUserinfo
	numIndicators
)

// indicatorInfo describes an indicator. evasion marks the indicators that
// only an attempt to hide produces: a known-good entry never suppresses an
// event carrying one, because an allow-list that an attacker can satisfy
// by obfuscating a command line would be an evasion vector of its own.
type indicatorInfo struct {
	name    string
	weight  int
	evasion bool
}

var indicators = [numIndicators]indicatorInfo{
	archiveDownload:           {"archive_download", 20, false},
	bitsCmdlet:                {"bits_cmdlet", 10, false},
	bitsCOMObject:             {"bits_com_object", 35, false},
	bitsInEncodedCommand:      {"bits_in_encoded_command", 35, false},
	bitsJobFromBitsadmin:      {"bits_job_from_bitsadmin", 50, false},
	bitsJobFromLOLBin:         {"bits_job_from_lolbin", 60, false},
	bitsJobFromPowerShell:     {"bits_job_from_powershell", 20, false},
	bitsJobFromUnusualProcess: {"bits_job_from_unusual_process", 30, false},
	bitsServiceChild:          {"bits_service_child", 50, false},
	bitsadminDownload:         {"bitsadmin_download", 30, false},
	bitsadminJobControl:       {"bitsadmin_job_control", 10, false},
	bitsadminReset:            {"bitsadmin_reset", 10, false},
	bitsadminUpload:           {"bitsadmin_upload", 40, false},
	childInUserWritable:       {"child_in_user_writable", 20, false},
	childIsInterpreter:        {"child_is_interpreter", 20, false},
	clientInUserWritable:      {"client_in_user_writable", 30, false},
	desktopimgdownldrDownload: {"desktopimgdownldr_download", 30, false},
	disguisedExtension:        {"disguised_extension", 10, false},
	downloadToUserWritable:    {"download_to_user_writable", 20, false},
	encodedCommand:            {"encoded_command", 15, false},
	executableDownload:        {"executable_download", 35, false},
	externalURL:               {"external_url", 15, false},
	fileSharingDomain:         {"file_sharing_domain", 30, false},
	ftpURL:                    {"ftp_url", 15, false},
	localFileTransfer:         {"local_file_transfer", 50, false},
	malformedURL:              {"malformed_url", 20, true},
	notifyCmdline:             {"notify_cmdline", 50, false},
	notifyFlags:               {"notify_flags", 10, false},
	notifyProgramUserWritable: {"notify_program_user_writable", 25, false},
	notifyRunsInterpreter:     {"notify_runs_interpreter", 25, false},
	officeParent:              {"office_parent", 40, false},
	privateIPURL:              {"private_ip_url", 5, false},
	quoteObfuscation:          {"quote_obfuscation", 25, true},
	rawIPURL:                  {"raw_ip_url", 30, false},
	renamedBitsadmin:          {"renamed_bitsadmin", 50, true},
	renamedOnDownload:         {"renamed_on_download", 15, false},
	svchostChildInterpreter:   {"svchost_child_interpreter", 25, false},
	uncSource:                 {"unc_source", 15, false},
	urlUserinfo:               {"url_userinfo", 25, true},
}

// indicatorNames holds each name as bytes once, so that Score can emit them
// without allocating.
var indicatorNames = func() (names [numIndicators][]byte) {
	for i := range indicators {
		b := []byte(indicators[i].name)
		names[i] = b[:len(b):len(b)] // a caller's append must not write past it
	}
	return names
}()

const (
	// AlertThreshold is the RiskScore at and above which an event is an
	// alert; the hardened saved search filters on it.
	AlertThreshold = 50
	// maxRiskScore caps the sum of the weights.
	maxRiskScore = 100
	// knownGoodCeiling is the RiskScore of an event a known-good entry
	// matches: low enough to stay out of alerts, above zero so that a
	// dashboard can still show what was allowed and why.
	knownGoodCeiling = 10
)

// indicatorSet is a set of indicators, one bit each.
type indicatorSet uint64

// The set has 64 bits: this fails to compile if the indicators outgrow it.
var _ [64 - numIndicators]struct{}

func (s *indicatorSet) add(i indicator)     { *s |= 1 << i }
func (s indicatorSet) has(i indicator) bool { return s&(1<<i) != 0 }

// score is the capped sum of the weights in s.
func (s indicatorSet) score() int {
	total := 0
	for i := range numIndicators {
		if s.has(i) {
			total += indicators[i].weight
		}
	}
	return min(total, maxRiskScore)
}

// hasEvasion reports whether s holds an indicator that blocks known-good
// suppression.
func (s indicatorSet) hasEvasion() bool {
	for i := range numIndicators {
		if s.has(i) && indicators[i].evasion {
			return true
		}
	}
	return false
}
