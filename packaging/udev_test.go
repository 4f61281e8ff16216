package packaging

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// usbDevice is one fake device given to udevadm test.
type usbDevice struct {
	name            string
	subsystem       string // "usb" (the usbfs node libusb opens) or "hidraw"
	vendor, product string // as in sysfs: lower-case hex
	want            bool   // our rules must tag it uaccess
}

// supportedDevices is every device litsigner supports, on both subsystems,
// and neighbours that must stay untouched.
func supportedDevices() []usbDevice {
	var ds []usbDevice
	add := func(name, vendor, product string, want bool) {
		for _, sub := range []string{"usb", "hidraw"} {
			ds = append(ds, usbDevice{name + " " + sub, sub, vendor, product, want})
		}
	}
	// Ledger: the whole vendor, old and new product ids.
	add("Ledger Nano S (old firmware)", "2c97", "0001", true)
	add("Ledger Nano X (old firmware)", "2c97", "0004", true)
	add("Ledger Nano S", "2c97", "1011", true)
	add("Ledger Nano X", "2c97", "4011", true)
	add("Ledger Nano S Plus", "2c97", "5011", true)
	add("Ledger Stax", "2c97", "6011", true)
	add("Ledger Flex", "2c97", "7011", true)
	add("Ledger future model", "2c97", "9a15", true)
	add("Trezor One HID", "534c", "0001", true)
	add("Trezor WebUSB", "1209", "53c1", true)
	add("Trezor bootloader", "1209", "53c0", true)
	// Negative cases.
	add("Logitech mouse", "046d", "c077", false)
	add("other pid.codes device", "1209", "53c2", false)
	add("other pid.codes device 2", "1209", "0001", false)
	add("other SatoshiLabs product", "534c", "0002", false)
	add("neighbour vendor", "2c98", "0001", false)
	add("product id as vendor", "0001", "2c97", false)
	return ds
}

// hwdbWallets returns the USB ids that the installed systemd's
// 70-hardware-wallets.hwdb marks ID_HARDWARE_WALLET=1 for the vendors we
// support, so that the test holds our rules in agreement with it.
func hwdbWallets(t *testing.T) []usbDevice {
	t.Helper()
	f, err := os.Open("/usr/lib/udev/hwdb.d/70-hardware-wallets.hwdb")
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	match := regexp.MustCompile(`^usb:v([0-9A-Fa-f]{4})(?:p([0-9A-Fa-f]{4}))?\*$`)
	var ds []usbDevice
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := match.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		v, p := strings.ToLower(m[1]), strings.ToLower(m[2])
		if v != "2c97" && v != "534c" && !(v == "1209" && (p == "53c0" || p == "53c1")) {
			continue // a wallet litsigner does not support
		}
		if p == "" {
			p = "0001"
		}
		ds = append(ds, usbDevice{"hwdb " + m[0], "usb", v, p, true})
	}
	return ds
}

