package packaging

import (
	"bufio"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// syscallGroups parses `systemd-analyze syscall-filter` (every group with
// its members, which may name other groups) from the installed systemd.
func syscallGroups(t *testing.T) map[string][]string {
	t.Helper()
	tool := requireTool(t, "systemd-analyze", "systemd")
	r := mustRun(t, time.Minute, nil, tool, "syscall-filter")
	groups := map[string][]string{}
	var cur string
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	for sc.Scan() {
		line := sc.Text()
		f := strings.TrimSpace(line)
		switch {
		case f == "" || strings.HasPrefix(f, "#"):
		case !strings.HasPrefix(line, " ") && strings.HasPrefix(f, "@"):
			cur = f
			groups[cur] = nil
		case cur != "":
			groups[cur] = append(groups[cur], f)
		}
	}
	if len(groups["@system-service"]) == 0 || len(groups["@default"]) == 0 {
		t.Fatalf("could not parse systemd-analyze syscall-filter output:\n%.2000s", r.stdout)
	}
	return groups
}

// expand resolves a filter entry (a syscall or a @group) to syscalls.
func expand(groups map[string][]string, entry string, seen map[string]bool) []string {
	if !strings.HasPrefix(entry, "@") {
		return []string{entry}
	}
	if seen[entry] {
		return nil
	}
	seen[entry] = true
	var out []string
	for _, m := range groups[entry] {
		out = append(out, expand(groups, m, seen)...)
	}
	return out
}

// allowedSyscalls applies the service's SystemCallFilter= lines the way
// systemd does: the first non-~ line makes an allow list (plus @default),
// later lines add to it, ~ lines remove from it.
func allowedSyscalls(t *testing.T, groups map[string][]string) map[string]bool {
	t.Helper()
	allowed := map[string]bool{}
	first := true
	for _, d := range unitDirectives(t, filepath.Join(packagingDir(t), "systemd", "litsignerd.service")) {
		if d[0] != "SystemCallFilter" {
			continue
		}
		v, deny := strings.CutPrefix(d[1], "~")
		if first {
			if deny {
				t.Fatal("the first SystemCallFilter= line must be an allow list")
			}
			for _, s := range expand(groups, "@default", map[string]bool{}) {
				allowed[s] = true
			}
			first = false
		}
		for _, e := range strings.Fields(v) {
			for _, s := range expand(groups, e, map[string]bool{}) {
				allowed[s] = !deny
			}
		}
	}
	if first {
		t.Fatal("litsignerd.service has no SystemCallFilter=")
	}
	return allowed
}

// daemonSyscalls are system calls litsignerd cannot work without: the Go
// runtime and net package, the session key's locked memory
// (daemon/securemem: mmap, madvise MADV_DONTDUMP, mlock, prctl
// PR_SET_DUMPABLE, setrlimit RLIMIT_CORE which Go issues as prlimit64),
// libusb on usbfs (ioctl, poll, eventfd, timerfd, netlink hotplug socket),
// and the RPC socket.
var daemonSyscalls = []string{
	"mmap", "munmap", "mprotect", "madvise", "mlock", "munlock", "prctl", "prlimit64",
	"clone", "clone3", "futex", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
	"sched_yield", "sched_getaffinity", "nanosleep", "getrandom", "gettid", "tgkill", "exit_group",
	"epoll_create1", "epoll_ctl", "epoll_pwait", "eventfd2", "timerfd_create", "timerfd_settime", "pipe2",
	"poll", "ppoll", "ioctl", "openat", "read", "write", "close", "fcntl", "newfstatat", "fstat",
	"readlinkat", "getdents64", "mkdirat", "unlinkat", "fchmod", "fchmodat", "umask",
	"socket", "bind", "listen", "accept4", "connect", "getsockopt", "setsockopt", "getsockname",
	"getpeername", "sendto", "recvfrom", "sendmsg", "recvmsg", "shutdown",
	"getuid", "geteuid", "getpid", "uname",
}

// TestSyscallFilterKeepsDaemonSyscalls expands the service's
// SystemCallFilter= with the installed systemd's own group definitions and
// checks that nothing the daemon needs is filtered, and that the dangerous
// groups really are.
func TestSyscallFilterKeepsDaemonSyscalls(t *testing.T) {
	groups := syscallGroups(t)
	allowed := allowedSyscalls(t, groups)
	var missing []string
	for _, s := range daemonSyscalls {
		if !allowed[s] {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		t.Errorf("SystemCallFilter= of litsignerd.service blocks %v", missing)
	}
	for _, s := range []string{"setuid", "mount", "reboot", "init_module", "ptrace", "setrlimit", "sched_setscheduler", "swapon", "kexec_load"} {
		if allowed[s] {
			t.Errorf("SystemCallFilter= allows %s", s)
		}
	}
}
