package appcheck

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// appID is the app's id: the package's only top folder, [package] id,
// [id] name and the manifest's info.id.name.
const appID = "bitsscore"

// maxBinarySize bounds each shipped binary: every search peer receives them
// through knowledge bundle replication, on every bundle push.
const maxBinarySize = 5 << 20

// platformBinaries are the executables the package must ship, relative to
// the app folder. windows_x86_64/bin/bitsscore is the extensionless twin of
// bitsscore.exe that makes commands.conf's "filename = bitsscore" resolve on
// Windows (see app/README.md, "Windows").
var platformBinaries = []string{
	"darwin_x86_64/bin/bitsscore",
	"linux_x86_64/bin/bitsscore",
	"windows_x86_64/bin/bitsscore",
	"windows_x86_64/bin/bitsscore.exe",
}

// tarEntry is one member of the package.
type tarEntry struct {
	Header *tar.Header
	Data   []byte // contents of a regular file
}

// appPackage is the unpacked app tarball.
type appPackage struct {
	Path    string
	Raw     []byte
	Entries []tarEntry        // in archive order
	Files   map[string][]byte // regular files by path relative to the app folder
}

// repoRoot returns the repository root: the directory holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// distDir is where scripts/package.sh wrote the tarball: $DIST_DIR as the
// script reads it (relative to the repository root), or dist/.
func distDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("DIST_DIR")
	if dir == "" {
		dir = "dist"
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(repoRoot(t), dir)
	}
	return dir
}

// newestTarball returns the most recently written bitsscore-*.tar.gz.
func newestTarball(t *testing.T) string {
	t.Helper()
	dir := distDir(t)
	matches, err := filepath.Glob(filepath.Join(dir, appID+"-*.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if len(matches) == 0 {
		t.Fatalf("no %s-*.tar.gz in %s: run make package (scripts/package.sh) before these tests", appID, dir)
	}
	newest, newestTime := "", int64(0)
	for _, m := range matches {
		info, err := os.Stat(m)
		if err != nil {
			t.Fatal(err)
		}
		if mt := info.ModTime().UnixNano(); newest == "" || mt > newestTime {
			newest, newestTime = m, mt
		}
	}
	return newest
}

// readPackage unpacks the tarball at path in memory.
func readPackage(path string) (*appPackage, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	gz, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s is not gzip: %w", path, err)
	}
	pkg := &appPackage{Path: path, Raw: raw, Files: map[string][]byte{}}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: bad tar: %w", path, err)
		}
		entry := tarEntry{Header: hdr}
		if hdr.Typeflag == tar.TypeReg {
			if entry.Data, err = io.ReadAll(tr); err != nil {
				return nil, fmt.Errorf("%s: reading %s: %w", path, hdr.Name, err)
			}
			if rel, ok := strings.CutPrefix(hdr.Name, appID+"/"); ok {
				pkg.Files[rel] = entry.Data
			}
		}
		pkg.Entries = append(pkg.Entries, entry)
	}
	if err := gz.Close(); err != nil {
		return nil, fmt.Errorf("%s: bad gzip trailer: %w", path, err)
	}
	return pkg, nil
}

// loadedPackages caches each tarball read, by path, size and modification
// time: some thirty tests read the same package, and unpacking it each time
// costs seconds under the race detector. Tests only read an appPackage.
var loadedPackages = struct {
	sync.Mutex
	byKey map[string]*appPackage
}{byKey: map[string]*appPackage{}}

// loadPackage reads the newest tarball, failing the test if it cannot.
func loadPackage(t *testing.T) *appPackage {
	t.Helper()
	path := newestTarball(t)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	key := fmt.Sprintf("%s %d %d", path, info.Size(), info.ModTime().UnixNano())
	loadedPackages.Lock()
	defer loadedPackages.Unlock()
	if pkg, ok := loadedPackages.byKey[key]; ok {
		return pkg
	}
	pkg, err := readPackage(path)
	if err != nil {
		t.Fatal(err)
	}
	loadedPackages.byKey[key] = pkg
	return pkg
}

// file returns a shipped file's contents, failing the test if it is missing.
func (p *appPackage) file(t *testing.T, rel string) []byte {
	t.Helper()
	data, ok := p.Files[rel]
	if !ok {
		t.Fatalf("%s: %s/%s is missing", p.Path, appID, rel)
	}
	return data
}

// conf parses a shipped .conf file, failing the test if it cannot.
func (p *appPackage) conf(t *testing.T, rel string) *confFile {
	t.Helper()
	conf, err := parseConf(string(p.file(t, rel)))
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return conf
}

