package winevent

// Splunk's Common Information Model names process launches in the
// Endpoint.Processes dataset: process (the full command line),
// process_path (the executable's path), parent_process and
// parent_process_path, original_file_name, user. An export of those
// fields alone (a | table of CIM names, a tstats search over the data
// model, with or without its "Processes." prefix) carries none of the
// names the detection reads. cimAliases gives them back: the command
// line is CommandLine; the path is Image for Sysmon 1 and for an event
// of unknown code (the SPL's own source), NewProcessName for 4688. An
// event that has any of the add-ons' own names is left alone, so that
// the SPL's fields keep the SPL's values.

// ownNames are the fields of process launches under the add-ons' names.
var ownNames = []string{"CommandLine", "ProcessCommandLine", "Image", "NewProcessName", "ParentImage", "ParentProcessName"}

// cimAliases adds the add-ons' names to an event that has only CIM ones,
// and reports whether it did.
func cimAliases(b *builder) bool {
	for _, name := range ownNames {
		if b.find(name) >= 0 {
			return false
		}
	}
	prefix := ""
	if b.find("process") < 0 && b.find("process_path") < 0 {
		prefix = "Processes."
		if b.find(prefix+"process") < 0 && b.find(prefix+"process_path") < 0 {
			return false
		}
	}
	cim := func(name string) string { return b.value(prefix + name) }
	code := b.value("EventCode")
	if code == "" {
		code = b.value("EventID")
	}
	image, parentImage := "Image", "ParentImage"
	if code == "4688" {
		image, parentImage = "NewProcessName", "ParentProcessName"
	}
	b.first("CommandLine", cim("process"))
	b.first(image, cim("process_path"))
	b.first("ParentCommandLine", cim("parent_process"))
	b.first(parentImage, cim("parent_process_path"))
	b.first("OriginalFileName", cim("original_file_name"))
	b.first("User", cim("user"))
	return true
}
