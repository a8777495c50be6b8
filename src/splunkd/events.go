package splunkd

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"bitsscore/src/splcsv"
)

// Splunk does not send a command whole events: it sends the fields the
// command's getinfo reply requires, plus _chunked_idx, and merges the
// fields of each reply back into the event the index names. A Replay does
// the same, so a test or a tool sees what a search would.

// A Replay sends events to a command as splunkd does, after GetInfo, and
// merges a streaming command's replies back into them. It serves files of
// any size: it holds one chunk at a time and moves cells from the events to
// the request and from the reply to the merged events without decoding
// them (splcsv.TableWriter.Cell only re-quotes a cell quoted where this
// dialect would not quote it). The merged events wait in a spool file
// until WriteTo, because the merged table's columns (every event's fields,
// then what the replies added) are known only after the last reply.
type Replay struct {
	s         *Session
	all       bool     // getinfo required no field, or "*": send every column
	required  []string // otherwise, the columns to send
	streaming bool     // merge the replies (a streaming command)

	events, reply splcsv.Reader
	sent          []string // the last request's columns, _chunked_idx included
	records       int      // events sent

	spool        *os.File
	runs         []spoolRun
	eventColumns []string            // every chunk's columns, in the merged table's order
	eventSet     map[string]struct{} // eventColumns as a set
	replyColumns []string            // the columns replies added, first seen first
	merged       splcsv.TableWriter  // a chunk's merged records, on their way to the spool
}

// A spoolRun is a stretch of the spool whose records have the same
// columns.
type spoolRun struct {
	columns []string
	size    int64
}

// spoolFlush is how much of a chunk's merged records is held before it is
// written to the spool.
const spoolFlush = 1 << 20

// NewReplay starts sending events, after a successful GetInfo. The spool
// file is made in dir (the system's temporary directory when ""); Close
// removes it.
func (s *Session) NewReplay(dir string) (*Replay, error) {
	if s.info == nil {
		return nil, fmt.Errorf("NewReplay before a successful GetInfo (a driver misuse)")
	}
	spool, err := os.CreateTemp(dir, "replay-*.csv")
	if err != nil {
		return nil, err
	}
	r := &Replay{s: s, streaming: s.info.Type == "streaming", spool: spool, eventSet: map[string]struct{}{}}
	r.required = s.info.RequiredFields
	r.all = len(r.required) == 0 || slices.Contains(r.required, "*")
	return r, nil
}

// Close removes the spool file.
func (r *Replay) Close() error {
	r.spool.Close()
	return os.Remove(r.spool.Name())
}

// Events returns the number of events sent.
func (r *Replay) Events() int { return r.records }

// Execute sends events, a CSV body of whole events (a header row naming
// every field, then the events), as one execute request: the required
// columns the events have, plus _chunked_idx numbering them from 0. It
// returns the checked reply, and merges it into the events.
func (r *Replay) Execute(events []byte) (Reply, error) {
	r.events.Reset(events)
	if _, err := r.events.ReadHeader(); err != nil {
		return Reply{}, fmt.Errorf("the events do not parse (a driver misuse): %w", err)
	}
	columns := slices.Clone(r.events.Header())
	var project []int
	r.sent = r.sent[:0]
	for c, name := range columns {
		if r.all || slices.Contains(r.required, name) {
			project = append(project, c)
			r.sent = append(r.sent, name)
		}
	}
	r.sent = append(r.sent, "_chunked_idx")
	request := splcsv.NewTableWriter(r.sent, nil)
	n := 0
	for ; ; n++ {
		fields, err := r.events.Next()
		if err != nil {
			return Reply{}, fmt.Errorf("the events do not parse (a driver misuse): %w", err)
		}
		if fields == nil {
			break
		}
		for _, c := range project {
			request.Cell(fields[c])
		}
		request.Value(strconv.Itoa(n))
		request.EndRecord()
	}
	reply, err := r.s.Execute(request.Bytes(), false)
	if err != nil {
		return reply, err
	}
	r.records += n
	return reply, r.merge(events, columns, reply.Body)
}

// Finish sends the last request, header only and finished, and returns its
// checked reply.
func (r *Replay) Finish() (Reply, error) {
	if len(r.sent) == 0 {
		r.sent = append(r.sent, "_chunked_idx")
	}
	return r.s.Execute(splcsv.NewTableWriter(r.sent, nil).Bytes(), true)
}

