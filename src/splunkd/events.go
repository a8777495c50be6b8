package splunkd

import (
	"fmt"
	"slices"
	"strconv"

	"bitsscore/src/splcsv"
)

// Splunk does not send a command whole events: it sends the fields the
// command's getinfo reply requires, plus _chunked_idx, and merges the
// fields of each reply back into the event the index names. Project and
// Merge do the same, so a test or a tool sees what a search would.

// Project writes the CSV body splunkd would send for rows [from, to) of
// events: the required fields that exist in events (all of them for "*"),
// and _chunked_idx numbering the rows from 0.
func Project(events *Table, required []string, from, to int) []byte {
	var cols []int
	for c, name := range events.Header {
		if slices.Contains(required, "*") || slices.Contains(required, name) {
			cols = append(cols, c)
		}
	}
	w := splcsv.NewWriter()
	for _, c := range cols {
		w.WriteString(events.Header[c])
	}
	w.WriteString("_chunked_idx")
	w.EndRecord()
	for r := from; r < to; r++ {
		for _, c := range cols {
			w.WriteString(events.Rows[r][c])
		}
		w.WriteString(strconv.Itoa(r - from))
		w.EndRecord()
	}
	return slices.Clone(w.Bytes())
}

// Merge sets the fields of reply into rows [from, ...) of events, matching
// records by _chunked_idx and adding columns events lacks. __mv_ companions
// are merged like any field. _chunked_idx itself is not kept.
func Merge(events *Table, from int, reply *Table) error {
	idx := reply.Column("_chunked_idx")
	if idx < 0 {
		return fmt.Errorf("the reply has no _chunked_idx to merge by")
	}
	target := make([]int, len(reply.Header))
	for c, name := range reply.Header {
		if c == idx {
			target[c] = -1
			continue
		}
		target[c] = events.Column(name)
		if target[c] < 0 {
			events.Header = append(events.Header, name)
			for r := range events.Rows {
				events.Rows[r] = append(events.Rows[r], "")
			}
			target[c] = len(events.Header) - 1
		}
	}
	for _, row := range reply.Rows {
		n, err := strconv.Atoi(row[idx])
		if err != nil || n < 0 || from+n >= len(events.Rows) {
			return fmt.Errorf("the reply names _chunked_idx %q, which was not sent", row[idx])
		}
		for c, v := range row {
			if target[c] >= 0 {
				events.Rows[from+n][target[c]] = v
			}
		}
	}
	return nil
}

// ExecuteEvents sends events the way splunkd does, after GetInfo: execute
// requests of at most chunkSize records, each carrying the fields getinfo
// required (every field when it named none) plus _chunked_idx, then a
// header-only request with finished=true. A streaming command's replies
// are merged back into events. It returns every reply, in order.
func (s *Session) ExecuteEvents(events *Table, chunkSize int) ([]Reply, error) {
	if s.info == nil {
		return nil, fmt.Errorf("ExecuteEvents before a successful GetInfo (a driver misuse)")
	}
	if chunkSize < 1 {
		return nil, fmt.Errorf("chunk size %d: must be at least 1", chunkSize)
	}
	required := s.info.RequiredFields
	if len(required) == 0 {
		required = []string{"*"}
	}
	var replies []Reply
	for from := 0; from < len(events.Rows); from += chunkSize {
		to := min(from+chunkSize, len(events.Rows))
		reply, err := s.Execute(Project(events, required, from, to), false)
		if err != nil {
			return replies, err
		}
		replies = append(replies, reply)
		if reply.Table != nil && s.info.Type == "streaming" {
			if err := Merge(events, from, reply.Table); err != nil {
				return replies, err
			}
		}
	}
	reply, err := s.Execute(Project(events, required, 0, 0), true)
	if err != nil {
		return replies, err
	}
	return append(replies, reply), nil
}
