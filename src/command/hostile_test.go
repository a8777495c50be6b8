//go:build unix

package command_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"bitsscore/src/command"
	"bitsscore/src/detect/modes"
	"bitsscore/src/scp"
	"bitsscore/src/splunkd"
)

// The adversarial suite: input a hostile or careless party controls (the
// customer's list in the app, searchinfo, event data) must end in a small,
// clear message, never a hang, unbounded memory or a reply that grows with
// what the error quotes. Each session runs under hostileLimit and a memory
// watchdog; docs/reliability.md lists the bounds.

// hostileMemLimit is the peak RSS past which the watchdog kills the
// command and fails the test: far above what any of these sessions needs
// (tens of MB), far below what an unbounded read reaches in seconds.
const hostileMemLimit = 512 << 20

// maxErrorReplyMeta bounds an error reply's metadata: the text twice
// (error and inspector message), each at most scp.MaxMessageText bytes
// and at most doubled by JSON escaping of what %q already escaped.
const maxErrorReplyMeta = 4*scp.MaxMessageText + 256

// A boundedSession is a session of the binary at bin whose memory a
// watchdog bounds and whose largest reply is recorded.
type boundedSession struct {
	*splunkd.Session
	mu        sync.Mutex
	largest   int // bytes of the largest reply's metadata
	peak      int64
	killed    bool
	stopWatch chan struct{}
	watchDone chan struct{}
}

func startBounded(t *testing.T, bin string) *boundedSession {
	t.Helper()
	s, err := splunkd.Start(bin)
	if err != nil {
		t.Fatal(err)
	}
	b := &boundedSession{Session: s, stopWatch: make(chan struct{}), watchDone: make(chan struct{})}
	s.Timeout = hangLimit
	s.Trace = func(toCommand bool, metadata, body []byte) {
		if !toCommand {
			b.mu.Lock()
			b.largest = max(b.largest, len(metadata))
			b.mu.Unlock()
		}
	}
	go b.watch(s.Pid())
	t.Cleanup(func() { b.finish(t) })
	return b
}

// watch polls the command's peak RSS until it exits or finish stops it,
// killing it past hostileMemLimit.
func (b *boundedSession) watch(pid int) {
	defer close(b.watchDone)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-b.stopWatch:
			return
		case <-tick.C:
		}
		rss, err := peakRSS(pid)
		if err != nil {
			return // exited
		}
		b.mu.Lock()
		b.peak = max(b.peak, rss)
		b.mu.Unlock()
		if rss > hostileMemLimit {
			b.mu.Lock()
			b.killed = true
			b.mu.Unlock()
			syscall.Kill(pid, syscall.SIGKILL)
			return
		}
	}
}

// finish waits for the command and checks the bounds every hostile
// session must keep: exit within hangLimit, memory under the limit,
// nothing on stderr.
func (b *boundedSession) finish(t *testing.T) {
	t.Helper()
	exit, _ := b.Wait()
	close(b.stopWatch)
	<-b.watchDone
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.killed {
		t.Errorf("the command's peak RSS passed %d MiB: killed", hostileMemLimit>>20)
	}
	if len(exit.Stderr) > 0 {
		t.Errorf("stderr: %q, want nothing", clip(string(exit.Stderr)))
	}
	t.Logf("peak RSS seen %.1f MiB, largest reply metadata %d bytes", float64(b.peak)/(1<<20), b.largest)
}

func (b *boundedSession) largestReply() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.largest
}