// merge writes the events of one chunk to the spool, each with the cells
// of its reply record in place of its own; the reply has been checked, so
// it has the events' records in their order.
func (r *Replay) merge(events []byte, columns []string, reply []byte) error {
	r.addEventColumns(columns)
	// fromReply[c] is the reply's column that replaces the events' column
	// c, or -1; added are the reply's columns the events lack.
	fromReply := make([]int, len(columns))
	for c := range fromReply {
		fromReply[c] = -1
	}
	var added []int
	if r.streaming && len(reply) > 0 {
		r.reply.Reset(reply)
		if _, err := r.reply.ReadHeader(); err != nil {
			return err
		}
		for j, name := range r.reply.Header() {
			if name == "_chunked_idx" {
				continue
			}
			if !slices.Contains(r.replyColumns, name) {
				r.replyColumns = append(r.replyColumns, name)
			}
			if c := slices.Index(columns, name); c >= 0 {
				fromReply[c] = j
			} else {
				added = append(added, j)
				columns = append(columns, name)
			}
		}
	} else {
		r.reply.Reset(nil)
	}
	r.events.Reset(events)
	r.events.ReadHeader()
	for {
		fields, err := r.events.Next()
		if err != nil || fields == nil {
			break // parsed whole by Execute
		}
		replyFields, err := r.reply.Next()
		if err != nil {
			return err
		}
		for c, f := range fields {
			if j := fromReply[c]; j >= 0 && replyFields != nil {
				f = replyFields[j]
			}
			r.merged.Cell(f)
		}
		for _, j := range added {
			r.merged.Cell(replyFields[j])
		}
		r.merged.EndRecord()
		if r.merged.Len() >= spoolFlush {
			if err := r.flushSpool(columns); err != nil {
				return err
			}
		}
	}
	return r.flushSpool(columns)
}

// addEventColumns adds a chunk's columns to the merged table's. A column
// first seen is placed last, but a field's __mv_ companion that first
// appears in a later chunk goes right after the field, where a table
// encoding all the events at once would have put it.
func (r *Replay) addEventColumns(columns []string) {
	for c, name := range columns {
		if _, seen := r.eventSet[name]; seen {
			continue
		}
		r.eventSet[name] = struct{}{}
		at := len(r.eventColumns)
		if field, ok := strings.CutPrefix(name, splcsv.MultivaluePrefix); ok && c > 0 && columns[c-1] == field {
			at = slices.Index(r.eventColumns, field) + 1
		}
		r.eventColumns = slices.Insert(r.eventColumns, at, name)
	}
}

func (r *Replay) flushSpool(columns []string) error {
	size, err := r.merged.WriteTo(r.spool)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if n := len(r.runs); n > 0 && slices.Equal(r.runs[n-1].columns, columns) {
		r.runs[n-1].size += size
		return nil
	}
	r.runs = append(r.runs, spoolRun{columns: slices.Clone(columns), size: size})
	return nil
}

// WriteTo writes the merged events to w as one CSV table: the events'
// columns, then the columns the replies added. Records whose columns are
// the table's are copied as they are; the others are spread over the
// table's columns, cell by cell, the missing ones empty.
func (r *Replay) WriteTo(w io.Writer) (int64, error) {
	columns := slices.Clone(r.eventColumns)
	for _, name := range r.replyColumns {
		if _, ok := r.eventSet[name]; !ok {
			columns = append(columns, name)
		}
	}
	if len(columns) == 0 {
		return 0, nil
	}
	if _, err := r.spool.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	cw := &countingWriter{w: w}
	out := splcsv.NewTableWriter(columns, nil)
	var rec splcsv.Reader
	for _, run := range r.runs {
		if slices.Equal(run.columns, columns) {
			if _, err := out.WriteTo(cw); err != nil {
				return cw.n, err
			}
			if _, err := io.CopyN(cw, r.spool, run.size); err != nil {
				return cw.n, err
			}
			continue
		}
		from := make([]int, len(columns))
		for c, name := range columns {
			from[c] = slices.Index(run.columns, name)
		}
		records := splcsv.NewScanner(bufio.NewReader(io.LimitReader(r.spool, run.size)), math.MaxInt)
		for {
			record, _, err := records.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return cw.n, err
			}
			rec.ResetRecords(record, run.columns)
			fields, err := rec.Next()
			if err != nil {
				return cw.n, fmt.Errorf("spool: %w", err)
			}
			for _, j := range from {
				if j >= 0 {
					out.Cell(fields[j])
				} else {
					out.Value("")
				}
			}
			out.EndRecord()
			if out.Len() >= spoolFlush {
				if _, err := out.WriteTo(cw); err != nil {
					return cw.n, err
				}
			}
		}
	}
	_, err := out.WriteTo(cw)
	return cw.n, err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ExecuteEvents sends events the way splunkd does, after GetInfo: execute
// requests of at most chunkSize records through a Replay, then a
// header-only request with finished=true. A streaming command's replies
// are merged back into events. It returns every reply, in order.
func (s *Session) ExecuteEvents(events *Table, chunkSize int) ([]Reply, error) {
	if chunkSize < 1 {
		return nil, fmt.Errorf("chunk size %d: must be at least 1", chunkSize)
	}
	r, err := s.NewReplay("")
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var replies []Reply
	for from := 0; from < len(events.Rows); from += chunkSize {
		reply, err := r.Execute(events.encode(from, min(from+chunkSize, len(events.Rows))))
		if err != nil {
			return replies, err
		}
		replies = append(replies, reply)
	}
	reply, err := r.Finish()
	if err != nil {
		return replies, err
	}
	replies = append(replies, reply)
	if r.streaming && len(events.Rows) > 0 {
		var merged bytes.Buffer
		if _, err := r.WriteTo(&merged); err != nil {
			return replies, err
		}
		t, err := DecodeTable(merged.Bytes())
		if err != nil {
			return replies, err
		}
		*events = *t
	}
	return replies, nil
}