func TestTarballStructure(t *testing.T) {
	pkg := loadPackage(t)
	if len(pkg.Entries) == 0 {
		t.Fatalf("%s is empty", pkg.Path)
	}
	for _, e := range pkg.Entries {
		h := e.Header
		name := h.Name
		if h.Format != tar.FormatUSTAR {
			t.Errorf("%s: tar format %v, want ustar", name, h.Format)
		}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeDir:
		default:
			t.Errorf("%s: type %q; only regular files and directories may ship", name, h.Typeflag)
		}
		if strings.HasPrefix(name, "./") || strings.HasPrefix(name, "/") {
			t.Errorf("%s: path must be relative without a ./ prefix", name)
		}
		clean := strings.TrimSuffix(name, "/")
		if clean != appID && !strings.HasPrefix(clean, appID+"/") {
			t.Errorf("%s: outside the single top folder %s/", name, appID)
		}
		if path.Clean(clean) != clean {
			t.Errorf("%s: path is not clean", name)
		}
		parts := strings.Split(clean, "/")
		for _, part := range parts {
			if strings.HasPrefix(part, ".") || part == "__MACOSX" {
				t.Errorf("%s: hidden or __MACOSX path component %q", name, part)
			}
		}
		if len(parts) >= 2 {
			switch parts[1] {
			case "local", "users", "bin":
				// local/ and users/ belong to one installation; a top-level
				// bin/ would be the fallback Splunk runs on unknown platforms.
				t.Errorf("%s: %s/%s/ must not ship", name, appID, parts[1])
			}
		}
		if clean == appID+"/metadata/local.meta" {
			t.Errorf("%s must not ship", name)
		}
		if strings.HasSuffix(name, ".pyc") || strings.HasSuffix(name, ".pyo") {
			t.Errorf("%s: compiled Python must not ship", name)
		}
		// Reproducibility inputs: fixed owner and time.
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: owner %d/%d (%q/%q), want 0/0 without names", name, h.Uid, h.Gid, h.Uname, h.Gname)
		}
		if h.ModTime.Unix() != 0 {
			t.Errorf("%s: mtime %v, want the epoch", name, h.ModTime)
		}
	}

	// tar --sort=name walks each directory in byte order of its entries'
	// names, so the archive is sorted by path component, not by whole path
	// ("a/x" comes before "a-b/", although '-' sorts before '/').
	names := make([][]string, len(pkg.Entries))
	for i, e := range pkg.Entries {
		names[i] = strings.Split(strings.TrimSuffix(e.Header.Name, "/"), "/")
	}
	if !sort.SliceIsSorted(names, func(i, j int) bool { return slices.Compare(names[i], names[j]) < 0 }) {
		t.Errorf("entries are not in tar --sort=name order: %q", names)
	}

	for _, rel := range append([]string{
		"app.manifest", "README.md", "LICENSE",
		"default/app.conf", "default/commands.conf", "default/searchbnf.conf",
		"default/macros.conf", "default/savedsearches.conf", "metadata/default.meta",
		"static/appIcon.png", "static/appIcon_2x.png",
	}, platformBinaries...) {
		if _, ok := pkg.Files[rel]; !ok {
			t.Errorf("%s/%s is missing", appID, rel)
		}
	}
}

func TestTarballModes(t *testing.T) {
	pkg := loadPackage(t)
	for _, e := range pkg.Entries {
		h := e.Header
		mode := h.Mode & 0o7777
		if mode&0o002 != 0 {
			t.Errorf("%s: world-writable mode %04o", h.Name, mode)
		}
		inBin := path.Base(path.Dir(h.Name)) == "bin"
		var want int64
		switch {
		case h.Typeflag == tar.TypeDir:
			want = 0o755
		case inBin:
			want = 0o755
		default:
			want = 0o644
		}
		if mode != want {
			t.Errorf("%s: mode %04o, want %04o", h.Name, mode, want)
		}
	}
}

func TestBinaries(t *testing.T) {
	pkg := loadPackage(t)
	magic := map[string][]byte{
		"linux_x86_64":   []byte("\x7fELF\x02\x01"),      // 64-bit little-endian ELF
		"darwin_x86_64":  {0xcf, 0xfa, 0xed, 0xfe, 0x07}, // 64-bit Mach-O, CPU x86
		"windows_x86_64": []byte("MZ"),                   // PE
	}
	for _, rel := range platformBinaries {
		data, ok := pkg.Files[rel]
		if !ok {
			t.Errorf("%s is missing", rel)
			continue
		}
		t.Logf("%s: %d bytes", rel, len(data))
		if len(data) >= maxBinarySize {
			t.Errorf("%s: %d bytes, want < %d (5 MiB)", rel, len(data), maxBinarySize)
		}
		platform := strings.SplitN(rel, "/", 2)[0]
		if !bytes.HasPrefix(data, magic[platform]) {
			t.Errorf("%s: does not start with the %s executable magic % x", rel, platform, magic[platform])
		}
	}
	exe, plain := pkg.Files["windows_x86_64/bin/bitsscore.exe"], pkg.Files["windows_x86_64/bin/bitsscore"]
	if !bytes.Equal(exe, plain) {
		t.Error("windows_x86_64/bin/bitsscore differs from bitsscore.exe; it must be the same file")
	}
	for rel := range pkg.Files {
		if strings.Contains(rel, "/bin/") && !containsString(platformBinaries, rel) {
			t.Errorf("%s: undeclared file in a bin directory", rel)
		}
	}
}

