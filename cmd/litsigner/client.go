package main

import (
	"fmt"
	"os"
)

// Placeholders until the daemon engineer lands the client commands.
func runStatus(args []string) int  { return notYet("status") }
func runSession(args []string) int { return notYet("session") }
func runExec(args []string) int    { return notYet("exec") }

func notYet(n string) int {
	fmt.Fprintf(os.Stderr, "litsigner: %s: not built yet\n", n)
	return exitFailure
}
