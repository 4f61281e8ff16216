package packaging

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// debBuild is the one .deb the tests build (it takes a while), shared by
// every test that needs it.
type debBuild struct {
	path    string // the .deb
	version string // its Version field
	root    string // the .deb extracted with dpkg -x
	err     error
}

var (
	debOnce   sync.Once
	debShared debBuild
	sharedDir string // removed by TestMain
)

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedDir != "" {
		os.RemoveAll(sharedDir)
	}
	os.Exit(code)
}

// builtDeb runs build-deb.sh once into a temporary directory and extracts
// the result, failing the test when either step fails.
func builtDeb(t *testing.T) *debBuild {
	t.Helper()
	requireTool(t, "dpkg-deb", "dpkg")
	dir := packagingDir(t)
	debOnce.Do(func() {
		debShared.err = buildDeb(t, dir)
	})
	if debShared.err != nil {
		t.Fatalf("building the .deb: %v", debShared.err)
	}
	return &debShared
}

func buildDeb(t *testing.T, dir string) error {
	tmp, err := os.MkdirTemp("", "litsigner-packaging-")
	if err != nil {
		return err
	}
	sharedDir = tmp
	out := filepath.Join(tmp, "dist")
	// build-deb.sh calls the go command of this test run.
	//lint:ignore SA1019 the toolchain running this test is the one wanted, wherever it lives
	path := filepath.Join(runtime.GOROOT(), "bin") + string(os.PathListSeparator) + os.Getenv("PATH")
	r := run(t, 8*time.Minute, []string{"PATH=" + path}, "sh", filepath.Join(dir, "build-deb.sh"), out)
	if r.err != nil {
		return fmt.Errorf("build-deb.sh: %v\nstdout:\n%s\nstderr:\n%s", r.err, r.stdout, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	deb := lines[len(lines)-1]
	if filepath.Dir(deb) != out {
		return fmt.Errorf("build-deb.sh printed %q, want a file in %s", deb, out)
	}
	f := run(t, time.Minute, nil, "dpkg-deb", "-f", deb, "Version", "Architecture", "Package")
	if f.err != nil {
		return fmt.Errorf("dpkg-deb -f: %v: %s", f.err, f.stderr)
	}
	fields := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(f.stdout), "\n") {
		k, v, _ := strings.Cut(l, ": ")
		fields[k] = v
	}
	debShared.path, debShared.version = deb, fields["Version"]
	if want := fmt.Sprintf("litsigner_%s_%s.deb", fields["Version"], fields["Architecture"]); filepath.Base(deb) != want ||
		fields["Package"] != "litsigner" || fields["Architecture"] != runtime.GOARCH {
		return fmt.Errorf("built %s with fields %v, want %s for %s", filepath.Base(deb), fields, want, runtime.GOARCH)
	}
	if v := debShared.version; v == "" || v[0] < '0' || v[0] > '9' {
		return fmt.Errorf("version %q does not start with a digit", v)
	}
	debShared.root = filepath.Join(tmp, "root")
	if x := run(t, time.Minute, nil, "dpkg-deb", "-x", deb, debShared.root); x.err != nil {
		return fmt.Errorf("dpkg-deb -x: %v: %s", x.err, x.stderr)
	}
	return nil
}

// TestDebContents checks that the package holds exactly the expected files,
// with the expected modes, owned by root.
func TestDebContents(t *testing.T) {
	d := builtDeb(t)
	want := map[string]string{
		"./usr/bin/litsignerd":                                      "-rwxr-xr-x",
		"./usr/bin/litsigner":                                       "-rwxr-xr-x",
		"./usr/lib/systemd/user/litsignerd.service":                 "-rw-r--r--",
		"./usr/lib/systemd/user/litsignerd.socket":                  "-rw-r--r--",
		"./usr/lib/udev/rules.d/60-litsigner.rules":                 "-rw-r--r--",
		"./usr/share/doc/litsigner/README.md":                       "-rw-r--r--",
		"./usr/share/doc/litsigner/copyright":                       "-rw-r--r--",
		"./usr/share/doc/litsigner/examples/hardening.conf.example": "-rw-r--r--",
	}
	// The parents of the files, and nothing else, as directories.
	wantDirs := map[string]bool{}
	for p := range want {
		for d := filepath.Dir(strings.TrimPrefix(p, "./")); d != "."; d = filepath.Dir(d) {
			wantDirs["./"+d+"/"] = true
		}
	}
	r := mustRun(t, time.Minute, nil, "dpkg-deb", "-c", d.path)
	got := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	for sc.Scan() {
		// -rwxr-xr-x root/root   1597602 2026-11-24 12:23 ./usr/bin/litsigner
		f := strings.Fields(sc.Text())
		if len(f) != 6 {
			t.Errorf("unexpected dpkg-deb -c line %q", sc.Text())
			continue
		}
		mode, owner, name := f[0], f[1], f[5]
		got[name] = true
		if owner != "root/root" {
			t.Errorf("%s is owned by %s, want root/root", name, owner)
		}
		switch {
		case wantDirs[name]:
			if mode != "drwxr-xr-x" {
				t.Errorf("directory %s has mode %s, want drwxr-xr-x", name, mode)
			}
		case want[name] != "":
			if mode != want[name] {
				t.Errorf("%s has mode %s, want %s", name, mode, want[name])
			}
		default:
			t.Errorf("unexpected entry %s (%s)", name, mode)
		}
	}
	for name := range want {
		if !got[name] {
			t.Errorf("missing %s", name)
		}
	}
	for name := range wantDirs {
		if !got[name] {
			t.Errorf("missing directory %s", name)
		}
	}

	// The packaged copies are the files of this tree.
	for src, dst := range map[string]string{
		"systemd/litsignerd.service": "usr/lib/systemd/user/litsignerd.service",
		"systemd/litsignerd.socket":  "usr/lib/systemd/user/litsignerd.socket",
		"udev/60-litsigner.rules":    "usr/lib/udev/rules.d/60-litsigner.rules",
		"README.md":                  "usr/share/doc/litsigner/README.md",
		"deb/copyright":              "usr/share/doc/litsigner/copyright",
	} {
		a, err := os.ReadFile(filepath.Join(packagingDir(t), src))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(d.root, dst))
		if err != nil {
			t.Fatal(err)
		}
		if string(a) != string(b) {
			t.Errorf("/%s differs from packaging/%s", dst, src)
		}
	}
}

