package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// commonFlags are the flags every command of this package has (newFlagSet)
// that may also come before the command: whether each takes a value, the
// next argument unless given as --flag=value.
var commonFlags = map[string]bool{"socket": true, "timeout": true, "json": false}

// HoistCommonFlags moves common flags given before the command ("litsigner
// --socket S status") to after it, where the command's own parser reads
// them: at the end, or before a "--" that ends the flags. It returns nil
// when args start with a flag that is not a common flag.
func HoistCommonFlags(args []string) []string {
	var lead []string
	i := 0
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "-" && args[i] != "--" {
		name, _, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		takesValue, ok := commonFlags[name]
		if !ok {
			return nil
		}
		if takesValue && !hasValue {
			if i+1 >= len(args) {
				return nil
			}
			lead = append(lead, args[i], args[i+1])
			i += 2
			continue
		}
		lead = append(lead, args[i])
		i++
	}
	rest := slices.Clone(args[i:])
	if len(lead) == 0 {
		return rest
	}
	if len(rest) == 0 {
		return nil
	}
	at := len(rest)
	if j := slices.Index(rest, "--"); j >= 0 {
		at = j
	}
	return slices.Insert(rest, at, lead...)
}

// PrintCommonFlags writes the help of the common flags (see newFlagSet).
func PrintCommonFlags(w io.Writer) {
	fmt.Fprintln(w, "\ncommon flags of the commands that talk to litsignerd (status, session, exec,")
	fmt.Fprintln(w, "wallet unlock, wallet pair CODE), before or after the command:")
	fmt.Fprintln(w, "  --socket PATH  litsignerd's socket (default $"+SocketEnv+", else")
	fmt.Fprintln(w, "                 $XDG_RUNTIME_DIR/litsigner/litsigner.sock)")
	fmt.Fprintf(w, "  --timeout D    give up after D (default %s)\n", DefaultTimeout)
	fmt.Fprintln(w, "  --json         print JSON (for scripts)")
}
