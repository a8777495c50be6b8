package appcheck

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// hostBinary is the shipped binary this machine can run.
func hostBinary(t *testing.T) string {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		t.Fatalf("the package ships x86-64 binaries only; this test cannot run one on %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	switch runtime.GOOS {
	case "linux":
		return "linux_x86_64/bin/bitsscore"
	case "darwin":
		return "darwin_x86_64/bin/bitsscore"
	case "windows":
		return "windows_x86_64/bin/bitsscore.exe"
	}
	t.Fatalf("the package ships no binary for %s", runtime.GOOS)
	return ""
}

// readChunk reads one "chunked 1.0,<meta>,<body>\n" message, strictly: the
// header exactly as a command must write it, then exact byte counts.
func readChunk(r *bufio.Reader) (meta, body []byte, err error) {
	header, err := r.ReadString('\n')
	if err != nil {
		return nil, nil, err
	}
	lengths, ok := strings.CutPrefix(strings.TrimSuffix(header, "\n"), "chunked 1.0,")
	metaLen, bodyLen, ok2 := strings.Cut(lengths, ",")
	if !ok || !ok2 {
		return nil, nil, fmt.Errorf("malformed chunk header %q", header)
	}
	m, errM := strconv.Atoi(metaLen)
	b, errB := strconv.Atoi(bodyLen)
	if errM != nil || errB != nil || m < 0 || b < 0 {
		return nil, nil, fmt.Errorf("malformed chunk header %q", header)
	}
	buf := make([]byte, m+b)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, nil, fmt.Errorf("chunk shorter than its header %q: %w", header, err)
	}
	return buf[:m], buf[m:], nil
}

// TestShippedBinaryAnswersGetinfo runs the packaged binary the way splunkd
// probes a chunked command: one getinfo, then end of input.
func TestShippedBinaryAnswersGetinfo(t *testing.T) {
	pkg := loadPackage(t)
	rel := hostBinary(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, filepath.Base(rel))
	if err := os.WriteFile(bin, pkg.file(t, rel), 0o755); err != nil {
		t.Fatal(err)
	}
	dispatch := filepath.Join(dir, "dispatch")
	if err := os.Mkdir(dispatch, 0o755); err != nil {
		t.Fatal(err)
	}

	info, err := json.Marshal(map[string]any{
		"action":  "getinfo",
		"preview": false,
		"searchinfo": map[string]any{
			"args":           []string{},
			"raw_args":       []string{},
			"command":        "bitsscore",
			"dispatch_dir":   dispatch,
			"sid":            "1",
			"splunk_version": "9.2.0",
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	request := fmt.Sprintf("chunked 1.0,%d,0\n%s", len(info), info)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Dir = dispatch
	cmd.Stdin = strings.NewReader(request) // closes stdin after the request
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v (want exit 0 at end of input)\nstdout: %q\nstderr: %q", rel, err, stdout.String(), stderr.String())
	}
	if stderr.Len() != 0 {
		t.Errorf("%s wrote to stderr, which splunkd logs as errors: %q", rel, stderr.String())
	}

	r := bufio.NewReader(&stdout)
	meta, body, err := readChunk(r)
	if err != nil {
		t.Fatalf("%s: reading the getinfo reply: %v\nstdout: %q", rel, err, stdout.String())
	}
	if rest, _ := io.ReadAll(r); len(rest) != 0 {
		t.Errorf("%s wrote %d bytes after the getinfo reply, want exactly one chunk: %q", rel, len(rest), rest)
	}
	if len(body) != 0 {
		t.Errorf("getinfo reply body = %q, want empty", body)
	}
	var reply struct {
		Type           string   `json:"type"`
		RequiredFields []string `json:"required_fields"`
		Error          string   `json:"error"`
	}
	if err := json.Unmarshal(meta, &reply); err != nil {
		t.Fatalf("getinfo reply metadata is not JSON: %v: %q", err, meta)
	}
	if reply.Error != "" {
		t.Errorf("getinfo reply carries an error: %q", reply.Error)
	}
	if reply.Type != "streaming" {
		t.Errorf("getinfo reply type = %q, want streaming (the command must run on the indexers)", reply.Type)
	}
	for _, f := range []string{"CommandLine", "ProcessCommandLine", "Image"} {
		if !containsString(reply.RequiredFields, f) {
			t.Errorf("getinfo reply required_fields = %q, lacks %s", reply.RequiredFields, f)
		}
	}
}