// fakeSysfs lays out a sysfs tree with one USB device (and, for hidraw, its
// interface, HID device and hidraw node) per entry, and returns the
// syspath, as seen once the tree is mounted on /sys, of each device.
func fakeSysfs(t *testing.T, root string, ds []usbDevice) []string {
	t.Helper()
	write := func(p, s string) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(dir, subsystem string) {
		if err := os.Symlink("/sys/"+subsystem, filepath.Join(dir, "subsystem")); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"bus/usb", "bus/hid", "class/hidraw"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var paths []string
	for i, d := range ds {
		port := fmt.Sprintf("1-%d", i+1)
		dev := "devices/pci0000:00/0000:00:14.0/usb1/" + port
		abs := filepath.Join(root, dev)
		write(filepath.Join(abs, "uevent"), fmt.Sprintf("MAJOR=189\nMINOR=%d\nDEVNAME=bus/usb/001/%03d\nDEVTYPE=usb_device\nPRODUCT=%s/%s/100\nBUSNUM=001\nDEVNUM=%03d\n",
			i+1, i+2, strings.TrimLeft(d.vendor, "0"), strings.TrimLeft(d.product, "0"), i+2))
		write(filepath.Join(abs, "idVendor"), d.vendor+"\n")
		write(filepath.Join(abs, "idProduct"), d.product+"\n")
		link(abs, "bus/usb")
		if d.subsystem == "usb" {
			paths = append(paths, "/sys/"+dev)
			continue
		}
		intf := filepath.Join(dev, port+":1.0")
		write(filepath.Join(root, intf, "uevent"), "DEVTYPE=usb_interface\nINTERFACE=3/0/0\n")
		link(filepath.Join(root, intf), "bus/usb")
		hid := filepath.Join(intf, fmt.Sprintf("0003:%s:%s.%04X", strings.ToUpper(d.vendor), strings.ToUpper(d.product), i+1))
		write(filepath.Join(root, hid, "uevent"), fmt.Sprintf("HID_ID=0003:0000%s:0000%s\n", strings.ToUpper(d.vendor), strings.ToUpper(d.product)))
		link(filepath.Join(root, hid), "bus/hid")
		raw := filepath.Join(hid, "hidraw", fmt.Sprintf("hidraw%d", i))
		write(filepath.Join(root, raw, "uevent"), fmt.Sprintf("MAJOR=247\nMINOR=%d\nDEVNAME=hidraw%d\n", i, i))
		link(filepath.Join(root, raw), "class/hidraw")
		paths = append(paths, "/sys/"+raw)
	}
	return paths
}

// udevScript runs in a private mount namespace: /run becomes an empty
// tmpfs (no host udev database, and /run/udev/rules.d holds only the rules
// under test), the host's rule directories are hidden unless $SYSTEM_RULES
// is set, and the fake tree is mounted on /sys. udevadm test then evaluates
// the rules against each fake device. Nothing of the host is modified.
const udevScript = `set -e
fake=$1; rules=$2; shift 2
mount -t tmpfs tmpfs /run
mkdir -p /run/udev/rules.d
cp "$rules" /run/udev/rules.d/
if [ -z "$SYSTEM_RULES" ]; then
	for d in /etc/udev/rules.d /usr/lib/udev/rules.d /lib/udev/rules.d /usr/local/lib/udev/rules.d; do
		if [ -d "$d" ]; then mount -t tmpfs tmpfs "$d"; fi
	done
fi
mount --bind "$fake" /sys
export SYSTEMD_DEVICE_VERIFY_SYSFS=0 SYSTEMD_LOG_COLOR=0
for p in "$@"; do
	echo "@@@ $p"
	udevadm test --action=add "$p" 2>&1 || echo "@@@ udevadm failed: $?"
done
`

// mountNamespace returns the unshare command and arguments that run a
// command in a private mount namespace (as root, or as root mapped in a
// user namespace). It skips the test when neither works, except under CI.
func mountNamespace(t *testing.T) (string, []string) {
	t.Helper()
	unshare := requireTool(t, "unshare", "util-linux")
	nsArgs := []string{"--mount", "--propagation=private"}
	if os.Geteuid() != 0 {
		nsArgs = append([]string{"--map-root-user"}, nsArgs...)
	}
	if r := run(t, 30*time.Second, nil, unshare, append(nsArgs, "true")...); r.err != nil {
		if inCI() {
			t.Fatalf("cannot create a mount namespace (unshare %v: %v %s); CI must run as root or allow user namespaces", nsArgs, r.err, r.stderr)
		}
		t.Skipf("cannot create a mount namespace (unshare: %v %s)", r.err, r.stderr)
	}
	return unshare, nsArgs
}

// udevTest evaluates rulesFile against the devices with the real udevadm
// and returns each device's output.
func udevTest(t *testing.T, rulesFile string, systemRules bool, ds []usbDevice) map[string]string {
	t.Helper()
	requireTool(t, "udevadm", "udev")
	unshare, nsArgs := mountNamespace(t)
	dir := t.TempDir()
	fake := filepath.Join(dir, "sys")
	paths := fakeSysfs(t, fake, ds)
	env := []string{"SYSTEM_RULES="}
	if systemRules {
		env = []string{"SYSTEM_RULES=1"}
	}
	args := append(nsArgs, "sh", "-c", udevScript, "sh", fake, rulesFile)
	r := mustRun(t, 2*time.Minute, env, unshare, append(args, paths...)...)
	out := map[string]string{}
	var cur string
	for _, line := range strings.Split(r.stdout, "\n") {
		if p, ok := strings.CutPrefix(line, "@@@ "); ok && strings.HasPrefix(p, "/sys/") {
			cur = p
			continue
		}
		out[cur] += line + "\n"
	}
	got := map[string]string{}
	for i, d := range ds {
		got[d.name] = out[paths[i]]
	}
	return got
}

// tagged reports what udevadm test printed about the device.
func tagged(out string) (uaccess, wallet, failed bool) {
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "TAGS=") && strings.Contains(l, ":uaccess:"):
			uaccess = true
		case l == "ID_HARDWARE_WALLET=1":
			wallet = true
		case strings.HasPrefix(l, "@@@ udevadm failed"):
			failed = true
		}
	}
	return
}

