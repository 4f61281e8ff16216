package main

import (
	"fmt"
	"os"
)

// runDevnet is being written (placeholder until its engineer lands it).
func runDevnet(args []string) int {
	fmt.Fprintln(os.Stderr, "litsigner: devnet: not built yet")
	return exitFailure
}
