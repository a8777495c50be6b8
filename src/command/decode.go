package command

import (
	"fmt"

	"bitsscore/src/detect"
	"bitsscore/src/splcsv"
)

// A RawExtractor reads a detector's inputs from one event's _raw (raw=t):
// it sets dst[i] to the values of the field names[i], appending their bytes
// to buf, and returns buf grown; dst's values point into it. It returns an
// error when raw is not in a shape it reads: the event then keeps the
// fields Splunk extracted. The session is handed one (the bitsscore binary
// hands it winevent.ExtractXML, Windows event XML as Splunk's Windows and
// Sysmon add-ons read it), so that the protocol layer knows no event format.
type RawExtractor func(raw []byte, names []string, dst []detect.Values, buf []byte) ([]byte, error)

// An inputDecoder decodes a detector's inputs from one record of a chunk:
// from the columns Splunk extracted, or (raw=t) from the record's _raw.
// The values point into the record or into scratch, and are valid until
// the next record.
type inputDecoder struct {
	inputs  []string
	in      []detect.Values // by input
	scratch []byte          // decoded values of the current record

	// extractRaw, when set (raw=t), takes the inputs from each record's
	// _raw, where the add-ons that extract them are not installed.
	extractRaw RawExtractor
	// inFromColumns is true when the current record's inputs were decoded
	// from its own cells, so an unchanged output can reuse those cells.
	inFromColumns bool
}

// readRaw makes the decoder take its inputs from _raw (raw=t) with extract.
func (d *inputDecoder) readRaw(extract RawExtractor) { d.extractRaw = extract }

// decode sets the inputs from the record fields of a chunk laid out as l.
func (d *inputDecoder) decode(fields []splcsv.Field, l *columnLayout) error {
	d.scratch = d.scratch[:0]
	d.inFromColumns = d.extractRaw == nil || !d.valuesFromRaw(fields, l.rawCol)
	if d.inFromColumns {
		return d.valuesFromColumns(fields, l)
	}
	return nil
}

// valuesFromRaw extracts the inputs from the record's _raw with the
// session's RawExtractor. It reports false, leaving the inputs to the
// columns, when _raw is absent or not in a shape the extractor reads: the
// search may mix event types, and those events keep their extracted fields.
func (d *inputDecoder) valuesFromRaw(fields []splcsv.Field, rawCol int) bool {
	if rawCol < 0 || fields[rawCol].IsEmpty() {
		return false
	}
	var raw []byte
	raw, d.scratch = fields[rawCol].Value(d.scratch)
	// The values are appended to scratch after raw, which they never
	// overwrite; on an error the inputs are left to the columns.
	var err error
	d.scratch, err = d.extractRaw(raw, d.inputs, d.in, d.scratch)
	return err == nil
}

func (d *inputDecoder) valuesFromColumns(fields []splcsv.Field, l *columnLayout) error {
	for i := range d.inputs {
		if l.inCol[i] < 0 && l.inMV[i] < 0 {
			// Absent from the chunk: null, without a call (mode=hardened
			// reads 21 fields, and most chunks carry a few of them).
			d.in[i] = d.in[i][:0]
			continue
		}
		v, err := splcsv.DecodeField(fields, l.inCol[i], l.inMV[i], d.in[i][:0], &d.scratch)
		if err != nil {
			return fmt.Errorf("field %s: %w", d.inputs[i], err)
		}
		d.in[i] = v
	}
	return nil
}
