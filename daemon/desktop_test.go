package daemon

import (
	"bufio"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// notificationServer implements org.freedesktop.Notifications' Notify and
// CloseNotification on a private session bus.
type notificationServer struct {
	mu     sync.Mutex
	events []string
	nextID uint32
}

func (s *notificationServer) Notify(app string, replaces uint32, icon, summary, body string, actions []string,
	hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	s.events = append(s.events, "notify:"+app+":"+summary)
	return s.nextID, nil
}

func (s *notificationServer) CloseNotification(id uint32) *dbus.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, "close:"+string(rune('0'+id)))
	return nil
}

func (s *notificationServer) snapshot() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.events...)
}

// startSessionBus runs a private dbus-daemon and returns its address.
func startSessionBus(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Skip("dbus-daemon not installed (apt-get install dbus-daemon)")
	}
	cmd := exec.Command(path, "--session", "--nofork", "--nopidfile", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		addr <- strings.TrimSpace(line)
	}()
	select {
	case a := <-addr:
		if a == "" {
			t.Fatal("dbus-daemon printed no address")
		}
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("dbus-daemon did not start")
	}
	return ""
}

func TestDesktopNotifications(t *testing.T) {
	addr := startSessionBus(t)
	srvConn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer srvConn.Close()
	srv := &notificationServer{}
	if err := srvConn.Export(srv, "/org/freedesktop/Notifications", "org.freedesktop.Notifications"); err != nil {
		t.Fatal(err)
	}
	if r, err := srvConn.RequestName("org.freedesktop.Notifications", dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("request name: %v %v", r, err)
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	d := newDesktopNotifier(testLogger(t))
	d.Show("Approve the Lit session", "body")
	d.Dismiss()
	d.Close() // waits for the queue
	want := []string{"notify:litsignerd:Approve the Lit session", "close:1"}
	if got := srv.snapshot(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("events %v, want %v", got, want)
	}
}

// TestDesktopWithoutBus: no session bus means no notification and no delay.
func TestDesktopWithoutBus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+t.TempDir()+"/nobus")
	d := newDesktopNotifier(testLogger(t))
	start := time.Now()
	d.Show("x", "y")
	d.Dismiss()
	d.Show("x", "y")
	d.Close()
	if el := time.Since(start); el > desktopTimeout+time.Second {
		t.Fatalf("took %v without a bus", el)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.failed || d.conn != nil {
		t.Fatal("desktop did not give up on the missing bus")
	}
}
