package winevent

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"bitsscore/src/internal/textfmt"
)

// ParseXML reads one Windows event rendered as XML (<Event>...</Event>), with
// single- or double-quoted attributes, and returns its fields as the Windows
// and Sysmon add-ons extract them (see the package documentation).
//
// The event is read in one pass by xmlScanner, without recursion: elements
// nested deeper than maxXMLDepth make the event an error, whatever the input.
func ParseXML(line []byte) (Event, error) {
	s := scanners.Get().(*xmlScanner)
	defer scanners.Put(s)
	// System and EventData go to separate builders because Splunk runs the
	// System transforms first: on a name clash System wins wherever the
	// blocks sit in the document.
	system, data := &s.system, &s.data
	system.reset()
	data.reset()
	err := s.scanEvent(bytes.TrimPrefix(line, utf8BOM), system, data)
	s.release()
	system.settle()
	data.settle()
	if err != nil {
		return Event{}, fmt.Errorf("winevent: XML: %w", err)
	}
	return finishXML(system, data)
}

var scanners = sync.Pool{New: func() any { return new(xmlScanner) }}

// finishXML merges EventData into System (System first: Splunk's System
// transforms run first) and adds the metadata and aliases.
func finishXML(system, data *builder) (Event, error) {
	metadata := [len(metadataNames)]string{"", system.value("Computer"), sourceFor(system.value("Channel")), "XmlWinEventLog"}
	if systemTime := system.value("SystemTime"); systemTime != "" {
		epoch, err := epochSeconds(systemTime)
		if err != nil {
			return Event{}, fmt.Errorf("winevent: XML: TimeCreated SystemTime: %w", err)
		}
		metadata[0] = epoch
	}
	for i, name := range data.names {
		for _, value := range data.values[i] {
			if name == "Data" {
				system.add(name, value)
			} else {
				system.first(name, value)
			}
		}
	}
	return system.finish(metadata, [][2]string{
		{"EventCode", system.value("EventID")},
		{"SourceName", system.value("Name")},
		{"TimeCreated", system.value("SystemTime")},
	}), nil
}

// A fieldSink receives the fields scanEvent finds: a builder, or an
// extractor that keeps only the fields it was asked for.
type fieldSink interface {
	// slot returns where a field of this name is kept, or -1 when it is
	// not, so that the text of the others need not be decoded. The name is
	// looked up once for the two calls that follow.
	slot(name []byte) int
	// firstRaw stores value under the field named name after Splunk's
	// CLEAN_KEYS (slot is slot(name)), unless the field has a value
	// already.
	firstRaw(slot int, name, value []byte)
	// addData adds value to the multivalue field Data (slot is
	// slot("Data")).
	addData(slot int, value []byte)
}

// A builder keeps every field: its slot is 0 for all names.
func (b *builder) slot([]byte) int { return 0 }

func (b *builder) firstRaw(_ int, name, value []byte) { b.firstBytes(cleanKeyBytes(name), value) }

func (b *builder) addData(_ int, value []byte) { b.addBytes("Data", value) }

// The sections of <Event> whose content becomes fields.
const (
	sectionOther = iota
	sectionSystem
	sectionEventData
	sectionUserData
	sectionRenderingInfo
)

func sectionOf(local []byte) int {
	switch string(local) {
	case "System":
		return sectionSystem
	case "EventData":
		return sectionEventData
	case "UserData":
		return sectionUserData
	case "RenderingInfo":
		return sectionRenderingInfo
	}
	return sectionOther
}

