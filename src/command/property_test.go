package command_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"bitsscore/src/splcsv"
	"bitsscore/src/splunkd"
)

// propertySeeds is how many random sessions TestNoEventLost runs; each is
// reproducible from its seed alone.
const propertySeeds = 24

// No data loss, for random sessions through the real binary: every record
// sent comes back once, in order, with _chunked_idx and every field the
// command does not own unchanged (decoded value and raw bytes), and with
// CommandLine and Image set to what they were, or coalesced from
// ProcessCommandLine.
func TestNoEventLost(t *testing.T) {
	for seed := uint64(1); seed <= propertySeeds; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			session := generateSession(seed)
			res, err := splunkd.Run(bitsscoreBin, searchInfo(t), session.chunks, splunkd.Options{WriteAhead: session.writeAhead})
			if err != nil {
				t.Fatalf("%s: %v", session, err)
			}
			if len(res.Replies) != len(session.chunks) {
				t.Fatalf("%s: %d replies", session, len(res.Replies))
			}
			records := 0
			for i, chunk := range session.chunks {
				records += checkChunkReply(t, session, i, chunk.Body, res.Replies[i])
			}
			if records != session.records {
				t.Errorf("%s: %d records came back", session, records)
			}
		})
	}
}

// checkChunkReply checks one reply against its request and returns the
// number of records it carried.
func checkChunkReply(t *testing.T, session randomSession, n int, request []byte, reply splunkd.Reply) int {
	t.Helper()
	if bytes.IndexByte(request, '\n') < 0 {
		if len(reply.Body) > 0 {
			t.Errorf("%s, chunk %d: no records sent, %d bytes came back", session, n, len(reply.Body))
		}
		return 0
	}
	in, err := splunkd.DecodeTable(request)
	if err != nil {
		t.Fatalf("%s, chunk %d: the generated body does not parse: %v", session, n, err)
	}
	out := reply.Table
	if out == nil || len(out.Rows) != len(in.Rows) {
		t.Fatalf("%s, chunk %d: %d records sent, reply %v", session, n, len(in.Rows), out)
	}
	for _, f := range outputFields {
		if out.Column(f) < 0 || out.Column(splcsv.MultivaluePrefix+f) < 0 {
			t.Errorf("%s, chunk %d: reply lacks %s or its companion: %q", session, n, f, out.Header)
		}
	}
	rawIn, rawOut := rawCells(t, request), rawCells(t, reply.Body)
	owned := map[string]bool{}
	for _, f := range outputFields {
		owned[f], owned[splcsv.MultivaluePrefix+f] = true, true
	}
	for r := range in.Rows {
		for c, name := range in.Header {
			if owned[name] {
				continue
			}
			oc := out.Column(name)
			if oc < 0 {
				t.Fatalf("%s, chunk %d: column %q did not come back", session, n, name)
			}
			if in.Rows[r][c] != out.Rows[r][oc] {
				t.Errorf("%s, chunk %d, record %d, %s: %q came back as %q", session, n, r, name, clip(in.Rows[r][c]), clip(out.Rows[r][oc]))
			}
			if !bytes.Equal(rawIn.rows[r][c], rawOut.rows[r][oc]) {
				t.Errorf("%s, chunk %d, record %d, %s: raw %q came back as %q", session, n, r, name, clip(string(rawIn.rows[r][c])), clip(string(rawOut.rows[r][oc])))
			}
		}
		image := values(t, in, r, "Image")
		commandLine := values(t, in, r, "CommandLine")
		if commandLine == nil {
			commandLine = values(t, in, r, "ProcessCommandLine")
		}
		if diff := cmp.Diff(image, values(t, out, r, "Image")); diff != "" {
			t.Errorf("%s, chunk %d, record %d: Image (-sent +back):\n%s", session, n, r, diff)
		}
		if diff := cmp.Diff(commandLine, values(t, out, r, "CommandLine")); diff != "" {
			t.Errorf("%s, chunk %d, record %d: CommandLine (-coalesced +back):\n%s", session, n, r, diff)
		}
	}
	return len(in.Rows)
}