// checkSmallError holds an error to the bounds of any message: one ERROR
// with the error's text, at most scp.MaxMessageText bytes of valid UTF-8
// without control characters, in a small reply.
func checkSmallError(t *testing.T, b *boundedSession, ce *splunkd.CommandError, want ...string) {
	t.Helper()
	for _, w := range want {
		checkErrorReply(t, ce, w)
	}
	if len(ce.Text) > scp.MaxMessageText || !utf8.ValidString(ce.Text) || strings.ContainsFunc(ce.Text, isControl) {
		t.Errorf("error text of %d bytes (limit %d), valid UTF-8 %t, control characters %t: %q", len(ce.Text), scp.MaxMessageText, utf8.ValidString(ce.Text), strings.ContainsFunc(ce.Text, isControl), clip(ce.Text))
	}
	if n := b.largestReply(); n > maxErrorReplyMeta {
		t.Errorf("the error reply's metadata is %d bytes, want at most %d", n, maxErrorReplyMeta)
	}
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// The customer's known-good list is a file in the app: a symbolic link,
// FIFO, device or directory there, or a file of any size or content, must
// end the getinfo at once with one short ERROR naming the file.
func TestKnownGoodListHostile(t *testing.T) {
	const header = "id,process,parent,host,destination,user,description\n"
	huge := strings.Repeat("A", 10<<20)
	tests := []struct {
		name  string
		plant func(t *testing.T, path string) // creates the list at path
		want  []string
	}{
		{"FIFO", func(t *testing.T, path string) {
			mustDo(t, syscall.Mkfifo(path, 0o600))
		}, []string{"is a FIFO, not a regular file"}},
		{"symbolic link to a good list", func(t *testing.T, path string) {
			target := writeFile(t, "list.csv")
			mustDo(t, os.WriteFile(target, []byte(header+"vendor,*\\vendor.exe,,,,,Vendor\n"), 0o644))
			mustDo(t, os.Symlink(target, path))
		}, []string{"is a symbolic link, not a regular file"}},
		{"symbolic link to /dev/zero", func(t *testing.T, path string) {
			mustDo(t, os.Symlink("/dev/zero", path))
		}, []string{"is a symbolic link, not a regular file"}},
		{"directory", func(t *testing.T, path string) {
			mustDo(t, os.Mkdir(path, 0o755))
		}, []string{"is a directory, not a regular file"}},
		{"valid list over the size limit", func(t *testing.T, path string) {
			entry := "vendor,*\\vendor.exe,,,,," + strings.Repeat("d", modes.MaxKnownGoodBytes) + "\n"
			mustDo(t, os.WriteFile(path, []byte(header+entry), 0o644))
		}, []string{"file is over the size limit", fmt.Sprint(modes.MaxKnownGoodBytes)}},
		{"10 MB first line with control characters", func(t *testing.T, path string) {
			mustDo(t, os.WriteFile(path, []byte("\x1b[2J\r\x00"+huge+"\n"+header), 0o644))
		}, []string{"line 1: unknown column", "…"}},
		{"5 MB id twice", func(t *testing.T, path string) {
			id := strings.Repeat("a", 5<<20)
			mustDo(t, os.WriteFile(path, []byte(header+id+",*\\x.exe,,,,,\n"+id+",*\\y.exe,,,,,\n"), 0o644))
		}, []string{"line 3: id", "already used on line 2", "…"}},
		{"10 MB bad host", func(t *testing.T, path string) {
			mustDo(t, os.WriteFile(path, []byte(header+"x,,,"+huge+"/\x1b,,,\n"), 0o644))
		}, []string{"line 2: column host", "…"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin := installApp(t, "")
			list := filepath.Join(filepath.Dir(filepath.Dir(filepath.Dir(bin))), "lookups", command.LocalKnownGoodName)
			mustDo(t, os.MkdirAll(filepath.Dir(list), 0o755))
			tt.plant(t, list)
			b := startBounded(t, bin)
			_, err := b.GetInfo(searchInfo(t, "mode=hardened"))
			var ce *splunkd.CommandError
			if !errors.As(err, &ce) {
				t.Fatalf("getinfo: %v; want an error reply", err)
			}
			checkSmallError(t, b, ce, append(tt.want, command.LocalKnownGoodName)...)
		})
	}
}

const corpPackagerList = "id,process,parent,host,destination,user,description\n" +
	`corp_packager,,*\corp\packager\pkgagent.exe,packages.corp.example,,,"Corp packager"` + "\n"

// parallelHardenedBody is hardenedEvent repeated to size bytes, over the
// 1 MiB from which a chunk is scored in parallel runs; rows is its number
// of records.
func parallelHardenedBody(size int) (body []byte, rows int) {
	header, row, _ := strings.Cut(hardenedEvent, "\n")
	b := []byte(header + "\n")
	for len(b) < size {
		b = append(b, strings.Replace(row, ",0\n", fmt.Sprintf(",%d\n", rows), 1)...)
		rows++
	}
	return b, rows
}

// localEntryApplied counts the records whose Indicators name the
// corp_packager entry.
func localEntryApplied(out *splunkd.Table, rows int) int {
	n := 0
	for r := range rows {
		if indicators, _ := out.Values(r, "Indicators"); strings.Contains(strings.Join(indicators, " "), "known_good:corp_packager") {
			n++
		}
	}
	return n
}

// The list is read once per session, before the getinfo reply, and every
// worker scoring a chunk in parallel applies the same entries.
func TestKnownGoodReadOncePerSession(t *testing.T) {
	t.Setenv("GOMAXPROCS", "4") // four scoring workers
	body, rows := parallelHardenedBody(5 << 18)
	info := searchInfo(t, "mode=hardened", "debug=t")
	res, err := splunkd.Run(installApp(t, corpPackagerList), info, []splunkd.Chunk{{Body: body, Finished: true}}, splunkd.Options{Timeout: hangLimit})
	if err != nil {
		t.Fatal(err)
	}
	if n := localEntryApplied(res.Replies[0].Table, rows); n != rows {
		t.Errorf("the local entry applied to %d of %d records", n, rows)
	}
	log, err := os.ReadFile(filepath.Join(info.DispatchDir, command.DebugLogName))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(log, []byte("known-good list read")); n != 1 {
		t.Errorf("the debug log records %d reads of the known-good list, want 1:\n%s", n, log)
	}
	getinfo := bytes.Index(log, []byte("getinfo:"))
	read := bytes.Index(log, []byte("known-good list read"))
	chunk := bytes.Index(log, []byte("chunk 1:"))
	if !(getinfo >= 0 && getinfo < read && read < chunk) {
		t.Errorf("the list was not read between the getinfo request and the first chunk:\n%s", log)
	}
}

// The customer may save the list while searches start. Each session reads
// it once: it scores every record of a chunk, whichever worker takes it,
// with the one list it read, or, if it read the broken version, fails
// with a clean error naming the file and line. Never an internal error,
// never a chunk scored half with one list and half with another.
func TestKnownGoodReplacedWhileSessionsStart(t *testing.T) {
	t.Setenv("GOMAXPROCS", "4") // four scoring workers
	bin := installApp(t, corpPackagerList)
	list := filepath.Join(filepath.Dir(filepath.Dir(filepath.Dir(bin))), "lookups", command.LocalKnownGoodName)
	versions := []string{
		corpPackagerList,
		"id,process,parent,host,destination,user,description\nother,*\\other.exe,,,,,Other\n",
		"id,process,parent,host,destination,user,description\nbad id!,*\\other.exe,,,,,Broken\n",
	}
	stop, swapped := make(chan struct{}), make(chan error, 1)
	go func() { // replaces the list, atomically, as fast as it can
		var err error
		defer func() { swapped <- err }()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			tmp := fmt.Sprintf("%s.%d.tmp", list, i)
			if err = os.WriteFile(tmp, []byte(versions[i%len(versions)]), 0o644); err != nil {
				return
			}
			if err = os.Rename(tmp, list); err != nil {
				return
			}
			time.Sleep(50 * time.Microsecond) // leave the sessions a core
		}
	}()
	body, rows := parallelHardenedBody(5 << 18)
	outcomes := map[string]int{}
	for range 12 {
		res, err := splunkd.Run(bin, searchInfo(t, "mode=hardened"), []splunkd.Chunk{{Body: body, Finished: true}}, splunkd.Options{Timeout: hangLimit})
		var ce *splunkd.CommandError
		switch {
		case errors.As(err, &ce):
			if strings.Contains(ce.Text, "internal error") || !strings.Contains(ce.Text, command.LocalKnownGoodName+": known-good list: line 2") {
				t.Errorf("error %q, want one naming the file and line 2", clip(ce.Text))
			}
			outcomes["broken list refused"]++
		case err != nil:
			t.Errorf("session: %v", err)
		default:
			switch n := localEntryApplied(res.Replies[0].Table, rows); n {
			case rows:
				outcomes["list with the entry"]++
			case 0:
				outcomes["list without it"]++
			default:
				t.Errorf("the local entry applied to %d of %d records of one chunk: workers read different lists", n, rows)
			}
		}
	}
	close(stop)
	if err := <-swapped; err != nil {
		t.Fatal(err)
	}
	t.Logf("outcomes: %v", outcomes)
}