// scanEvent reads one document whose root is <Event> and stores its fields:
// System's into system, EventData's, UserData's and the rendered Message
// into data. The rules are those of the package documentation; the element
// depth tells where each token belongs (1 = inside <Event>, 2 = inside a
// section, 3 = inside a section's child), so no recursion is needed.
func (s *xmlScanner) scanEvent(src []byte, system, data fieldSink) error {
	s.reset(src)
	if err := s.prolog(); err != nil {
		return err
	}
	if root := localName(s.nameBytes()); string(root) != "Event" {
		return fmt.Errorf("root element is <%s>, want <Event>", clip(string(root)))
	}
	var (
		section     = sectionOther
		collecting  bool   // the text of the depth-3 element is being gathered
		hasChildren bool   // the depth-3 element of System has child elements
		leafOpen    bool   // UserData: no child element since the last start tag
		dataName    []byte // Data's Name: the input's bytes or s.dataName
		fieldName   []byte // the local name of the element whose text is gathered
		dataNamed   bool
		isMessage   bool
		slot        = -1 // where the sink keeps the field being gathered, -1 if it does not
	)
	for {
		kind, err := s.next()
		if err != nil {
			return err
		}
		depth := len(s.open)
		switch kind {
		case tokenEOF:
			return fmt.Errorf("input ends inside <%s>", clip(string(localName(s.openName(depth-1)))))
		case tokenStart:
			local := s.localBytes()
			switch {
			case depth == 2:
				section = sectionOf(local)
			case depth == 3:
				s.resetText()
				fieldName = local
				switch section {
				case sectionSystem:
					if err := s.systemAttributes(system); err != nil {
						return err
					}
					collecting, hasChildren, slot = true, false, system.slot(local)
				case sectionEventData:
					collecting = string(local) == "Data"
					if collecting {
						dataName, dataNamed, err = s.attribute("Name", &s.dataName)
						if err != nil {
							return err
						}
						if dataNamed && len(dataName) > 0 {
							slot = data.slot(dataName)
						} else {
							slot = data.slot([]byte("Data"))
						}
					}
				case sectionRenderingInfo:
					collecting, isMessage = true, string(local) == "Message"
					slot = -1
					if isMessage {
						slot = data.slot(local)
					}
				case sectionUserData:
					leafOpen, slot = true, data.slot(local)
				}
			case depth > 3:
				hasChildren = true
				if section == sectionUserData {
					s.resetText()
					fieldName, leafOpen, slot = local, true, data.slot(local)
				}
			}
		case tokenText:
			if collecting || leafOpen && section == sectionUserData {
				if slot >= 0 {
					err = s.gatherText()
				} else {
					// Not kept, but still checked: an event is an error
					// or not whichever fields are asked for.
					err = s.checkText()
				}
				if err != nil {
					return err
				}
			}
		case tokenEnd:
			switch {
			case depth == 0:
				return s.epilog()
			case depth == 1:
				section = sectionOther
			case section == sectionUserData:
				if leafOpen {
					data.firstRaw(slot, fieldName, s.gathered()) // the leaf's: its end tag's local name
					leafOpen = false
				}
			case depth == 2 && collecting:
				collecting = false
				switch section {
				case sectionSystem:
					if !hasChildren {
						system.firstRaw(slot, fieldName, s.gathered())
					}
				case sectionEventData:
					if dataNamed && len(dataName) > 0 {
						data.firstRaw(slot, dataName, s.gathered()) // skipped if it cleans to ""
					} else {
						data.addData(slot, s.gathered())
					}
				case sectionRenderingInfo:
					if isMessage {
						data.firstRaw(slot, []byte("Message"), s.gathered())
					}
				}
			}
		}
	}
}

// prolog skips what may precede the root element (blank text, the XML
// declaration, comments, processing instructions) and stops on its start
// tag; epilog checks that nothing but those follows </Event>.
func (s *xmlScanner) prolog() error { return s.outsideRoot(true) }

func (s *xmlScanner) epilog() error { return s.outsideRoot(false) }

func (s *xmlScanner) outsideRoot(beforeRoot bool) error {
	where := "after </Event>"
	if beforeRoot {
		where = "before the root element"
	}
	for {
		kind, err := s.next()
		if err != nil {
			return err
		}
		switch kind {
		case tokenEOF:
			if beforeRoot {
				return errors.New("no root element")
			}
			return nil
		case tokenStart:
			if beforeRoot {
				return nil
			}
			return fmt.Errorf("second root element <%s> after </Event>: one event per line", clip(string(localName(s.nameBytes()))))
		case tokenText:
			if err := s.blankText(where); err != nil {
				return err
			}
		case tokenDirective:
			// A DOCTYPE could declare entities this reader does not expand;
			// Windows never writes one, so refuse rather than half-parse.
			return fmt.Errorf("unexpected <!...> directive %s", where)
		}
	}
}

// blankText fails unless the text token is white space.
func (s *xmlScanner) blankText(where string) error {
	text, err := s.appendText(s.text[:0])
	if err != nil {
		return err
	}
	s.text = text
	if len(bytes.TrimSpace(text)) != 0 {
		return fmt.Errorf("text %q %s", clip(string(text)), where)
	}
	return nil
}

