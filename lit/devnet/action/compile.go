package action

import (
	"crypto/sha256"
	"strings"
	"sync"

	"github.com/dop251/goja"
)

// maxCachedPrograms bounds the compiled-program cache.
const maxCachedPrograms = 256

// A compiled goja.Program holds no runtime state and may run in many
// runtimes, also at the same time; a node receives the same action code
// with every request of a session, and compiling it was a tenth of a run.
// programs maps the SHA-256 of an action's source to its compiled form or
// its syntax error.
var programs = struct {
	sync.Mutex
	m map[[sha256.Size]byte]compiled
}{m: map[[sha256.Size]byte]compiled{}}

// compiled is one source's compilation outcome.
type compiled struct {
	prg *goja.Program
	err *ThrowError // a SyntaxError
}

// compile compiles src, or returns the cached outcome of an earlier
// compilation of the same bytes.
func compile(src string) (*goja.Program, error) {
	key := sha256.Sum256([]byte(src))
	programs.Lock()
	c, ok := programs.m[key]
	programs.Unlock()
	if !ok {
		prg, err := goja.Compile(scriptName, src, false)
		c = compiled{prg: prg}
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "SyntaxError") {
				msg = "SyntaxError: " + msg
			}
			c = compiled{err: &ThrowError{Message: msg}}
		}
		programs.Lock()
		if len(programs.m) >= maxCachedPrograms {
			for k := range programs.m {
				delete(programs.m, k)
				break
			}
		}
		programs.m[key] = c
		programs.Unlock()
	}
	if c.err != nil {
		e := *c.err // callers may annotate their copy
		return nil, &e
	}
	return c.prg, nil
}