// No reply is larger because of an error: whatever the error quotes, from
// a column name, an argument or an action, is clipped, and every message
// is at most scp.MaxMessageText bytes of valid UTF-8.
func TestErrorRepliesStaySmall(t *testing.T) {
	name := strings.Repeat("é", 5<<20) // 10 MB, two bytes a rune
	tests := []struct {
		name    string
		args    []string // a getinfo with these arguments, else a good one
		send    []byte   // then sent raw
		request int
		want    []string
	}{
		{name: "10 MB column name twice", send: execute(name + "," + name + "\na,b\n"), request: 1, want: []string{"header names column", "twice", "…"}},
		{name: "256 KiB unknown argument", args: []string{strings.Repeat("x", 256<<10) + "=1"}, want: []string{"unknown argument", "…"}},
		{name: "256 KiB bad mode", args: []string{"mode=" + strings.Repeat("\x1b", 256<<10)}, want: []string{"is not a mode", "…"}},
		{name: "256 KiB unknown action", send: frame(`{"action":"`+strings.Repeat("z", 256<<10)+`"}`, ""), want: []string{"unknown action", "…"}},
		{name: "256 KiB metadata that is not an object", send: frame(strings.Repeat("[", 256<<10), ""), want: []string{"metadata is not a JSON object", "…"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := startBounded(t, bitsscoreBin)
			if tt.args != nil {
				meta, err := json.Marshal(scp.Request{Action: scp.ActionGetInfo, SearchInfo: ptr(searchInfo(t, tt.args...))})
				mustDo(t, err)
				mustDo(t, b.Send(meta, nil))
			} else if tt.request > 0 {
				if _, err := b.GetInfo(searchInfo(t)); err != nil {
					t.Fatal(err)
				}
			}
			if tt.send != nil {
				_ = b.SendRaw(tt.send) // fails once the command has given up; its reply counts
			}
			ce, err := b.ReadErrorReply(tt.request)
			if err != nil {
				t.Fatalf("want an error reply: %v", err)
			}
			checkSmallError(t, b, ce, tt.want...)
		})
	}
}

