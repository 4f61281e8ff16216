// Command litsignerd is the Lit signing daemon: it serves JSON-RPC on a
// Unix socket and runs Lit Actions with a session key that a hardware
// wallet authorized. See package daemon.
package main

import (
	"os"

	"github.com/litsigner/litsigner/daemon"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(daemon.Main(os.Args[1:], version, os.Stdout, os.Stderr))
}