func values(t *testing.T, table *splunkd.Table, row int, name string) []string {
	t.Helper()
	v, err := table.Values(row, name)
	if err != nil {
		t.Fatalf("record %d, %s: %v", row, name, err)
	}
	return v
}

// A randomSession is a generated session: execute requests cut from one
// stream of random records.
type randomSession struct {
	seed       uint64
	columns    []string
	chunks     []splunkd.Chunk
	records    int
	writeAhead bool
}

func (s randomSession) String() string {
	return fmt.Sprintf("seed %d (%d records in %d chunks, columns %q)", s.seed, s.records, len(s.chunks), s.columns)
}

// columnPool are the fields a chunk may carry besides _chunked_idx: the
// command's inputs, fields it passes through, and names that need quoting.
var columnPool = []string{
	"Image", "CommandLine", "ProcessCommandLine", "_raw", "_time", "host", "source", "ParentImage",
	"user", "dest", "odd name, with comma", `q"uote`, "ünïcödé", "$dollar",
}

func generateSession(seed uint64) randomSession {
	rng := rand.New(rand.NewPCG(seed, 0x1197))
	s := randomSession{seed: seed, writeAhead: rng.IntN(2) == 0}

	// Columns: a random subset in random order, some with __mv_
	// companions (interleaved or last), and _chunked_idx somewhere.
	var fields []string
	for _, name := range columnPool {
		if rng.IntN(3) > 0 {
			fields = append(fields, name)
		}
	}
	rng.Shuffle(len(fields), func(i, j int) { fields[i], fields[j] = fields[j], fields[i] })
	multi := map[string]bool{}
	columns := slices.Clone(fields)
	mvLast := rng.IntN(2) == 0
	for _, name := range fields {
		if rng.IntN(2) == 0 {
			multi[name] = true
			if mvLast {
				columns = append(columns, splcsv.MultivaluePrefix+name)
			} else {
				at := slices.Index(columns, name) + 1
				columns = slices.Insert(columns, at, splcsv.MultivaluePrefix+name)
			}
		}
	}
	columns = slices.Insert(columns, rng.IntN(len(columns)+1), "_chunked_idx")
	s.columns = columns

	// Records: enough, on some seeds, for chunks over 1 MiB, which are
	// scored on several goroutines.
	s.records = 1 + rng.IntN(400)
	long := seed%4 == 0
	if long {
		s.records = 3000 + rng.IntN(2000)
	}
	splunkStyle := rng.IntN(2) == 0 // quote every cell that is not alphanumeric
	cells := make([]map[string]string, s.records)
	for r := range cells {
		cells[r] = map[string]string{}
		for _, name := range fields {
			n := 1
			if multi[name] && rng.IntN(4) == 0 {
				n = 2 + rng.IntN(3)
			}
			vals := make([][]byte, n)
			for k := range vals {
				vals[k] = randomValue(rng, name, long)
			}
			if n == 1 && rng.IntN(6) == 0 {
				vals[0] = nil // null
			}
			cells[r][name] = string(splcsv.AppendJoined(nil, vals))
			if multi[name] {
				mv := ""
				if n > 1 {
					mv = string(splcsv.AppendMultivalue(nil, vals))
				}
				cells[r][splcsv.MultivaluePrefix+name] = mv
			}
		}
	}

	// Chunks: random cuts, each numbering _chunked_idx from 0, with
	// header-only and empty bodies mixed in as 8.x sends them.
	for from := 0; from < s.records; {
		to := min(s.records, from+1+rng.IntN(max(1, s.records/3)))
		s.chunks = append(s.chunks, splunkd.Chunk{Body: chunkBody(columns, cells[from:to], splunkStyle)})
		switch rng.IntN(6) {
		case 0:
			s.chunks = append(s.chunks, splunkd.Chunk{Body: chunkBody(columns, nil, splunkStyle)})
		case 1:
			s.chunks = append(s.chunks, splunkd.Chunk{})
		}
		from = to
	}
	if rng.IntN(2) == 0 {
		s.chunks = append(s.chunks, splunkd.Chunk{Body: chunkBody(columns, nil, splunkStyle)})
	}
	s.chunks[len(s.chunks)-1].Finished = true
	return s
}

