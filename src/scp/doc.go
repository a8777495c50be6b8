// Package scp reads and writes the messages of Splunk's chunked custom search
// command protocol, version 2 (SCP v2, "chunked = true" in commands.conf).
//
// Every message, in both directions, is a header line, a JSON metadata
// object and a body, with nothing between or after them:
//
//	chunked 1.0,<metadata length>,<body length>\n<metadata><body>
//
// Both lengths count bytes. A Reader reads with exact counts and never splits
// on lines, because bodies contain newlines and arrive in pieces; it is lenient
// about spaces in the header, as splunkd's peers are, and strict about the
// sizes it will accept. A Writer writes the canonical form only.
//
// The package knows nothing of what a command computes: it frames messages
// and decodes the metadata Splunk sends (Request, SearchInfo) and the
// replies a command sends (GetInfoReply, ExecuteReply). The CSV bodies are
// the business of package splcsv.
package scp
