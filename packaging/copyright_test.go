package packaging

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// dep5Paragraph is one paragraph of a machine-readable copyright file:
// field name -> value (continuation lines joined with "\n").
type dep5Paragraph map[string]string

// parseDEP5 reads the paragraphs of a DEP-5 file, failing on a line that is
// neither a field, a continuation nor a blank line.
func parseDEP5(t *testing.T, text string) []dep5Paragraph {
	t.Helper()
	var paras []dep5Paragraph
	var cur dep5Paragraph
	var last string
	for i, line := range strings.Split(text, "\n") {
		switch {
		case strings.TrimSpace(line) == "":
			if cur != nil {
				paras = append(paras, cur)
				cur = nil
			}
		case line[0] == ' ' || line[0] == '\t':
			if cur == nil {
				t.Fatalf("copyright line %d: continuation outside a paragraph", i+1)
			}
			cur[last] += "\n" + strings.TrimSpace(line)
		default:
			name, value, ok := strings.Cut(line, ":")
			if !ok || strings.ContainsAny(name, " \t") {
				t.Fatalf("copyright line %d: %q is not a field", i+1, line)
			}
			if cur == nil {
				cur = dep5Paragraph{}
			}
			if _, dup := cur[name]; dup {
				t.Fatalf("copyright line %d: field %s repeated", i+1, name)
			}
			cur[name], last = strings.TrimSpace(value), name
		}
	}
	if cur != nil {
		paras = append(paras, cur)
	}
	return paras
}

// filesPattern turns a DEP-5 Files pattern (* and ? wildcards) into a regexp.
func filesPattern(p string) *regexp.Regexp {
	q := regexp.QuoteMeta(p)
	q = strings.ReplaceAll(q, `\*`, ".*")
	q = strings.ReplaceAll(q, `\?`, ".")
	return regexp.MustCompile("^" + q + "$")
}

// licenceNames splits a License short name expression ("Expat or
// Apache-2.0") into names.
func licenceNames(expr string) []string {
	first, _, _ := strings.Cut(expr, "\n")
	return strings.FieldsFunc(strings.NewReplacer(" or ", ",", " and ", ",").Replace(first), func(r rune) bool { return r == ',' })
}

// binaryModules lists the Go modules compiled into litsignerd and
// litsigner, as go version -m would print them, with cgo on as
// build-deb.sh builds them.
func binaryModules(t *testing.T) []string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is not on PATH: %v", err)
	}
	r := mustRun(t, 5*time.Minute, []string{"CGO_ENABLED=1", "GOOS=linux"}, goTool, "list",
		"-C", filepath.Dir(packagingDir(t)), "-deps", "-f", "{{with .Module}}{{if not .Main}}{{.Path}}{{end}}{{end}}",
		"./cmd/litsignerd", "./cmd/litsigner")
	var mods []string
	for line := range strings.Lines(r.stdout) {
		if m := strings.TrimSpace(line); m != "" && !slices.Contains(mods, m) {
			mods = append(mods, m)
		}
	}
	if len(mods) < 5 {
		t.Fatalf("go list found only %d modules: %v", len(mods), mods)
	}
	return mods
}

// TestCopyright checks deb/copyright: a DEP-5 file whose every Files
// paragraph names licences defined in it, litsigner itself Apache-2.0 as in
// LICENSE and nfpm.yaml, one paragraph covering each Go module built into
// the binaries (so a new dependency without a licence entry fails here), and
// no paragraph for a module that is no longer built in.
func TestCopyright(t *testing.T) {
	dir := packagingDir(t)
	data, err := os.ReadFile(filepath.Join(dir, "deb", "copyright"))
	if err != nil {
		t.Fatal(err)
	}
	paras := parseDEP5(t, string(data))
	header := paras[0]
	if header["Format"] != "https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/" {
		t.Fatalf("Format = %q", header["Format"])
	}
	for _, f := range []string{"Upstream-Name", "Upstream-Contact", "Source"} {
		if header[f] == "" {
			t.Errorf("header has no %s", f)
		}
	}

	defined := map[string]bool{}
	type filesPara struct {
		patterns []string
		licence  string
	}
	var files []filesPara
	for i, p := range paras[1:] {
		switch {
		case p["Files"] != "":
			if p["Copyright"] == "" || p["License"] == "" {
				t.Errorf("paragraph %d (Files: %s) lacks Copyright or License", i+2, p["Files"])
			}
			files = append(files, filesPara{strings.Fields(p["Files"]), p["License"]})
		case p["License"] != "":
			name, text, _ := strings.Cut(p["License"], "\n")
			if strings.TrimSpace(text) == "" {
				t.Errorf("stand-alone License %s has no text or pointer to it", name)
			}
			defined[name] = true
		default:
			t.Errorf("paragraph %d is neither Files nor License: %v", i+2, p)
		}
	}
	for _, f := range files {
		for _, name := range licenceNames(f.licence) {
			if !defined[name] {
				t.Errorf("Files: %s uses licence %q, which has no License paragraph", strings.Join(f.patterns, " "), name)
			}
		}
	}

	// litsigner itself.
	if len(files) == 0 || !slices.Equal(files[0].patterns, []string{"*"}) || files[0].licence != "Apache-2.0" {
		t.Fatalf("the first Files paragraph must be `Files: *` with License: Apache-2.0, got %+v", files[:min(1, len(files))])
	}
	licence, err := os.ReadFile(filepath.Join(dir, "..", "LICENSE"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(strings.TrimSpace(string(licence)), "Apache License\n                           Version 2.0, January 2004") {
		t.Error("LICENSE does not start with the Apache License 2.0 text")
	}
	nfpm, err := os.ReadFile(filepath.Join(dir, "deb", "nfpm.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^license: Apache-2\.0$`).Match(nfpm) {
		t.Error("nfpm.yaml does not set license: Apache-2.0")
	}
	if want := "maintainer: " + header["Upstream-Contact"]; !strings.Contains(string(nfpm), "\n"+want+"\n") {
		t.Errorf("nfpm.yaml maintainer differs from Upstream-Contact (want %q)", want)
	}

	// Every module built in has a paragraph, and every paragraph (but * and
	// the standard library) covers something built in.
	mods := binaryModules(t)
	used := make([]bool, len(files))
	used[0] = true
	for _, m := range append([]string{"std"}, mods...) {
		found := false
		for i, f := range files[1:] {
			for _, p := range f.patterns {
				if filesPattern(p).MatchString(m + "/") {
					found, used[i+1] = true, true
				}
			}
		}
		if !found {
			t.Errorf("module %s is built into the binaries but deb/copyright has no Files paragraph for it", m)
		}
	}
	for i, f := range files {
		if used[i] {
			continue
		}
		// A directory inside a module (karalabe/usb/libusb/*).
		for _, m := range mods {
			for _, p := range f.patterns {
				if strings.HasPrefix(p, m+"/") {
					used[i] = true
				}
			}
		}
		if !used[i] {
			t.Errorf("Files: %s matches no module built into the binaries", strings.Join(f.patterns, " "))
		}
	}
}