func chunkBody(columns []string, rows []map[string]string, splunkStyle bool) []byte {
	w := splcsv.NewWriter()
	write := func(v string) {
		if splunkStyle && strings.ContainsFunc(v, func(c rune) bool {
			return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9')
		}) {
			w.WriteRaw([]byte(`"` + strings.ReplaceAll(v, `"`, `""`) + `"`))
			return
		}
		w.WriteString(v)
	}
	for _, c := range columns {
		write(c)
	}
	w.EndRecord()
	for i, row := range rows {
		for _, c := range columns {
			if c == "_chunked_idx" {
				write(fmt.Sprint(i))
			} else {
				write(row[c])
			}
		}
		w.EndRecord()
	}
	return bytes.Clone(w.Bytes())
}

// valuePieces are what values are made of: the bytes that trip CSV and
// multivalue codecs, and text the detector looks for.
var valuePieces = []string{
	"a", "Z", "9", " ", `"`, `""`, ",", "\n", "\r", "\r\n", "$", "$$", ";", "$;$", "\x00", "\xff", "\xc3",
	"é", "𝄞", "\t", "bitsadmin", " /transfer ", "Start-BitsTransfer", "http://evil.example/a.exe", `C:\Users\Public\a.exe`,
	"powershell", "/SetNotifyCmdLine", `C:\Windows\System32\bitsadmin.exe`, "/reset",
}

func randomValue(rng *rand.Rand, field string, long bool) []byte {
	if field == "_time" {
		return fmt.Appendf(nil, "%d.%03d", 1700000000+rng.IntN(1e6), rng.IntN(1000))
	}
	n := rng.IntN(12)
	if long {
		n = 20 + rng.IntN(60)
	}
	var v []byte
	for range n {
		v = append(v, valuePieces[rng.IntN(len(valuePieces))]...)
	}
	if len(v) == 0 {
		v = []byte("v") // an empty value would be a null one
	}
	return v
}

// The generator reaches what TestNoEventLost claims to cover: chunks large
// enough to be split across goroutines, multivalue inputs, null inputs,
// header-only and empty chunks, and several chunks per session.
func TestPropertyGeneratorCoverage(t *testing.T) {
	covered := map[string]bool{}
	for seed := uint64(1); seed <= propertySeeds; seed++ {
		s := generateSession(seed)
		if len(s.chunks) > 2 {
			covered["several chunks"] = true
		}
		for _, c := range s.chunks {
			switch {
			case len(c.Body) > 1<<20:
				covered["chunk over 1 MiB"] = true
			case len(c.Body) == 0:
				covered["empty body"] = true
			case bytes.Count(c.Body, []byte("\n")) == 1 && bytes.HasSuffix(c.Body, []byte("\n")):
				covered["header-only body"] = true
			}
			for _, input := range []string{"Image", "CommandLine", "ProcessCommandLine"} {
				if bytes.Contains(c.Body, []byte(",\"$")) && slices.Contains(s.columns, splcsv.MultivaluePrefix+input) {
					covered["multivalue "+input] = true
				}
			}
		}
		if !slices.Contains(s.columns, "CommandLine") && slices.Contains(s.columns, "ProcessCommandLine") {
			covered["ProcessCommandLine alone"] = true
		}
	}
	for _, want := range []string{"several chunks", "chunk over 1 MiB", "empty body", "header-only body", "multivalue Image", "multivalue CommandLine", "multivalue ProcessCommandLine", "ProcessCommandLine alone"} {
		if !covered[want] {
			t.Errorf("no seed generates %s", want)
		}
	}
}