// systemAttributes stores every attribute of a System child under its
// local name, except namespace declarations.
func (s *xmlScanner) systemAttributes(system fieldSink) error {
	for _, a := range s.attrs {
		name := s.src[a.name.start:a.name.end]
		if isNamespaceDeclaration(name) {
			continue
		}
		local := s.src[a.local:a.name.end] // localName(name)
		slot := system.slot(local)
		if slot < 0 && bytes.IndexByte(s.src[a.value.start:a.value.end], '&') < 0 {
			continue // nothing to keep, nothing to check
		}
		value, err := s.attrValue(a, &s.value)
		if err != nil {
			return err
		}
		if slot >= 0 {
			system.firstRaw(slot, local, value)
		}
	}
	return nil
}

// attribute returns the decoded value of the unprefixed attribute name
// (see attrValue) and reports whether the tag has it.
func (s *xmlScanner) attribute(name string, buf *[]byte) ([]byte, bool, error) {
	for _, a := range s.attrs {
		if string(s.src[a.name.start:a.name.end]) == name {
			value, err := s.attrValue(a, buf)
			return value, true, err
		}
	}
	return nil, false, nil
}

// isNamespaceDeclaration reports whether an attribute name is xmlns or
// xmlns:prefix.
func isNamespaceDeclaration(name []byte) bool {
	return string(name) == "xmlns" || bytes.HasPrefix(name, []byte("xmlns:")) && len(name) > len("xmlns:")
}

// localName is a qualified name without its prefix, split at the first
// colon as encoding/xml does (a name that starts or ends with the colon has
// no prefix).
func localName(name []byte) []byte {
	// A loop, not bytes.IndexByte: names are short, and the call costs
	// more than the search.
	for i, c := range name {
		if c == ':' {
			if i > 0 && i < len(name)-1 {
				return name[i+1:]
			}
			return name
		}
	}
	return name
}

// cleanKeyBytes is cleanKey for a name in a scanner's buffer; names that
// are already clean, as nearly all are, are copied without a rewrite.
func cleanKeyBytes(name []byte) string {
	if isCleanKey(name) {
		return internName(name)
	}
	return cleanKey(string(name))
}

// isCleanKey reports whether CLEAN_KEYS leaves name as it is: letters and
// digits, starting with a letter.
func isCleanKey(name []byte) bool {
	if len(name) == 0 || !isLetter(name[0]) {
		return false
	}
	for _, c := range name {
		if !isLetter(c) && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// clip shortens text quoted in an error message.
func clip(s string) string { return textfmt.Clip(s, 40) }

// internName returns a field name as a string, without allocating for the
// names Windows events carry most often (the System fields, and the
// EventData names of the process, PowerShell and BITS events this app
// reads): a map lookup by a converted []byte does not allocate.
func internName(name []byte) string {
	if s, ok := commonNames[string(name)]; ok {
		return s
	}
	return string(name)
}

var commonNames = func() map[string]string {
	names := []string{
		// System
		"Provider", "Name", "Guid", "EventSourceName", "EventID", "Qualifiers", "Version", "Level",
		"Task", "Opcode", "Keywords", "TimeCreated", "SystemTime", "EventRecordID", "Correlation",
		"ActivityID", "RelatedActivityID", "Execution", "ProcessID", "ThreadID", "Channel",
		"Computer", "Security", "UserID",
		// Sysmon process creation
		"RuleName", "UtcTime", "ProcessGuid", "ProcessId", "Image", "FileVersion", "Description",
		"Product", "Company", "OriginalFileName", "CommandLine", "CurrentDirectory", "User",
		"LogonGuid", "LogonId", "TerminalSessionId", "IntegrityLevel", "Hashes",
		"ParentProcessGuid", "ParentProcessId", "ParentImage", "ParentCommandLine", "ParentUser",
		// Security 4688
		"SubjectUserSid", "SubjectUserName", "SubjectDomainName", "SubjectLogonId", "NewProcessId",
		"NewProcessName", "TokenElevationType", "TargetUserSid", "TargetUserName",
		"TargetDomainName", "TargetLogonId", "ParentProcessName", "MandatoryLabel",
		// PowerShell
		"MessageNumber", "MessageTotal", "ScriptBlockText", "ScriptBlockId", "Path", "ContextInfo",
		"Payload", "Data", "Message",
		// Bits-Client
		"jobTitle", "jobId", "jobOwner", "processPath", "processId", "url", "fileTime",
		"fileLength", "bytesTotal", "bytesTransferred", "bytesTransferredFromPeer", "hr",
		"transferId", "string", "string2", "Id", "name", "peer", "proxy",
	}
	m := make(map[string]string, len(names))
	for _, n := range names {
		m[n] = n
	}
	return m
}()
