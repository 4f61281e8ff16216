package main

import (
	"fmt"
	"os"
)

// runWallet is being written (placeholder until its engineer lands it).
func runWallet(args []string) int {
	fmt.Fprintln(os.Stderr, "litsigner: wallet: not built yet")
	return exitFailure
}
