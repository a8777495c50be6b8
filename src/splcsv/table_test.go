package splcsv

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The field cells are the quoting of the joined and the __mv_ values,
// whatever the values hold, and a TableWriter writes strings the same.
func TestFieldCells(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"a", "$", "$$", ";", ",", "\"", "\n", "\r", " ", "\t", "é", ""}
	for iter := 0; iter < 5000; iter++ {
		values := make([]string, rng.IntN(4))
		bvalues := make([][]byte, len(values))
		for i := range values {
			var sb strings.Builder
			for n := rng.IntN(6); n > 0; n-- {
				sb.WriteString(alphabet[rng.IntN(len(alphabet))])
			}
			values[i], bvalues[i] = sb.String(), []byte(sb.String())
		}
		wantOwn := string(AppendField(nil, AppendJoined(nil, bvalues)))
		var wantMV string
		if len(values) > 1 {
			wantMV = string(AppendField(nil, AppendMultivalue(nil, bvalues)))
		}
		if got := string(AppendFieldCell(nil, bvalues)); got != wantOwn {
			t.Fatalf("AppendFieldCell(%q) = %q, want %q", values, got, wantOwn)
		}
		if got := string(AppendMultivalueCell(nil, bvalues)); got != wantMV {
			t.Fatalf("AppendMultivalueCell(%q) = %q, want %q", values, got, wantMV)
		}
		var tw TableWriter
		tw.companions = []bool{true}
		tw.Values(values)
		if got, want := string(tw.Bytes()), wantOwn+","+wantMV; got != want {
			t.Fatalf("TableWriter.Values(%q) = %q, want %q", values, got, want)
		}
	}
}

// A cell quoted or not, by any writer, comes out as AppendField writes its
// value.
func TestAppendCanonical(t *testing.T) {
	body := "a,b,c,d,e,f,g\n" +
		"plain,\"quoted\",\"a,b\",\"say \"\"hi\"\"\",\" lead\",ab\"c,\n"
	r := NewReader([]byte(body))
	if _, err := r.ReadHeader(); err != nil {
		t.Fatal(err)
	}
	fields, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fields {
		v, _ := f.Value(nil)
		canonical := string(AppendCanonical(nil, f))
		if want := string(AppendField(nil, v)); canonical != want {
			t.Errorf("AppendCanonical(%q) = %q, want %q", f.Raw, canonical, want)
		}
		got = append(got, canonical)
	}
	want := []string{"plain", "quoted", `"a,b"`, `"say ""hi"""`, `" lead"`, `"ab""c"`, ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("canonical cells (-want +got):\n%s", diff)
	}
}

func TestTableWriter(t *testing.T) {
	tw := NewTableWriter([]string{"host", "Data", "x,y"}, []bool{false, true})
	tw.Value(" padded ")
	tw.Values([]string{"one $1", "two,2"})
	tw.Value("")
	tw.EndRecord()
	var out bytes.Buffer
	tw.WriteTo(&out) // mid-table: the rest follows
	tw.Value("h")
	tw.Value("single") // a companion column gets an empty cell
	tw.Values(nil)
	tw.EndRecord()
	r := NewReader([]byte(`"q""x"` + "\n" + `"q""x"` + "\n"))
	r.ReadHeader()
	fields, _ := r.Next()
	tw.Cell(fields[0])
	tw.WriteTo(&out) // mid-record: the record goes on
	tw.Value("y")
	tw.Value("z")
	tw.EndRecord()
	tw.WriteTo(&out)
	want := "host,Data,__mv_Data,\"x,y\"\n" +
		"\" padded \",\"one $1\ntwo,2\",\"$one $$1$;$two,2$\",\n" +
		"h,single,,\n" +
		"\"q\"\"x\",y,,z\n"
	if got := out.String(); got != want {
		t.Errorf("table =\n%q\nwant\n%q", got, want)
	}
	if tw.Len() != 0 {
		t.Errorf("after WriteTo, Len = %d", tw.Len())
	}
}
