package main

import (
	"testing"

	"github.com/litsigner/litsigner/daemon/cli"
)

// The README documents one table of exit codes; main's constants and the
// daemon client's must agree.
func TestExitCodesMatchDaemonCLI(t *testing.T) {
	pairs := []struct{ main, cli int }{
		{exitOK, cli.ExitOK}, {exitFailure, cli.ExitFailure}, {exitUsage, cli.ExitUsage},
		{exitDevice, cli.ExitDevice}, {exitNetwork, cli.ExitNetwork}, {exitDaemon, cli.ExitDaemon}, {exitAction, cli.ExitAction},
	}
	for _, p := range pairs {
		if p.main != p.cli {
			t.Errorf("main %d != cli %d", p.main, p.cli)
		}
	}
}