// summary keeps the lines of udevadm test output that explain a result.
func summary(out string) string {
	var b strings.Builder
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "TAGS=") || strings.HasPrefix(l, "ID_") || strings.HasPrefix(l, "SUBSYSTEM=") ||
			strings.HasPrefix(l, "run: ") || strings.Contains(l, ".rules:") || strings.Contains(l, "failed") {
			b.WriteString("\t" + l + "\n")
		}
	}
	return b.String()
}

// TestUdevRulesTagSupportedDevices has udevadm evaluate 60-litsigner.rules
// alone against fake sysfs devices: every supported wallet, on the usb and
// hidraw subsystems, gets TAG uaccess and ID_HARDWARE_WALLET=1 (the property
// systemd's own hwdb sets); other devices get neither. The rules file must
// parse without a single complaint.
func TestUdevRulesTagSupportedDevices(t *testing.T) {
	rules := filepath.Join(packagingDir(t), "udev", "60-litsigner.rules")
	ds := append(supportedDevices(), hwdbWallets(t)...)
	got := udevTest(t, rules, false, ds)
	first := got[ds[0].name]
	if !strings.Contains(first, "Reading rules file: /run/udev/rules.d/60-litsigner.rules") {
		t.Fatalf("udevadm did not read our rules:\n%s", first)
	}
	for _, l := range strings.Split(first, "\n") {
		if strings.Contains(l, "60-litsigner.rules:") {
			t.Errorf("udevadm complains about the rules: %s", l)
		}
	}
	for _, d := range ds {
		out := got[d.name]
		uaccess, wallet, failed := tagged(out)
		if failed {
			t.Errorf("%s: udevadm test failed:\n%s", d.name, out)
			continue
		}
		if uaccess != d.want || wallet != d.want {
			t.Errorf("%s (%s %s:%s): uaccess=%v ID_HARDWARE_WALLET=%v, want %v\n%s",
				d.name, d.subsystem, d.vendor, d.product, uaccess, wallet, d.want, summary(out))
		}
	}
}

// TestUdevRulesWithSystemRules evaluates our rules together with the
// system's (Debian 12: no Ledger in 70-hardware-wallets.hwdb yet): a
// supported wallet's usbfs node ends with the uaccess tag and
// 73-seat-late.rules schedules the uaccess builtin that grants the seat user
// an ACL, which is what makes the file's number (below 73) matter.
func TestUdevRulesWithSystemRules(t *testing.T) {
	if _, err := os.Stat("/usr/lib/udev/rules.d/73-seat-late.rules"); err != nil {
		if inCI() {
			t.Fatalf("73-seat-late.rules missing (Debian package udev): %v", err)
		}
		t.Skipf("73-seat-late.rules missing: %v", err)
	}
	rules := filepath.Join(packagingDir(t), "udev", "60-litsigner.rules")
	var ds []usbDevice
	for _, d := range supportedDevices() {
		if d.subsystem == "usb" {
			ds = append(ds, d)
		}
	}
	got := udevTest(t, rules, true, ds)
	for _, d := range ds {
		out := got[d.name]
		uaccess, _, failed := tagged(out)
		builtin := strings.Contains(out, "run: 'uaccess'")
		if failed || uaccess != d.want || builtin != d.want {
			t.Errorf("%s: uaccess tag=%v, uaccess builtin scheduled=%v, want %v (failed=%v)\n%s",
				d.name, uaccess, builtin, d.want, failed, summary(out))
		}
	}
}
