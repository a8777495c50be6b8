package command_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"bitsscore/src/command"
	"bitsscore/src/detect"
	"bitsscore/src/internal/testevents"
	"bitsscore/src/scp"
)

// bombDetector is the real detector, except that it panics on an event
// whose Image holds "BOOM": a bug that only some events reach.
type bombDetector struct{ detect.Detector }

func (d bombDetector) Score(in, out []detect.Values) {
	for _, v := range in[slicesIndex(d.Inputs(), "Image")] {
		if bytes.Contains(v, []byte("BOOM")) {
			panic("BOOM in Score")
		}
	}
	d.Detector.Score(in, out)
}

func slicesIndex(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	panic("no input " + name)
}

// workerBombs builds detectors for a split chunk such that a worker
// goroutine, never the session's own, panics: the first detector built
// (the session goroutine's) waits until another one has started, and every
// other detector panics as soon as it scores.
func workerBombs() func(command.Config) (detect.Detector, error) {
	var mu sync.Mutex
	built := 0
	started := make(chan struct{})
	var once sync.Once
	return func(command.Config) (detect.Detector, error) {
		mu.Lock()
		defer mu.Unlock()
		built++
		if built == 1 {
			return waitingDetector{detect.NewSPL(), started}, nil
		}
		return workerBomb{detect.NewSPL(), func() { once.Do(func() { close(started) }) }}, nil
	}
}

type waitingDetector struct {
	detect.Detector
	started <-chan struct{}
}

func (d waitingDetector) Score(in, out []detect.Values) {
	select {
	case <-d.started:
	case <-time.After(10 * time.Second): // never hang a test
	}
	d.Detector.Score(in, out)
}

type workerBomb struct {
	detect.Detector
	started func()
}

func (d workerBomb) Score(in, out []detect.Values) {
	d.started()
	panic("BOOM in a worker")
}

// bodyWithBomb is a chunk of realistic events with the bomb at record k.
func bodyWithBomb(events, k int) []byte {
	lines := strings.SplitAfter(string(testevents.Body(events, 11)), "\n")
	lines[1+k] = fmt.Sprintf("x,\"C:\\BOOM.exe\",%d,,,\n", k)
	return []byte(strings.Join(lines, ""))
}

// A panic inside the command becomes an error reply that names it, in
// exactly one ERROR message, with the stack where it happened in the
// debug log; and the status is non-zero. The large chunks are scored on
// several goroutines: a panic in any of them must reach the reply too.
func TestPanicBecomesErrorReply(t *testing.T) {
	// Let large chunks be split, even on one core.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	const events = 20000 // a chunk of over 1 MiB, which is split
	tests := []struct {
		name        string
		newDetector func(command.Config) (detect.Detector, error)
		body        []byte
		want        string
		getinfoOK   bool   // the getinfo reply comes before the error
		stackHas    string // in the debug log
	}{
		{
			name:        "in Score, small chunk",
			newDetector: func(command.Config) (detect.Detector, error) { return bombDetector{detect.NewSPL()}, nil },
			body:        bodyWithBomb(10, 3),
			want:        "bitsscore: internal error: BOOM in Score",
			getinfoOK:   true,
			stackHas:    "bombDetector.Score",
		},
		{
			name:        "in Score, first run of a split chunk",
			newDetector: func(command.Config) (detect.Detector, error) { return bombDetector{detect.NewSPL()}, nil },
			body:        bodyWithBomb(events, 10),
			want:        "bitsscore: internal error: BOOM in Score",
			getinfoOK:   true,
			stackHas:    "bombDetector.Score",
		},
		{
			name:        "in Score, on a worker goroutine of a split chunk",
			newDetector: workerBombs(),
			body:        bodyWithBomb(events, events-10),
			want:        "bitsscore: internal error: BOOM in a worker",
			getinfoOK:   true,
			// Only a goroutine the split started says so.
			stackHas: "created by bitsscore/src/command.(*arrival).begin",
		},
		{
			name:        "building the detector",
			newDetector: func(command.Config) (detect.Detector, error) { panic("no detector today") },
			body:        bodyWithBomb(10, 3),
			want:        "bitsscore: internal error: no detector today",
			stackHas:    "TestPanicBecomesErrorReply",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dispatch := t.TempDir()
			var in bytes.Buffer
			w := scp.NewWriter(&in)
			w.WriteMessage(fmt.Appendf(nil, `{"action":"getinfo","searchinfo":{"args":["debug=t"],"dispatch_dir":%q}}`, dispatch), nil)
			w.WriteMessage([]byte(`{"action":"execute","finished":false}`), tt.body)
			w.WriteMessage([]byte(`{"action":"execute","finished":true}`), nil)

			var out bytes.Buffer
			s := command.NewSession(&in, &out)
			s.NewDetector = tt.newDetector
			if status := s.Run(); status != command.ExitError {
				t.Errorf("status %d, want %d", status, command.ExitError)
			}

			replies := scp.NewReader(&out)
			replies.Strict = true
			if tt.getinfoOK {
				msg, err := replies.ReadMessage()
				if err != nil || bytes.Contains(msg.Metadata, []byte("error")) {
					t.Fatalf("getinfo reply: %s, %v", msg.Metadata, err)
				}
			}
			msg, err := replies.ReadMessage()
			if err != nil {
				t.Fatalf("no error reply: %v", err)
			}
			var reply scp.ExecuteReply
			if err := json.Unmarshal(msg.Metadata, &reply); err != nil {
				t.Fatal(err)
			}
			if reply.Error != tt.want || !reply.Finished || len(msg.Body) > 0 {
				t.Errorf("reply %s with a %d-byte body, want error %q, finished, no body", msg.Metadata, len(msg.Body), tt.want)
			}
			if reply.Inspector == nil || len(reply.Inspector.Messages) != 1 || reply.Inspector.Messages[0] != (scp.InspectorMessage{Level: scp.LevelError, Text: tt.want}) {
				t.Errorf("inspector %+v, want one ERROR %q", reply.Inspector, tt.want)
			}
			if _, err := replies.ReadMessage(); err != io.EOF {
				t.Errorf("after the error reply: %v, want nothing more", err)
			}
			log, err := os.ReadFile(filepath.Join(dispatch, command.DebugLogName))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(log, []byte("fatal: "+tt.want)) || !bytes.Contains(log, []byte(tt.stackHas)) {
				t.Errorf("debug log lacks the error or a stack through %s:\n%s", tt.stackHas, log)
			}
		})
	}
}