// TestDebMaintainerScripts checks the control archive: the postinst and
// postrm are ours and executable.
func TestDebMaintainerScripts(t *testing.T) {
	d := builtDeb(t)
	ctl := t.TempDir()
	mustRun(t, time.Minute, nil, "dpkg-deb", "-e", d.path, ctl)
	for _, name := range []string{"postinst", "postrm"} {
		got, err := os.ReadFile(filepath.Join(ctl, name))
		if err != nil {
			t.Fatalf("control archive: %v", err)
		}
		want, err := os.ReadFile(filepath.Join(packagingDir(t), "deb", name))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s in the package differs from packaging/deb/%s", name, name)
		}
		if fi, err := os.Stat(filepath.Join(ctl, name)); err != nil || fi.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s is not executable: %v", name, err)
		}
	}
}

// TestDebInstallIntoRoot installs the package with dpkg into an empty
// temporary root (never the real system), runs the installed binaries, and
// purges it again.
func TestDebInstallIntoRoot(t *testing.T) {
	d := builtDeb(t)
	requireTool(t, "dpkg", "dpkg")
	root := t.TempDir()
	for _, p := range []string{"var/lib/dpkg/updates", "var/lib/dpkg/info"} {
		if err := os.MkdirAll(filepath.Join(root, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "var/lib/dpkg/status"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// --force-script-chrootless runs the maintainer scripts with DPKG_ROOT
	// set (the root has no shell to chroot into); ours then leave the
	// running udev alone. --force-depends: the empty root has no libc6.
	dpkg := []string{"--root=" + root, "--force-script-chrootless", "--force-not-root", "--force-depends"}
	mustRun(t, 2*time.Minute, nil, "dpkg", append(dpkg, "-i", d.path)...)

	s := mustRun(t, time.Minute, nil, "dpkg", "--root="+root, "-s", "litsigner")
	if !strings.Contains(s.stdout, "Status: install ok installed") || !strings.Contains(s.stdout, "Version: "+d.version) {
		t.Errorf("dpkg -s after install:\n%s", s.stdout)
	}
	l := mustRun(t, time.Minute, nil, "dpkg", "--root="+root, "-L", "litsigner")
	for _, f := range []string{"/usr/bin/litsignerd", "/usr/bin/litsigner", "/usr/lib/systemd/user/litsignerd.socket",
		"/usr/lib/systemd/user/litsignerd.service", "/usr/lib/udev/rules.d/60-litsigner.rules"} {
		if !slices.Contains(strings.Split(l.stdout, "\n"), f) {
			t.Errorf("dpkg -L does not list %s:\n%s", f, l.stdout)
		}
	}

	v := mustRun(t, 30*time.Second, nil, filepath.Join(root, "usr/bin/litsignerd"), "--version")
	if !strings.Contains(v.stdout+v.stderr, d.version) {
		t.Errorf("litsignerd --version printed %q, want the package version %s", v.stdout+v.stderr, d.version)
	}
	h := run(t, 30*time.Second, nil, filepath.Join(root, "usr/bin/litsigner"), "--help")
	if h.err != nil || !strings.Contains(h.stdout, "usage: litsigner") {
		t.Errorf("litsigner --help: %v\n%s%s", h.err, h.stdout, h.stderr)
	}

	mustRun(t, 2*time.Minute, nil, "dpkg", append(dpkg, "--purge", "litsigner")...)
	if _, err := os.Stat(filepath.Join(root, "usr/bin/litsignerd")); !os.IsNotExist(err) {
		t.Errorf("litsignerd still present after purge: %v", err)
	}
}
