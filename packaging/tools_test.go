package packaging

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// inCI reports whether the tests run under CI (CI=true or CI=1), where a
// missing tool is a failure rather than a reason to skip.
func inCI() bool {
	switch strings.ToLower(os.Getenv("CI")) {
	case "", "0", "false", "no":
		return false
	}
	return true
}

// requireTool returns the path of a system tool. When it is not installed
// the test is skipped, except under CI, where it fails: CI must install the
// Debian packages named in README.md.
func requireTool(t *testing.T, name, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if inCI() {
		t.Fatalf("%s not found (install the Debian package %q): %v", name, debianPackage, err)
	}
	t.Skipf("%s not found (Debian package %q); set CI=true to make this a failure", name, debianPackage)
	return ""
}

// packagingDir is the absolute path of packaging/ (the test's working
// directory).
func packagingDir(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the packaging directory")
	}
	return filepath.Dir(file)
}

// result is a finished command's output.
type result struct {
	stdout, stderr string
	err            error
}

// run runs name with args under a timeout, with env added to the test's
// environment, and returns its output. It never fails the test itself.
func run(t *testing.T, timeout time.Duration, env []string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	return result{stdout.String(), stderr.String(), err}
}

// mustRun is run that fails the test when the command fails.
func mustRun(t *testing.T, timeout time.Duration, env []string, name string, args ...string) result {
	t.Helper()
	r := run(t, timeout, env, name, args...)
	if r.err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), r.err, r.stdout, r.stderr)
	}
	return r
}