// TestPackageIsReproducible builds the package twice into fresh directories
// and requires identical bytes, and the same bytes as the tarball under test
// (which is therefore not stale).
func TestPackageIsReproducible(t *testing.T) {
	root := repoRoot(t)
	built := newestTarball(t)
	var outputs [][]byte
	for i := range 2 {
		dir := t.TempDir()
		cmd := exec.Command("bash", filepath.Join(root, "scripts", "package.sh"))
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "DIST_DIR="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("build %d: scripts/package.sh: %v\n%s", i+1, err, out)
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.Base(built)))
		if err != nil {
			t.Fatalf("build %d: %v (script printed %q)", i+1, err, out)
		}
		outputs = append(outputs, data)
	}
	if !bytes.Equal(outputs[0], outputs[1]) {
		t.Fatalf("two builds from the same tree differ (%d and %d bytes)", len(outputs[0]), len(outputs[1]))
	}
	tested, err := os.ReadFile(built)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(tested, outputs[0]) {
		t.Errorf("%s differs from a fresh build of this tree: it is stale, run make package", built)
	}
}

func containsString(list []string, s string) bool {
	return slices.Contains(list, s)
}

// isInstallationLocal reports whether a package path (relative to the app
// folder) belongs to one installation: anything under a local/ directory
// at any depth, local.meta, or a *_local.csv lookup such as the customer's
// bitsscore_known_good_local.csv. Shipping one would overwrite the
// customer's on upgrade.
func isInstallationLocal(rel string) bool {
	for _, part := range strings.Split(strings.TrimSuffix(rel, "/"), "/") {
		if part == "local" || part == "local.meta" || strings.HasSuffix(part, "_local.csv") {
			return true
		}
	}
	return false
}

func TestTarballShipsNoLocalFiles(t *testing.T) {
	pkg := loadPackage(t)
	for _, e := range pkg.Entries {
		if isInstallationLocal(e.Header.Name) {
			t.Errorf("%s: an installation's own file must not ship", e.Header.Name)
		}
	}
}

// scripts/package.sh run on a tree that holds a customer's files, as a
// checkout linked into etc/apps does, leaves every one of them out and
// still ships the app's own lookups. The binary is a stand-in (any main
// package): what is tested is what the script copies.
func TestPackageLeavesOutLocalFiles(t *testing.T) {
	root := repoRoot(t)
	tree := t.TempDir()
	for _, dir := range []string{"default", "metadata", "app", "lookups", "scripts"} {
		copyTree(t, filepath.Join(root, dir), filepath.Join(tree, dir))
	}
	planted := []string{
		"lookups/bitsscore_known_good_local.csv",
		"lookups/local/extra.csv",
		"lookups/nested/other_local.csv",
		"default/local/commands.conf",
		"metadata/local.meta",
		"local/app.conf",
	}
	for _, rel := range planted {
		writeTreeFile(t, filepath.Join(tree, rel), "customer data\n")
	}
	writeTreeFile(t, filepath.Join(tree, "go.mod"), "module standin\n\ngo 1.26\n")
	writeTreeFile(t, filepath.Join(tree, "standin", "main.go"), "package main\n\nfunc main() {}\n")
	dist := t.TempDir()
	cmd := exec.Command("bash", filepath.Join(tree, "scripts", "package.sh"))
	cmd.Dir = tree
	cmd.Env = append(os.Environ(), "DIST_DIR="+dist, "BITSSCORE_PKG=./standin")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/package.sh: %v\n%s", err, out)
	}
	tarballs, err := filepath.Glob(filepath.Join(dist, appID+"-*.tar.gz"))
	if err != nil || len(tarballs) != 1 {
		t.Fatalf("want one tarball in %s, got %q (%v); script said %s", dist, tarballs, err, out)
	}
	pkg, err := readPackage(tarballs[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range pkg.Entries {
		if isInstallationLocal(e.Header.Name) {
			t.Errorf("%s shipped; it belongs to the installation", e.Header.Name)
		}
	}
	if _, ok := pkg.Files["lookups/bitsscore_known_good.csv"]; !ok {
		t.Errorf("the shipped known-good list is missing: the filter took too much")
	}
}

// copyTree copies the regular files under src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatalf("copying %s: %v", src, err)
	}
}

func writeTreeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
