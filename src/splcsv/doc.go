// Package splcsv reads and writes the CSV bodies of Splunk's chunked search
// command protocol.
//
// Splunk's dialect: the first row names the fields; rows end in "\n" (the
// Python SDK writes "\r\n"; both are read); a field holding anything but
// letters and digits may be quoted, with quotes doubled; values may contain
// newlines, NUL, invalid UTF-8 and run to megabytes. An empty cell is a null
// field. A field x may have a companion column "__mv_x" carrying its values
// when it has several (see DecodeMultivalue).
//
// The Reader works in place on a whole body and never copies a field it is
// not asked to decode: Field.Raw is the field's exact bytes, quotes and all,
// so a command can hand every field it does not own back byte for byte.
// Unlike encoding/csv it keeps "\r\n" inside quoted values and a lone "\r"
// anywhere, because changing either would change the event.
package splcsv
