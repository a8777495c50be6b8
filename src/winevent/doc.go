// Package winevent turns one recorded Windows event into the fields Splunk's
// Windows add-on (Splunk_TA_windows, sourcetype XmlWinEventLog) and Sysmon
// add-on (Splunk_TA_microsoft_sysmon) extract from it at search time, so that
// tests and demos can feed real recordings to the detection exactly as a
// search would.
//
// Two input forms are read, one event at a time:
//
//   - Windows event XML: Splunk's XmlWinEventLog _raw (single-quoted
//     attributes) or an .evtx export converted to XML (double-quoted
//     attributes, newlines written as &#10;). Both quoting styles give the
//     same Event, and entities and character references are decoded.
//     ParseXML builds the whole Event; ExtractXML gives only the fields
//     asked for (raw=t's work), with the same values, and an Extractor
//     does the same for one list of names kept from event to event (the
//     CLI reading a file). Both read the bytes
//     in one pass (xmlScanner), without recursion, elements nested at most
//     256 deep. XMLEventReader cuts a stream of event XML (one per line,
//     many per line or per file, inside <Events>, after an XML
//     declaration) into events, finding each one's end by balancing tags
//     (boundary.go) and leaving the tokens to the parser, so that an event
//     is tokenized once.
//   - JSON, as in OTRF Security-Datasets: each key a field name; or
//     nested, an event's XML turned into JSON by a converter (evtx_dump,
//     xmltodict, Json.NET, xml-js, Velociraptor: nested.go), mapped to
//     the names the XML gives. Either is read once, into a tree of nodes
//     in one slice (tree.go) that gives the flat fields and, for a nested
//     event, the structure its mapping needs.
//   - Tools' exports that rename the fields, in JSON or as CSV rows
//     (FromExport): Elastic's ECS (ecs.go), EvtxECmd (exports.go) and
//     Splunk's CIM process fields (cim.go), mapped back to the names the
//     XML gives from each tool's documented renames.
//
// # Splunk's rules that shape every field
//
// From transforms.conf.spec (search-time REPORT extractions):
//   - KEEP_EMPTY_VALS defaults to false: an empty value is not extracted, so
//     an empty element or attribute is an absent field here, never "". In a
//     search an absent field and an empty one are both null.
//   - MV_ADD defaults to false: when a name is extracted twice, the first
//     value is kept and later ones are discarded. This is why a System field
//     beats an EventData field of the same name (the add-on's System
//     transforms run first) and why a repeated <Data Name='X'> keeps its
//     first value.
//   - CLEAN_KEYS defaults to true: in an extracted field name every character
//     other than [A-Za-z0-9] becomes "_", and leading "_" and digits are
//     dropped. Applied to EventData and UserData names; a name that cleans
//     to nothing is skipped.
//
// # XML mapping
//
// Splunk_TA_windows' [XmlWinEventLog] stanza carves the <System> and
// <EventData> blocks out of _raw and runs generic key/value transforms over
// them (system_props_xml_kv, system_props_xml_attributes,
// eventdata_xml_data). The same generic rules are applied here:
//
//	<System> child text        <EventID>4688</EventID>           EventID=4688
//	                           Version, Level, Task, Opcode, Keywords,
//	                           EventRecordID, Channel, Computer  (same names)
//	<System> child attributes  <Provider Name= Guid= EventSourceName=>
//	                           <EventID Qualifiers=>, <TimeCreated SystemTime=>,
//	                           <Correlation ActivityID= RelatedActivityID=>,
//	                           <Execution ProcessID= ThreadID=>,
//	                           <Security UserID=>                (attribute names)
//	<EventData>                <Data Name='X'>v</Data>            X=v
//	                           <Data>v</Data> (no Name, e.g.
//	                           PowerShell 800)                   Data=v, multivalue
//	<UserData>                 every leaf element <X>v</X>        X=v
//	<RenderingInfo>            <Message>v</Message>               Message=v
//
// Derived fields, added after the extracted ones:
//
//	EventCode   = EventID (both add-ons, e.g. the Sysmon add-on's
//	              sysmon-eventid transform; the original SPL searches on it)
//	SourceName  = Provider Name, the classic WinEventLog name of the provider,
//	              also the key OTRF's JSON uses; Name stays as the add-on
//	              extracts it
//	TimeCreated = SystemTime (the Sysmon add-on's sysmon-created transform;
//	              derived here for every channel)
//	host        = Computer
//	source      = "XmlWinEventLog:" + Channel
//	sourcetype  = "XmlWinEventLog" (the modern naming: since
//	              Splunk_TA_windows 6.0 the channel is in the source, not in
//	              the sourcetype, and the Sysmon add-on follows it)
//	_time       = SystemTime as Unix epoch seconds with six decimals
//	              (Splunk keeps microseconds; finer digits are truncated)
//
// host, source, sourcetype and _time are index-time metadata: they win over
// any extracted field of the same name. The other derived fields are added
// only when no extracted field already has the name.
//
// The field names and shapes were checked against a Sysmon event as Splunk
// returned it with both add-ons installed (a sample published in Google
// Security Operations' Splunk CIM parser documentation): sourcetype
// XmlWinEventLog, source XmlWinEventLog:Microsoft-Windows-Sysmon/Operational,
// EventCode and EventID, Name, Guid, ProcessID, ThreadID, UserID, SystemTime,
// TimeCreated and every <Data Name=...> as its own field.
//
// # Sources
//
//   - transforms.conf.spec (Splunk Enterprise): KEEP_EMPTY_VALS, MV_ADD and
//     CLEAN_KEYS defaults, quoted above.
//   - Splunk_TA_windows [XmlWinEventLog]: the transform names and order
//     (REPORT-0xml_kv_extract = system_props_xml_kv,
//     system_props_xml_attributes, eventdata_xml_data) and the
//     eventdata_xml_data regex <(?:\w+)\sName='([^>]*)'\/?>([^<]*) as quoted
//     by public test suites that replay the add-on's own transforms.conf; the
//     add-on's files themselves were not available to check.
//   - Splunk_TA_microsoft_sysmon transforms.conf: sysmon-eventid
//     (<EventID>(\d+)</EventID> -> EventCode) and sysmon-created
//     (SystemTime -> TimeCreated).
//   - The Splunk-extracted Sysmon sample named above, for field names, source
//     and sourcetype.
//
// # Where this package knowingly differs from a live Splunk
//
//   - Attribute values are bare. Splunk_TA_windows' attribute transform
//     captures the quotes with the value, so a live search sees
//     Name='Microsoft-Windows-Sysmon', Guid='{...}', ProcessID='2888' and
//     UserID='S-1-5-18' (searches strip them with replace(UserID, "'", "")).
//     Reproducing that would make the two quoting styles differ; the
//     detection reads none of these fields.
//   - Entities are decoded. The add-on's transforms are regular expressions
//     over _raw and do not decode XML, and its eventdata_xml_data transform
//     only matches single-quoted Name attributes. A live XmlWinEventLog
//     CommandLine that holds & < > " may therefore arrive as &amp; &lt;
//     &gt; &quot;. Here the decoded text is returned, which is what the
//     event recorded.
//   - Unnamed <Data> elements are not matched by eventdata_xml_data (it needs
//     a Name attribute); they are returned here as the multivalue field Data
//     so that PowerShell 800 events carry their text.
//   - host is the forwarder's host name in a live deployment; for a recorded
//     event the Computer that logged it is the best stand-in.
//   - <Binary> and CIM aliases (process, parent_process, user, dest, ...) are
//     not produced: the detection reads raw field names only.
//
// # JSON mapping
//
// Keys are field names, kept as they are (Splunk's JSON extraction does not
// clean keys). Values: strings as they are ("" is absent); numbers as
// decimal strings (4688; 1e3 becomes 1000); true and false as those words;
// null is absent. Nested objects and arrays follow Splunk's JSON naming:
// {"a":{"b":1}} gives a.b=1 and {"a":[1,2]} gives the multivalue a{}=1,2. A
// repeated key adds values to a multivalue field.
//
// Derived fields, as for XML:
//
//	EventCode   = EventID
//	Computer    = Hostname
//	host        = Hostname
//	source      = "XmlWinEventLog:" + Channel
//	sourcetype  = "XmlWinEventLog"
//	_time       = TimeCreated, else @timestamp, as epoch seconds
//
// The OTRF datasets were exported by their collection pipeline, which had
// already renamed the System fields (SourceName, ProviderGuid, Hostname);
// Splunk would index such a line with its own metadata, but the add-ons'
// searches expect source, sourcetype, host and EventCode, so those are
// derived as a Windows forwarder would have set them.
package winevent
