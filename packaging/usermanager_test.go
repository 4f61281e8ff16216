package packaging

import (
	"bufio"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// userManager is a real `systemd --user` started for one test. The build
// container has no systemd as PID 1, so the manager runs in a private mount
// namespace in which /run/systemd/system exists (its "booted with systemd"
// check); everything else it touches lives in the test's directory.
type userManager struct {
	t       *testing.T
	dir     string // XDG_RUNTIME_DIR is dir/run, units in dir/config/systemd/user
	cmd     *exec.Cmd
	exited  chan error
	systemd string
}

// startUserManager needs root: an unprivileged user manager cannot create
// its cgroups or mount namespace here. Without root the test is skipped,
// except under CI.
func startUserManager(t *testing.T, dir string) *userManager {
	t.Helper()
	unshare := requireTool(t, "unshare", "util-linux")
	requireTool(t, "systemctl", "systemd")
	var systemd string
	for _, p := range []string{"/usr/lib/systemd/systemd", "/lib/systemd/systemd"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 {
			systemd = p
			break
		}
	}
	if systemd == "" {
		if inCI() {
			t.Fatal("no systemd binary (Debian package systemd)")
		}
		t.Skip("no systemd binary (Debian package systemd)")
	}
	if os.Geteuid() != 0 {
		if inCI() {
			t.Fatal("starting a systemd user manager in a mount namespace needs root; CI must run the tests as root")
		}
		t.Skip("starting a systemd user manager in a mount namespace needs root")
	}
	m := &userManager{t: t, dir: dir, exited: make(chan error, 1), systemd: systemd}
	if err := os.MkdirAll(filepath.Join(dir, "run"), 0o700); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "manager.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	m.cmd = exec.Command(unshare, "--mount", "--propagation=private", "sh", "-c",
		`mount -t tmpfs tmpfs /run/systemd && mkdir /run/systemd/system && exec "$0" --user --log-level=info`, systemd)
	m.cmd.Env = m.env()
	m.cmd.Stdout, m.cmd.Stderr = logf, logf
	if err := m.cmd.Start(); err != nil {
		t.Fatalf("starting systemd --user: %v", err)
	}
	go func() { m.exited <- m.cmd.Wait() }()
	t.Cleanup(m.stop)
	private := filepath.Join(dir, "run", "systemd", "private")
	for deadline := time.Now().Add(30 * time.Second); ; {
		if _, err := os.Stat(private); err == nil {
			break
		}
		select {
		case err := <-m.exited:
			m.exited <- err
			t.Fatalf("systemd --user exited: %v\n%s", err, m.log("manager.log"))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("systemd --user did not come up\n%s", m.log("manager.log"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	return m
}

func (m *userManager) env() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"XDG_RUNTIME_DIR=" + filepath.Join(m.dir, "run"),
		"XDG_CONFIG_HOME=" + filepath.Join(m.dir, "config"),
		"HOME=" + filepath.Join(m.dir, "home"),
		"SYSTEMD_LOG_COLOR=0", "SYSTEMD_COLORS=0", "SYSTEMD_PAGER=",
	}
}

func (m *userManager) log(name string) string {
	b, _ := os.ReadFile(filepath.Join(m.dir, name))
	return name + ":\n" + string(b)
}

// systemctl runs systemctl --user against this manager.
func (m *userManager) systemctl(args ...string) result {
	m.t.Helper()
	return run(m.t, time.Minute, m.env(), "systemctl", append([]string{"--user", "--no-pager"}, args...)...)
}

// show returns one property of a unit.
func (m *userManager) show(unit, prop string) string {
	m.t.Helper()
	r := m.systemctl("show", unit, "-p", prop, "--value")
	if r.err != nil {
		m.t.Fatalf("systemctl show %s -p %s: %v %s%s", unit, prop, r.err, r.stdout, r.stderr)
	}
	return strings.TrimSpace(r.stdout)
}

func (m *userManager) stop() {
	m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.exited:
	case <-time.After(20 * time.Second):
		m.cmd.Process.Kill()
		<-m.exited
	}
}

// TestUnitsUnderUserManager installs the units into a real systemd user
// manager and checks what only a manager can show: the socket's mode and
// directory, activation on the first connection, Type=notify reaching
// "active (running)" (READY=1 arrived), the sandbox actually applied to the
// daemon process (seccomp, no_new_privs, rlimits), a clean stop on SIGTERM
// (Result=success, status 0) and RemoveOnStop=. The packaged litsignerd runs
// with --dev, so only loopback is used and no hardware is needed.
func TestUnitsUnderUserManager(t *testing.T) {
	d := builtDeb(t)
	dir := t.TempDir()
	units := filepath.Join(dir, "config", "systemd", "user")
	if err := os.MkdirAll(filepath.Join(units, "litsignerd.service.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	src := unitCopy(t, filepath.Join(d.root, "usr/bin/litsignerd")+
		" --dev --dev-port=0 --notifications=false --config="+filepath.Join(dir, "config.json"), false)
	for _, name := range []string{"litsignerd.socket", "litsignerd.service"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(units, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Only the daemon's output is redirected (there is no journal here).
	logPath := filepath.Join(dir, "daemon.log")
	if err := os.WriteFile(filepath.Join(units, "litsignerd.service.d", "test-log.conf"),
		[]byte("[Service]\nStandardOutput=append:"+logPath+"\nStandardError=append:"+logPath+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	m := startUserManager(t, dir)
	diag := func() string { return m.log("daemon.log") + "\n" + m.log("manager.log") }
	if r := m.systemctl("start", "litsignerd.socket"); r.err != nil {
		t.Fatalf("systemctl --user start litsignerd.socket: %v\n%s\n%s", r.err, r.stdout, diag())
	}

	sockDir := filepath.Join(dir, "run", "litsigner")
	sock := filepath.Join(sockDir, "litsigner.sock")
	for path, want := range map[string]os.FileMode{sockDir: os.ModeDir | 0o700, sock: os.ModeSocket | 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatalf("after starting the socket unit: %v", err)
		}
		if fi.Mode() != want {
			t.Errorf("%s has mode %v, want %v", path, fi.Mode(), want)
		}
	}
	if s := m.show("litsignerd.service", "ActiveState"); s != "inactive" {
		t.Errorf("litsignerd.service is %s before the first connection, want inactive", s)
	}

	conn, err := net.DialTimeout("unix", sock, 5*time.Second)
	if err != nil {
		t.Fatalf("connecting: %v\n%s", err, diag())
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := conn.Write([]byte(`{"jsonrpc":"2.0","id":1,"method":"lit_sessionStatus","params":[]}` + "\n")); err != nil {
		t.Fatalf("sending: %v\n%s", err, diag())
	}
	line, err := bufio.NewReader(conn).ReadBytes('\n')
	var reply struct {
		Result map[string]any `json:"result"`
	}
	if err != nil || json.Unmarshal(line, &reply) != nil || reply.Result["state"] == nil {
		t.Fatalf("lit_sessionStatus through the socket unit: %v, reply %q\n%s", err, line, diag())
	}
	t.Logf("lit_sessionStatus through the socket unit: %s", strings.TrimSpace(string(line)))

	// Type=notify: "active" only after READY=1.
	deadline := time.Now().Add(20 * time.Second)
	for m.show("litsignerd.service", "ActiveState") != "active" {
		if time.Now().After(deadline) {
			t.Fatalf("litsignerd.service never became active (READY=1 missing?)\n%s", diag())
		}
		time.Sleep(100 * time.Millisecond)
	}
	pid := m.show("litsignerd.service", "MainPID")
	status, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		t.Fatalf("reading the daemon's status: %v", err)
	}
	for _, want := range []string{"NoNewPrivs:\t1", "Seccomp:\t2"} {
		if !strings.Contains(string(status), want) {
			t.Errorf("daemon /proc/%s/status lacks %q", pid, want)
		}
	}
	limits, err := os.ReadFile("/proc/" + pid + "/limits")
	if err != nil {
		t.Fatal(err)
	}
	// LimitCORE=0 and LimitMEMLOCK=8M, soft and hard.
	for name, want := range map[string]string{"Max core file size": "0 0", "Max locked memory": "8388608 8388608"} {
		got := ""
		for _, l := range strings.Split(string(limits), "\n") {
			if rest, ok := strings.CutPrefix(l, name); ok {
				if f := strings.Fields(rest); len(f) >= 2 {
					got = f[0] + " " + f[1]
				}
			}
		}
		if got != want {
			t.Errorf("daemon %s is %q, want %q", name, got, want)
		}
	}
	conn.Close()

	if r := m.systemctl("stop", "litsignerd.service", "litsignerd.socket"); r.err != nil {
		t.Fatalf("systemctl --user stop: %v\n%s\n%s", r.err, r.stdout, diag())
	}
	if res, code := m.show("litsignerd.service", "Result"), m.show("litsignerd.service", "ExecMainStatus"); res != "success" || code != "0" {
		t.Errorf("after stop: Result=%s ExecMainStatus=%s, want success and 0\n%s", res, code, diag())
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("socket still present after stopping the socket unit (RemoveOnStop=yes): %v", err)
	}
}
