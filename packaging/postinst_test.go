package packaging

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// maintainerScript runs a maintainer script of deb/ in a private mount
// namespace where /run is an empty tmpfs (plus /run/udev when udevRunning),
// with a udevadm on PATH that only records its arguments. It returns the
// recorded calls, one per line.
func maintainerScript(t *testing.T, script string, udevRunning bool, env []string, args ...string) []string {
	t.Helper()
	unshare, nsArgs := mountNamespace(t)
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	fake := "#!/bin/sh\necho \"$*\" >>'" + calls + "'\n"
	if err := os.WriteFile(filepath.Join(bin, "udevadm"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	mk := ""
	if udevRunning {
		mk = "mkdir /run/udev && "
	}
	sh := `mount -t tmpfs tmpfs /run && ` + mk + `PATH="$0:$PATH" exec sh "$@"`
	path := filepath.Join(packagingDir(t), "deb", script)
	cmd := append(nsArgs, append([]string{"sh", "-c", sh, bin, path}, args...)...)
	mustRun(t, 30*time.Second, env, unshare, cmd...)
	b, err := os.ReadFile(calls)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// TestMaintainerScriptsReloadUdev checks when the postinst and postrm call
// udevadm: only with udev running, only for the live system (not with
// DPKG_ROOT set, as in dpkg --root installs), and with the expected
// triggers for every supported vendor.
func TestMaintainerScriptsReloadUdev(t *testing.T) {
	reloadAndTrigger := []string{
		"control --reload-rules",
		"trigger --action=change --subsystem-match=usb --attr-match=idVendor=2c97",
		"trigger --action=change --subsystem-match=usb --attr-match=idVendor=534c",
		"trigger --action=change --subsystem-match=usb --attr-match=idVendor=1209",
		"trigger --action=change --subsystem-match=hidraw",
	}
	for _, tc := range []struct {
		name        string
		script      string
		udevRunning bool
		env         []string
		args        []string
		want        []string
	}{
		{"postinst configure", "postinst", true, []string{"DPKG_ROOT="}, []string{"configure", ""}, reloadAndTrigger},
		{"postinst without udev", "postinst", false, []string{"DPKG_ROOT="}, []string{"configure", ""}, nil},
		{"postinst into another root", "postinst", true, []string{"DPKG_ROOT=/tmp/elsewhere"}, []string{"configure", ""}, nil},
		{"postinst abort-upgrade", "postinst", true, []string{"DPKG_ROOT="}, []string{"abort-upgrade", "0.1.0"}, nil},
		{"postrm remove", "postrm", true, []string{"DPKG_ROOT="}, []string{"remove"}, []string{"control --reload-rules"}},
		{"postrm purge", "postrm", true, []string{"DPKG_ROOT="}, []string{"purge"}, []string{"control --reload-rules"}},
		{"postrm upgrade", "postrm", true, []string{"DPKG_ROOT="}, []string{"upgrade", "0.2.0"}, nil},
		{"postrm into another root", "postrm", true, []string{"DPKG_ROOT=/tmp/elsewhere"}, []string{"remove"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := maintainerScript(t, tc.script, tc.udevRunning, tc.env, tc.args...)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("udevadm calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
