package daemon

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/litsigner/litsigner/daemon/timerslack"
)

// Exit codes of litsignerd.
const (
	ExitOK     = 0
	ExitFailed = 1 // could not start, or failed while running
	ExitConfig = 2 // bad flags or config file (the message names the key)
)

// Main is litsignerd: parse args, start, serve until SIGTERM/SIGINT, stop
// gracefully. It returns the exit code.
func Main(args []string, version string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == devnetChildCommand {
		return runDevnetChild(stderr)
	}
	cfg, fl, err := ParseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "litsignerd: %v\n", err)
		return ExitConfig
	}
	if fl.Version {
		fmt.Fprintf(stdout, "litsignerd %s\n", version)
		return ExitOK
	}
	limitProcs(os.Getenv)
	paceGC(os.Getenv)
	level, _ := parseLevel(cfg.LogLevel)
	log := newLogger(stderr, level)
	log.Debug("runtime", "gomaxprocs", runtime.GOMAXPROCS(0), "timer-slack-set", timerslack.Set(), "timer-slack", timerslack.Slack)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	d, err := New(ctx, cfg, Options{Version: version, Log: log, DevnetProcess: true})
	if err != nil {
		var ce *ConfigError
		if errors.As(err, &ce) {
			fmt.Fprintf(stderr, "litsignerd: %v\n", err)
			return ExitConfig
		}
		log.Error("cannot start", "err", err)
		return ExitFailed
	}
	if err := d.Run(ctx); err != nil {
		log.Error("stopped on error", "err", err)
		return ExitFailed
	}
	return ExitOK
}