// The WARN about a debug log that cannot be opened quotes the dispatch
// directory splunkd sent; however long, the message is clipped to
// scp.MaxMessageText on a UTF-8 boundary.
func TestWarningClipped(t *testing.T) {
	info := searchInfo(t, "debug=t")
	info.DispatchDir = "/nonexistent/" + strings.Repeat("€", 1<<20)
	b := startBounded(t, bitsscoreBin)
	reply, err := b.GetInfo(info)
	if err != nil {
		t.Fatal(err)
	}
	if reply.Inspector == nil || len(reply.Inspector.Messages) != 1 {
		t.Fatalf("getinfo inspector %+v, want one WARN", reply.Inspector)
	}
	m := reply.Inspector.Messages[0]
	if m.Level != scp.LevelWarn || len(m.Text) > scp.MaxMessageText || !utf8.ValidString(m.Text) || !strings.HasSuffix(m.Text, "…") {
		t.Errorf("WARN of %d bytes (limit %d), valid UTF-8 %t: %q", len(m.Text), scp.MaxMessageText, utf8.ValidString(m.Text), clip(m.Text))
	}
	if n := b.largestReply(); n > maxErrorReplyMeta {
		t.Errorf("the getinfo reply's metadata is %d bytes", n)
	}
	if _, err := b.Execute([]byte(goodRow), true); err != nil {
		t.Errorf("the search did not go on: %v", err)
	}
}
