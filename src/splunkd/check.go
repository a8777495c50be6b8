package splunkd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"bitsscore/src/scp"
	"bitsscore/src/splcsv"
)

// Keys a reply may carry. splunkd does not support "partial" or
// "requires_preop" in v2, and anything unknown is a sign of a confused peer.
var (
	getInfoKeys = []string{"type", "generating", "required_fields", "streaming_preop", "maxwait", "finished", "error", "inspector"}
	executeKeys = []string{"finished", "error", "inspector"}
	commandType = []string{"streaming", "stateful", "events", "reporting"}
)

func decodeObject(request int, metadata []byte, allowed []string) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(metadata, &obj); err != nil || obj == nil {
		return nil, &Violation{Request: request, Msg: fmt.Sprintf("metadata is not a JSON object: %q", clip(metadata))}
	}
	var unknown []string
	for k := range obj {
		if !slices.Contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, &Violation{Request: request, Msg: fmt.Sprintf("metadata has keys splunkd does not accept: %q", unknown)}
	}
	return obj, nil
}

func checkGetInfoReply(msg scp.Message) (scp.GetInfoReply, error) {
	var reply scp.GetInfoReply
	if _, err := decodeObject(0, msg.Metadata, getInfoKeys); err != nil {
		return reply, err
	}
	if err := json.Unmarshal(msg.Metadata, &reply); err != nil {
		return reply, &Violation{Msg: fmt.Sprintf("metadata does not decode: %v", err)}
	}
	if len(msg.Body) > 0 {
		return reply, &Violation{Msg: fmt.Sprintf("the getinfo reply has a %d-byte body; it must be empty", len(msg.Body))}
	}
	if reply.Error != "" {
		return reply, &CommandError{Text: reply.Error, Messages: messages(reply.Inspector)}
	}
	if !slices.Contains(commandType, reply.Type) {
		return reply, &Violation{Msg: fmt.Sprintf("type is %q, want one of %q", reply.Type, commandType)}
	}
	return reply, nil
}

func checkExecuteReply(n int, msg scp.Message, finished bool) (Reply, error) {
	obj, err := decodeObject(n, msg.Metadata, executeKeys)
	if err != nil {
		return Reply{}, err
	}
	var meta scp.ExecuteReply
	if err := json.Unmarshal(msg.Metadata, &meta); err != nil {
		return Reply{}, &Violation{Request: n, Msg: fmt.Sprintf("metadata does not decode: %v", err)}
	}
	reply := Reply{Finished: meta.Finished, Inspector: messages(meta.Inspector), Body: bytes.Clone(msg.Body)}
	if meta.Error != "" {
		return reply, &CommandError{Request: n, Text: meta.Error, Messages: reply.Inspector}
	}
	if _, ok := obj["finished"]; !ok {
		return reply, &Violation{Request: n, Msg: "the reply has no \"finished\""}
	}
	if meta.Finished != finished {
		return reply, &Violation{Request: n, Msg: fmt.Sprintf("finished is %t, the request said %t", meta.Finished, finished)}
	}
	if len(msg.Body) > 0 {
		t, err := DecodeTable(msg.Body)
		if err != nil {
			return reply, &Violation{Request: n, Msg: fmt.Sprintf("the CSV body does not parse: %v", err)}
		}
		reply.Table = t
	}
	return reply, nil
}

// checkStreamingBody holds a streaming command to its promise: every input
// record comes back once, in order, _chunked_idx unchanged. It reads the
// request in place, decoding only _chunked_idx.
func checkStreamingBody(n int, request []byte, reply *Table) error {
	in := splcsv.NewReader(request)
	if _, err := in.ReadHeader(); err != nil {
		return fmt.Errorf("the request body itself does not parse (a driver misuse): %w", err)
	}
	records := 0
	for {
		fields, err := in.Next()
		if err != nil {
			return fmt.Errorf("the request body itself does not parse (a driver misuse): %w", err)
		}
		if fields == nil {
			break
		}
		records++
	}
	if records == 0 {
		return nil
	}
	if reply == nil {
		return &Violation{Request: n, Msg: fmt.Sprintf("%d records sent, an empty body came back", records)}
	}
	if len(reply.Rows) != records {
		return &Violation{Request: n, Msg: fmt.Sprintf("%d records sent, %d came back", records, len(reply.Rows))}
	}
	idxIn, idxOut := slices.Index(in.Header(), "_chunked_idx"), reply.Column("_chunked_idx")
	if idxIn < 0 {
		return nil
	}
	if idxOut < 0 {
		return &Violation{Request: n, Msg: "_chunked_idx was sent and did not come back"}
	}
	in.Reset(request)
	in.ReadHeader()
	for r := range reply.Rows {
		fields, _ := in.Next()
		sent, _ := fields[idxIn].Value(nil)
		if got := reply.Rows[r][idxOut]; string(sent) != got {
			return &Violation{Request: n, Msg: fmt.Sprintf("record %d: _chunked_idx %q came back as %q", r+1, sent, got)}
		}
	}
	return nil
}

func messages(in *scp.Inspector) []scp.InspectorMessage {
	if in == nil {
		return nil
	}
	return in.Messages
}

// A Table is a decoded CSV body.
type Table struct {
	Header []string
	Rows   [][]string // cell values, quotes decoded
}

// Encode returns t as a CSV body, DecodeTable's inverse: the header
// row, then every row, each cell as splcsv writes it.
func (t *Table) Encode() []byte { return t.encode(0, len(t.Rows)) }

// encode returns the header and rows [from, to) as a CSV body.
func (t *Table) encode(from, to int) []byte {
	w := splcsv.NewTableWriter(t.Header, nil)
	for _, row := range t.Rows[from:to] {
		for _, v := range row {
			w.Value(v)
		}
		w.EndRecord()
	}
	return w.Bytes()
}

// DecodeTable decodes a CSV body. An empty body is an empty table.
func DecodeTable(body []byte) (*Table, error) {
	r := splcsv.NewReader(body)
	if _, err := r.ReadHeader(); err != nil {
		return nil, err
	}
	t := &Table{Header: slices.Clone(r.Header())}
	for {
		fields, err := r.Next()
		if err != nil {
			return nil, err
		}
		if fields == nil {
			return t, nil
		}
		row := make([]string, len(fields))
		for i, f := range fields {
			row[i] = string(f.AppendValue(nil))
		}
		t.Rows = append(t.Rows, row)
	}
}

// Column returns the index of a column, or -1.
func (t *Table) Column(name string) int {
	return slices.Index(t.Header, name)
}

// Get returns a record's cell of a field, "" when the column is absent.
func (t *Table) Get(row int, name string) string {
	if c := t.Column(name); c >= 0 {
		return t.Rows[row][c]
	}
	return ""
}

// Values returns a field's values in a record: decoded from its __mv_
// companion when that is non-empty, else the cell; nil for a null field.
func (t *Table) Values(row int, name string) ([]string, error) {
	values, err := splcsv.FieldValues(t.Get(row, name), t.Get(row, splcsv.MultivaluePrefix+name))
	if err != nil {
		return nil, err
	}
	return values, nil
}
